package dev.certflow.sink.delivery;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Duration;

/** The delivery path's timers, with histogram buckets so a Prometheus query can take their percentiles. */
final class DeliveryTimers {
    private DeliveryTimers() {
    }

    static Timer timer(MeterRegistry registry, String name, String description, String channel) {
        return Timer.builder(name).description(description).tag("channel", channel)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
    }

    /** One step of the delivery consumer's round: deciding a poll's alerts, committing offsets, the on-call work. */
    static Timer step(MeterRegistry registry, String step, String description) {
        return Timer.builder("certflow.sink.delivery.step").description(description).tag("step", step)
                .publishPercentileHistogram().minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(1))
                .register(registry);
    }
}
