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
    /**
     * One value, swapped atomically, so a reader never sees half a hold: the ticker value from which
     * simulated time runs (null while held) and the simulated time gathered before it (jumps and the
     * running spells before a hold).
     */
    private record State(Long runningSince, Duration offset) {
    }

    private final AtomicReference<State> state = new AtomicReference<>(new State(null, Duration.ZERO));

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
            state.set(new State(origin, Duration.ZERO));
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
        state.updateAndGet(s -> s.runningSince() != null ? s : new State(ticker.getAsLong(), s.offset()));
    }

    /**
     * Stops simulated time where it is until the next {@link #release()}; no effect on a held clock. A test
     * holds the world while the pipeline under test is behind, so a machine too slow for the speed loses
     * no simulated days.
     */
    public void hold() {
        state.updateAndGet(s -> s.runningSince() == null ? s
                : new State(null, s.offset().plus(simulated(ticker.getAsLong() - s.runningSince()))));
    }

    /** Whether simulated time is running (not held). */
    public boolean running() {
        return state.get().runningSince() != null;
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
        State s = state.get();
        if (s.runningSince() == null) {
            return s.offset();
        }
        return simulated(ticker.getAsLong() - s.runningSince()).plus(s.offset());
    }

    /** Simulated time in {@code real} ticker nanoseconds at this speed. */
    private Duration simulated(long real) {
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
        return simulated;
    }

    /** Jumps simulated time forward (tests, or a demo skipping ahead). */
    public void advance(Duration simulated) {
        if (simulated.isNegative()) {
            throw new IllegalArgumentException("the simulated clock only moves forward, got " + simulated);
        }
        state.updateAndGet(s -> new State(s.runningSince(), s.offset().plus(simulated)));
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
