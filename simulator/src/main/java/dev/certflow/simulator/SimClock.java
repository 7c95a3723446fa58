package dev.certflow.simulator;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;
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
    private final AtomicLong jumpNanos = new AtomicLong();

    /** A clock driven by an explicit nanosecond ticker (tests pass a manual one). */
    public SimClock(Instant start, double speed, LongSupplier nanoTicker) {
        this.start = Objects.requireNonNull(start, "start");
        if (!(speed > 0) || Double.isInfinite(speed)) {
            throw new IllegalArgumentException("speed must be a positive number, was " + speed);
        }
        this.speed = speed;
        this.ticker = Objects.requireNonNull(nanoTicker, "nanoTicker");
        this.origin = nanoTicker.getAsLong();
    }

    /** A clock driven by {@link System#nanoTime()}. */
    public static SimClock realTime(Instant start, double speed) {
        return new SimClock(start, speed, System::nanoTime);
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

    /** Simulated time elapsed since {@link #start()}. */
    public Duration elapsed() {
        long real = ticker.getAsLong() - origin;
        return Duration.ofNanos((long) (real * speed) + jumpNanos.get());
    }

    /** Jumps simulated time forward (tests, or a demo skipping ahead). */
    public void advance(Duration simulated) {
        if (simulated.isNegative()) {
            throw new IllegalArgumentException("the simulated clock only moves forward, got " + simulated);
        }
        jumpNanos.addAndGet(simulated.toNanos());
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
