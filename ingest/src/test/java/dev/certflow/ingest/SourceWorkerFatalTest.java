package dev.certflow.ingest;

import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.publish.Publisher;
import dev.certflow.runtime.config.KafkaSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * A poll that dies of an Error (an OutOfMemoryError in an M1 run at 1M certificates) must not leave
 * its source silently unpolled: the worker names the error, counts it, and reports itself dead.
 */
class SourceWorkerFatalTest {

    @Test
    void aPollThatDiesOfAnErrorMarksTheSourceDead() {
        YeastarSourceConfig config = new YeastarSourceConfig();
        config.name = "pbx-berlin";
        config.baseUrl = "http://127.0.0.1:1";
        KafkaSettings kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://source-worker-fatal";
        Clock clock = Clock.fixed(Instant.parse("2026-12-01T00:00:00Z"), ZoneOffset.UTC);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Publisher publisher = new Publisher(config.name, kafka, clock, 100, 1);
        SourceWorker worker = new SourceWorker(config, (now, sink) -> {
            throw new OutOfMemoryError("Java heap space");
        }, publisher, new IngestMetrics(registry, clock), clock, Duration.ofSeconds(15));

        assertThat(worker.fatal()).isNull();
        assertThatThrownBy(worker::pollOnce).isInstanceOf(OutOfMemoryError.class);

        assertThat(worker.fatal()).isEqualTo("java.lang.OutOfMemoryError");
        assertThat(registry.find("certflow.ingest.errors").tag("source", "pbx-berlin").counter().count()).isEqualTo(1.0);
    }
}
