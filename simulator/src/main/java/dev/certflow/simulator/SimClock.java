package dev.certflow.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.LongSupplier;

/**
 * The simulator's clock: simulated time starts at {@link #start()} and runs {@link #speed()} times
 * faster than real time ({@code speed 1440} = one simulated day per real minute).
 *
 * <p>Everything in the simulator reads time from here. Real time comes from a nanosecond ticker
 * ({@link System#nanoTime()} in production) so tests can drive it by hand; {@link #advance(Duration)}
 * jumps simulated time forward without touching real time. Token lifetimes are measured on the
 * real ticker ({@link #realElapsed()}) because clients honour {@code access_token_expire_time} with
 * their own (real) clock.
 */
public final class SimClock extends Clock {
    private final Instant start;
    private final double speed;
    private final LongSupplier ticker;
    private final long origin;
    private static final long NANOS = 1_000_000_000L;
    private final AtomicReference<Duration> jumped = new AtomicReference<>(Duration.ZERO);
    /** Ticker value from which simulated time runs; null while held. */
    private final AtomicReference<Long> runningSince = new AtomicReference<>();

    /** A running clock driven by an explicit nanosecond ticker (tests pass a manual one). */
    public SimClock(Instant start, double speed, LongSupplier nanoTicker) {
        this(start, speed, nanoTicker, false);
    }

    /**
     * A clock driven by an explicit nanosecond ticker; a held one stays at {@code start} (jumps aside)
     * until {@link #release()}.
     */
    public SimClock(Instant start, double speed, LongSupplier nanoTicker, boolean held) {
        this.start = Objects.requireNonNull(start, "start");
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be a positive number, was " + speed);
        }
        this.speed = speed;
        this.ticker = Objects.requireNonNull(nanoTicker, "nanoTicker");
        this.origin = nanoTicker.getAsLong();
        if (!held) {
            runningSince.set(origin);
        }
    }

    /** A clock driven by {@link System#nanoTime()}. */
    public static SimClock realTime(Instant start, double speed) {
        return new SimClock(start, speed, System::nanoTime);
    }

    /**
     * A clock driven by {@link System#nanoTime()} that stays at {@code start} until {@link #release()}:
     * at 100,000x the seconds a pipeline takes to start are simulated days, so a test holds the clock
     * until everything polls and releases it then.
     */
    public static SimClock held(Instant start, double speed) {
        return new SimClock(start, speed, System::nanoTime, true);
    }

    /** Lets a held clock run from now on; no effect on a running one. */
    public void release() {
        runningSince.compareAndSet(null, ticker.getAsLong());
    }

    /** Whether simulated time is running (not held). */
    public boolean running() {
        return runningSince.get() != null;
    }

    /** The simulated instant at which the clock started. */
    public Instant start() {
        return start;
    }

    /** Simulated seconds per real second. */
    public double speed() {
        return speed;
    }

    /** Real time elapsed since the clock was created, from the ticker. */
    public Duration realElapsed() {
        return Duration.ofNanos(ticker.getAsLong() - origin);
    }

    /**
     * Simulated time elapsed since {@link #start()}, exact to the nanosecond for whole-number speeds and
     * computed in seconds plus nanoseconds, so a fast clock left running does not overflow: at 100,000x
     * Long.MAX_VALUE nanoseconds (292 years) pass in a real day.
     */
    public Duration elapsed() {
        Long since = runningSince.get();
        if (since == null) {
            return jumped.get();
        }
        long real = ticker.getAsLong() - since;
        long realSeconds = Math.floorDiv(real, NANOS);
        long realNanos = Math.floorMod(real, NANOS);
        Duration simulated;
        if (speed == Math.rint(speed) && speed <= NANOS) {
            long w = (long) speed;
            long hi = Math.multiplyHigh(realSeconds, w);
            long seconds = realSeconds * w;
            simulated = hi != (seconds >> 63) ? Duration.ofSeconds(Long.MAX_VALUE) : Duration.ofSeconds(seconds, realNanos * w);
        } else {
            double seconds = realSeconds * speed + realNanos * speed / NANOS;
            long whole = (long) Math.floor(seconds);
            simulated = Duration.ofSeconds(whole, Math.min(NANOS - 1, (long) ((seconds - whole) * NANOS)));
        }
        return simulated.plus(jumped.get());
    }

    /** Jumps simulated time forward (tests, or a demo skipping ahead). */
    public void advance(Duration simulated) {
        if (simulated.isNegative()) {
            throw new IllegalArgumentException("the simulated clock only moves forward, got " + simulated);
        }
        jumped.accumulateAndGet(simulated, Duration::plus);
    }

    @Override
    public Instant instant() {
        return start.plus(elapsed());
    }

    @Override
    public ZoneId getZone() {
        return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
        SimClock self = this;
        return new Clock() {
            @Override
            public ZoneId getZone() {
                return zone;
            }

            @Override
            public Clock withZone(ZoneId other) {
                return self.withZone(other);
            }

            @Override
            public Instant instant() {
                return self.instant();
            }
        };
    }

    @Override
    public String toString() {
        return "SimClock[start=" + start + ", speed=" + speed + "]";
    }
}
