package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

/**
 * The certflow topology (Processor API, every node and store named from {@link Names}).
 *
 * <pre>
 * certificates ──> certificate-processor ──┬─> certificates-expiring
 *                      │ (+ expiry tick)   ├─> renewals-failed (tombstones on removal)
 * renewal-attempts ─> renewal-processor ───┴─> certificate-alerts
 * source-status ───> source-status-processor ─> certificate-alerts
 * </pre>
 *
 * The first two sources share stores, so they form one sub-topology and must be co-partitioned
 * (same key, same partition count: both are keyed by the certificate key string); {@link CoPartitioning}
 * checks the partition counts before the application starts.
 */
public final class CertflowTopology {
    private CertflowTopology() {
    }

    public static Topology buildTopology(Topics topics, StreamsSettings settings, CertflowMetrics metrics) {
        Topics.Topic<String, Certificate> certificates = topics.certificates();
        Topics.Topic<String, RenewalAttempt> attempts = topics.renewalAttempts();
        Topics.Topic<String, SourceStatus> sourceStatus = topics.sourceStatus();
        Topics.Topic<String, ExpiringCertificate> expiring = topics.certificatesExpiring();
        Topics.Topic<String, FailedRenewal> failed = topics.renewalsFailed();
        Topics.Topic<String, Alert> alerts = topics.certificateAlerts();
        Serde<String> str = Serdes.String();
        ExpiryRules rules = new ExpiryRules(settings);

        Topology t = new Topology();
        t.addSource(Names.CERTIFICATES_SOURCE, str.deserializer(), certificates.valueSerde().deserializer(), certificates.name());
        t.addSource(Names.RENEWAL_ATTEMPTS_SOURCE, str.deserializer(), attempts.valueSerde().deserializer(), attempts.name());
        t.addSource(Names.SOURCE_STATUS_SOURCE, str.deserializer(), sourceStatus.valueSerde().deserializer(), sourceStatus.name());

        t.addProcessor(Names.CERTIFICATE_PROCESSOR, () -> new CertificateProcessor(rules, settings.tickInterval, settings.maxTransitionsPerTick, metrics), Names.CERTIFICATES_SOURCE);
        t.addProcessor(Names.RENEWAL_PROCESSOR, () -> new RenewalProcessor(metrics), Names.RENEWAL_ATTEMPTS_SOURCE);
        t.addProcessor(Names.SOURCE_STATUS_PROCESSOR, () -> new SourceStatusProcessor(settings.sourceDownAfterFailures, metrics), Names.SOURCE_STATUS_SOURCE);

        String cp = Names.CERTIFICATE_PROCESSOR;
        String rp = Names.RENEWAL_PROCESSOR;
        t.addStateStore(store(Names.CERTIFICATE_STORE, str, AvroSerde.of(Certificate.class, topics.serdeConfig(), false)), cp, rp);
        t.addStateStore(store(Names.SCHEDULE_STORE, str, Serdes.Long()), cp);
        t.addStateStore(store(Names.INDEX_STORE, Serdes.Bytes(), Serdes.ByteArray()), cp);
        t.addStateStore(store(Names.EXPIRY_ORDER_STORE, Serdes.Bytes(), Serdes.ByteArray()), cp);
        t.addStateStore(store(Names.EXPIRING_STORE, str, AvroSerde.of(ExpiringCertificate.class, topics.serdeConfig(), false)), cp);
        t.addStateStore(store(Names.UNKNOWN_EXPIRY_STORE, str, AvroSerde.of(Certificate.class, topics.serdeConfig(), false)), cp);
        t.addStateStore(store(Names.RENEWAL_STATE_STORE, str, new JsonSerde<>(RenewalState.class)), cp, rp);
        t.addStateStore(store(Names.FAILED_STORE, str, AvroSerde.of(FailedRenewal.class, topics.serdeConfig(), false)), cp, rp);
        t.addStateStore(store(Names.CERTIFICATE_ALERT_STORE, str, AvroSerde.of(Alert.class, topics.serdeConfig(), false)), cp, rp);
        t.addStateStore(store(Names.SOURCE_STATE_STORE, str, new JsonSerde<>(SourceState.class)), Names.SOURCE_STATUS_PROCESSOR);
        t.addStateStore(store(Names.SOURCE_ALERT_STORE, str, AvroSerde.of(Alert.class, topics.serdeConfig(), false)), Names.SOURCE_STATUS_PROCESSOR);

        t.addSink(Names.EXPIRING_SINK, expiring.name(), str.serializer(), expiring.valueSerde().serializer(), cp);
        t.addSink(Names.FAILED_SINK, failed.name(), str.serializer(), failed.valueSerde().serializer(), cp, rp);
        t.addSink(Names.CERTIFICATE_ALERTS_SINK, alerts.name(), str.serializer(), alerts.valueSerde().serializer(), cp, rp);
        t.addSink(Names.SOURCE_ALERTS_SINK, alerts.name(), str.serializer(), alerts.valueSerde().serializer(), Names.SOURCE_STATUS_PROCESSOR);
        return t;
    }

    private static <K, V> StoreBuilder<?> store(String name, Serde<K> keySerde, Serde<V> valueSerde) {
        // caching off: rows and alerts leave the processor when they happen, not at commit
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), keySerde, valueSerde).withCachingDisabled();
    }
}
