package dev.certflow.sink;

import org.apache.kafka.clients.consumer.Consumer;

import java.time.Duration;

/** Stopping a worker thread that loops on a Kafka consumer: wake the consumer out of its poll, then wait for the thread. */
public final class ConsumerLoops {
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    private ConsumerLoops() {
    }

    /** The loop must have seen its running flag cleared before this is called. */
    public static void stop(Consumer<?, ?> consumer, Thread thread) {
        if (consumer != null) {
            consumer.wakeup();
        }
        try {
            thread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
