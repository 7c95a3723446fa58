package dev.certflow.runtime.kafka;

import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.utils.Time;

import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Kafka's {@code Time} with wall-clock milliseconds from another clock (a simulator running faster
 * than real time, a benchmark moving time forward), so Kafka Streams' wall-clock punctuation and
 * "now" follow it. Durations ({@link #nanoseconds()}) and sleeps stay real.
 */
public final class ClockTime implements Time {
    private final LongSupplier millis;

    public ClockTime(LongSupplier millis) {
        this.millis = millis;
    }

    @Override
    public long milliseconds() {
        return millis.getAsLong();
    }

    @Override
    public long nanoseconds() {
        return System.nanoTime();
    }

    @Override
    public void sleep(long ms) {
        Time.SYSTEM.sleep(ms);
    }

    @Override
    public void waitObject(Object obj, Supplier<Boolean> condition, long deadlineMs) throws InterruptedException {
        synchronized (obj) {
            while (!condition.get()) {
                long left = deadlineMs - milliseconds();
                if (left <= 0) {
                    throw new TimeoutException("condition not met before the deadline " + deadlineMs);
                }
                // this clock's milliseconds may pass faster than real ones: wake up often enough to notice the deadline
                obj.wait(Math.max(1, Math.min(left, 100)));
            }
        }
    }
}
