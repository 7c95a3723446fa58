package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;

import java.time.Duration;

/** Where alerts go: one send attempt of one alert, reported as an {@link Attempt}; never throws for a receiver's failure. */
public interface Channel extends AutoCloseable {

    /** The outcome of one attempt. {@code error} never contains a secret. */
    record Attempt(boolean delivered, boolean retryable, Integer httpStatus, String error, Duration retryAfter) {
        static Attempt ok(Integer status) {
            return new Attempt(true, false, status, null, null);
        }
    }

    String name();

    ChannelConfig.Type type();

    Attempt send(Alert alert);

    /** Tells the receiver that the alert's incident is acknowledged (PagerDuty: an acknowledge event); by default nothing to send. */
    default Attempt acknowledge(Alert alert) {
        return Attempt.ok(null);
    }

    /** Whether firing alerts must be re-sent while they last (Alertmanager resolves alerts it stops hearing about). */
    default boolean resendsFiring() {
        return false;
    }

    @Override
    default void close() {
    }
}
