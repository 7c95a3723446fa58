package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.TopologyDescription;
import org.junit.jupiter.api.Test;

import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** The restore listener: one counter per store of the real topology, from 0, counting restored records per store. */
class RestoreMetricsTest {
    private static TopologyDescription topology() {
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = "dummy:9092";
        kafka.schemaRegistryUrl = "mock://restore-metrics";
        return CertflowTopology.buildTopology(kafka.topics(), new StreamsSettings(), new CertflowMetrics(null)).describe();
    }

    @Test
    void everyStoreHasACounterFromTheStartAndRestoredRecordsAddUpPerStore() {
        TopologyDescription topology = topology();
        Set<String> stores = RestoreMetrics.stores(topology);
        assertThat(stores).contains(Names.CERTIFICATE_STORE, Names.EXPIRING_STORE);
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        RestoreMetrics listener = new RestoreMetrics(registry, topology);

        String scrape = registry.scrape();
        assertThat(scrape).contains("# HELP certflow_streams_restored_records_total Records restored");
        for (String store : stores) {
            assertThat(registry.get(RestoreMetrics.RESTORED).tag("store", store).counter().count()).as(store).isZero();
        }

        TopicPartition p0 = new TopicPartition("app-" + Names.CERTIFICATE_STORE + "-changelog", 0);
        TopicPartition p3 = new TopicPartition("app-" + Names.CERTIFICATE_STORE + "-changelog", 3);
        listener.onRestoreStart(p0, Names.CERTIFICATE_STORE, 0, 120);
        listener.onBatchRestored(p0, Names.CERTIFICATE_STORE, 99, 100);
        listener.onBatchRestored(p0, Names.CERTIFICATE_STORE, 119, 17);
        listener.onRestoreEnd(p0, Names.CERTIFICATE_STORE, 117);
        listener.onRestoreStart(p3, Names.CERTIFICATE_STORE, 40, 45);
        listener.onBatchRestored(p3, Names.CERTIFICATE_STORE, 44, 5);
        listener.onRestoreSuspended(p3, Names.CERTIFICATE_STORE, 5);

        assertThat(registry.get(RestoreMetrics.RESTORED).tag("store", Names.CERTIFICATE_STORE).counter().count()).isEqualTo(122);
        assertThat(registry.get(RestoreMetrics.RESTORED).tag("store", Names.EXPIRING_STORE).counter().count()).isZero();
        assertThat(registry.scrape()).contains("certflow_streams_restored_records_total{store=\"" + Names.CERTIFICATE_STORE + "\"} 122.0");
    }
}
