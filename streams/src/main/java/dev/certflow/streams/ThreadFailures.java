package dev.certflow.streams;

import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;

import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;

/**
 * What to do with a stream thread that died: replace it, up to {@code maxReplacements} times within
 * {@code window}, then shut the client down. A schema registry that cannot answer is not a failure of
 * the application (the record that needed it was neither processed nor dead-lettered): the thread is
 * replaced for as long as the outage lasts, after a pause of 0.5 s doubling with each one in a row up
 * to {@link #REGISTRY_MAX_PAUSE}, counted apart from the other failures.
 */
final class ThreadFailures {
    static final Duration REGISTRY_MAX_PAUSE = Duration.ofSeconds(30);
    /** A registry failure this long after the previous one starts a new streak. */
    static final Duration REGISTRY_STREAK = Duration.ofMinutes(5);

    /** The response, how long to wait on the failed thread before it, and how many failures count now. */
    record Decision(StreamThreadExceptionResponse response, long pauseMillis, boolean registry, int count) {
    }

    private final int maxReplacements;
    private final Duration window;
    private final Deque<Long> failures = new ArrayDeque<>();
    private int registryStreak;
    private long lastRegistryFailure = Long.MIN_VALUE;

    ThreadFailures(int maxReplacements, Duration window) {
        this.maxReplacements = maxReplacements;
        this.window = window;
    }

    synchronized Decision next(Throwable e, long nowMillis) {
        if (SchemaRegistryException.unavailable(e)) {
            boolean streak = lastRegistryFailure != Long.MIN_VALUE && nowMillis - lastRegistryFailure <= REGISTRY_STREAK.toMillis();
            registryStreak = streak ? registryStreak + 1 : 1;
            lastRegistryFailure = nowMillis;
            long pause = Math.min(REGISTRY_MAX_PAUSE.toMillis(), 500L << Math.min(registryStreak - 1, 10));
            return new Decision(StreamThreadExceptionResponse.REPLACE_THREAD, pause, true, registryStreak);
        }
        failures.addLast(nowMillis);
        while (!failures.isEmpty() && failures.peekFirst() < nowMillis - window.toMillis()) {
            failures.removeFirst();
        }
        return new Decision(failures.size() <= maxReplacements ? StreamThreadExceptionResponse.REPLACE_THREAD
                : StreamThreadExceptionResponse.SHUTDOWN_CLIENT, 0, false, failures.size());
    }
}
