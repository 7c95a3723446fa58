package dev.certflow.runtime.ops;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaClientMetrics;
import org.apache.kafka.clients.consumer.Consumer;
import org.apache.kafka.clients.producer.Producer;

/** Puts a Kafka client's own metrics (Micrometer's binder) on {@code /metrics}; close the result with the client. */
public final class ClientMetrics {
    private ClientMetrics() {
    }

    /** A binding to close with its client. */
    public interface Binding extends AutoCloseable {
        @Override
        void close();
    }

    public static Binding bind(MeterRegistry registry, Producer<?, ?> producer) {
        return bind(registry, new KafkaClientMetrics(producer));
    }

    public static Binding bind(MeterRegistry registry, Consumer<?, ?> consumer) {
        return bind(registry, new KafkaClientMetrics(consumer));
    }

    private static Binding bind(MeterRegistry registry, KafkaClientMetrics metrics) {
        if (registry == null) {
            return () -> { };
        }
        metrics.bindTo(registry);
        return metrics::close;
    }
}
