package dev.certflow.sink.delivery;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/** The delivery path's timers, with histogram buckets so a Prometheus query can take their percentiles. */
final class DeliveryTimers {
    private DeliveryTimers() {
    }

    static Timer timer(MeterRegistry registry, String name, String description, String channel) {
        return histogram(Timer.builder(name).description(description).tag("channel", channel), registry);
    }

    /** One step of the delivery consumer's round: deciding a poll's alerts, committing offsets, the on-call work. */
    static Timer step(MeterRegistry registry, String step, String description) {
        return histogram(Timer.builder("certflow.sink.delivery.step").description(description).tag("step", step), registry);
    }

    private static Timer histogram(Timer.Builder builder, MeterRegistry registry) {
        return builder.publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
    }
}
