package dev.certflow.streams;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateName;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.Silence;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.serde.AvroSerde;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.state.StoreBuilder;
import org.apache.kafka.streams.state.Stores;

import java.util.function.LongSupplier;

/**
 * The certflow topology (Processor API, every node and store named from {@link Names}).
 *
 * <pre>
 * certificates ─────────────> certificate-processor ──┬─> certificates-expiring
 *                                  │ (+ expiry tick)  ├─> certificate-renewals (every certificate's renewal state)
 *                                  │                  ├─> renewals-failed (tombstones on removal)
 * renewal-attempts ─────────> renewal-processor ──────┼─> certificate-alerts
 * certificate-name-matches ─> name-match-processor ───┴─> certificate-names (keyed by parent domain)
 * certificate-names ────────> name-index-processor ─────> certificate-name-matches (keyed by certificate key)
 * source-status ────────────> source-status-processor ──> certificate-alerts
 * alert-silences ───────────> alert-silences-processor ─> alert-silence-store (global, for GET /v1/silences)
 * alert-acknowledgements ───> alert-acknowledgements-processor ─> alert-acknowledgement-store (global, for GET /v1/alerts)
 * </pre>
 *
 * The first three sources share stores, so they form one sub-topology and must be co-partitioned
 * (same key, same partition count: all are keyed by the certificate key string); {@link CoPartitioning}
 * checks the partition counts before the application starts. The name index is its own
 * sub-topology, partitioned by parent domain; it talks to the certificates' tasks only through the
 * two explicitly declared topics {@code certificate-names} and {@code certificate-name-matches}.
 */
public final class CertflowTopology {
    private CertflowTopology() {
    }

    public static Topology buildTopology(Topics topics, StreamsSettings settings, CertflowMetrics metrics) {
        return buildTopology(topics, settings, metrics, null);
    }

    /**
     * @param clock "now" of every evaluation in epoch milliseconds (a simulator's clock), or null for Kafka
     *              Streams' own wall clock, which also times punctuation, commits and timeouts
     */
    public static Topology buildTopology(Topics topics, StreamsSettings settings, CertflowMetrics metrics, LongSupplier clock) {
        Topics.Topic<String, Certificate> certificates = topics.certificates();
        Topics.Topic<String, RenewalAttempt> attempts = topics.renewalAttempts();
        Topics.Topic<String, SourceStatus> sourceStatus = topics.sourceStatus();
        Topics.Topic<String, ExpiringCertificate> expiring = topics.certificatesExpiring();
        Topics.Topic<String, FailedRenewal> failed = topics.renewalsFailed();
        Topics.Topic<String, CertificateRenewal> renewals = topics.certificateRenewals();
        Topics.Topic<String, Alert> alerts = topics.certificateAlerts();
        Topics.Topic<String, CertificateName> names = topics.certificateNames();
        Topics.Topic<String, CertificateNameMatch> matches = topics.certificateNameMatches();
        Serde<String> str = Serdes.String();
        CertificateLifecycle.Setup lifecycle = new CertificateLifecycle.Setup(new ExpiryRules(settings), new RenewalPolicy(settings.renewal), metrics,
                clock, settings.ownerRules());

        Topology t = new Topology();
        t.addSource(Names.CERTIFICATES_SOURCE, str.deserializer(), certificates.valueSerde().deserializer(), certificates.name());
        t.addSource(Names.RENEWAL_ATTEMPTS_SOURCE, str.deserializer(), attempts.valueSerde().deserializer(), attempts.name());
        t.addSource(Names.SOURCE_STATUS_SOURCE, str.deserializer(), sourceStatus.valueSerde().deserializer(), sourceStatus.name());
        t.addSource(Names.MATCHES_SOURCE, str.deserializer(), matches.valueSerde().deserializer(), matches.name());
        t.addSource(Names.NAMES_SOURCE, str.deserializer(), names.valueSerde().deserializer(), names.name());

        String cp = Names.CERTIFICATE_PROCESSOR;
        String rp = Names.RENEWAL_PROCESSOR;
        String mp = Names.MATCH_PROCESSOR;
        String np = Names.NAME_INDEX_PROCESSOR;
        t.addProcessor(cp, () -> new CertificateProcessor(lifecycle, settings.tickInterval, settings.maxTransitionsPerTick), Names.CERTIFICATES_SOURCE);
        t.addProcessor(rp, () -> new RenewalProcessor(lifecycle), Names.RENEWAL_ATTEMPTS_SOURCE);
        t.addProcessor(mp, () -> new MatchProcessor(lifecycle), Names.MATCHES_SOURCE);
        t.addProcessor(np, NameIndexProcessor::new, Names.NAMES_SOURCE);
        t.addProcessor(Names.SOURCE_STATUS_PROCESSOR, () -> new SourceStatusProcessor(settings.sourceDownAfterFailures, metrics, clock, settings.ownerRules()), Names.SOURCE_STATUS_SOURCE);

        // every processor of a certificate's task evaluates it (CertificateLifecycle), so all three reach its stores
        String[] task = {cp, rp, mp};
        t.addStateStore(store(Names.CERTIFICATE_STORE, str, avro(Certificate.class, topics)), task);
        t.addStateStore(store(Names.SCHEDULE_STORE, str, Serdes.Long()), task);
        t.addStateStore(store(Names.INDEX_STORE, Serdes.Bytes(), Serdes.ByteArray()), task);
        t.addStateStore(store(Names.EXPIRY_ORDER_STORE, Serdes.Bytes(), Serdes.ByteArray()), task);
        t.addStateStore(store(Names.EXPIRING_STORE, str, avro(ExpiringCertificate.class, topics)), task);
        t.addStateStore(store(Names.UNKNOWN_EXPIRY_STORE, str, avro(Certificate.class, topics)), cp);
        t.addStateStore(store(Names.RENEWAL_STATE_STORE, str, new JsonSerde<>(RenewalState.class)), cp, rp);
        t.addStateStore(store(Names.FAILED_STORE, str, avro(FailedRenewal.class, topics)), task);
        t.addStateStore(store(Names.CERTIFICATE_ALERT_STORE, str, avro(Alert.class, topics)), task);
        t.addStateStore(store(Names.GENERATION_STORE, str, new JsonSerde<>(Generation.class)), task);
        t.addStateStore(store(Names.MATCH_STORE, str, avro(CertificateNameMatch.class, topics)), task);
        t.addStateStore(store(Names.FLEET_SUMMARY_STORE, str, new JsonSerde<>(FleetIndex.Entry.class)), task);
        // derived from fleet-summary-store, rebuilt when stale (FleetIndex.rebuildIfStale): no changelog
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.FLEET_INDEX_STORE), Serdes.Bytes(), Serdes.ByteArray())
                .withCachingDisabled().withLoggingDisabled(), task);
        // counters change on nearly every record: cached, so the changelog gets one write per key per commit
        t.addStateStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(Names.FLEET_COUNTS_STORE), Serdes.Bytes(), Serdes.Long())
                .withCachingEnabled(), task);
        t.addStateStore(store(Names.HISTORY_STORE, str, new JsonSerde<>(CertificateHistory.Events.class)), task);
        t.addStateStore(store(Names.RENEWAL_ROW_STORE, str, avro(CertificateRenewal.class, topics)), task);
        t.addStateStore(store(Names.NAME_INDEX_STORE, str, avro(CertificateName.class, topics)), np);
        t.addStateStore(store(Names.NAME_RESULT_STORE, str, avro(CertificateNameMatch.class, topics)), np);
        t.addStateStore(store(Names.SOURCE_STATE_STORE, str, new JsonSerde<>(SourceState.class)), Names.SOURCE_STATUS_PROCESSOR);
        t.addStateStore(store(Names.SOURCE_ALERT_STORE, str, avro(Alert.class, topics)), Names.SOURCE_STATUS_PROCESSOR);
        t.addStateStore(store(Names.SOURCE_POLL_STORE, str, avro(SourceStatus.class, topics)), Names.SOURCE_STATUS_PROCESSOR);

        t.addSink(Names.EXPIRING_SINK, expiring.name(), str.serializer(), expiring.valueSerde().serializer(), task);
        t.addSink(Names.RENEWALS_SINK, renewals.name(), str.serializer(), renewals.valueSerde().serializer(), task);
        t.addSink(Names.FAILED_SINK, failed.name(), str.serializer(), failed.valueSerde().serializer(), cp, rp);
        t.addSink(Names.CERTIFICATE_ALERTS_SINK, alerts.name(), str.serializer(), alerts.valueSerde().serializer(), task);
        t.addSink(Names.NAMES_SINK, names.name(), str.serializer(), names.valueSerde().serializer(), task);
        t.addSink(Names.MATCHES_SINK, matches.name(), str.serializer(), matches.valueSerde().serializer(), np);
        t.addSink(Names.SOURCE_ALERTS_SINK, alerts.name(), str.serializer(), alerts.valueSerde().serializer(), Names.SOURCE_STATUS_PROCESSOR);
        // silences and acknowledgements: global stores (no changelog: the compacted topic is its own), so every instance
        // lists every silence and marks the same alerts acknowledged
        global(t, topics.alertSilences(), Silence.class, topics, Names.SILENCE_STORE, Names.SILENCES_SOURCE, Names.SILENCE_PROCESSOR);
        global(t, topics.alertAcknowledgements(), Acknowledgement.class, topics, Names.ACKNOWLEDGEMENT_STORE, Names.ACKNOWLEDGEMENTS_SOURCE,
                Names.ACKNOWLEDGEMENT_PROCESSOR);
        return t;
    }

    private static <V extends org.apache.avro.specific.SpecificRecord> void global(Topology t, Topics.Topic<String, V> topic, Class<V> type,
                                                                                   Topics topics, String store, String source, String processor) {
        Serde<String> str = Serdes.String();
        t.addGlobalStore(Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(store), str, avro(type, topics))
                        .withLoggingDisabled().withCachingDisabled(),
                source, str.deserializer(), topic.valueSerde().deserializer(), topic.name(), processor, () -> new GlobalStoreUpdater<V>(store));
    }

    private static <V extends org.apache.avro.specific.SpecificRecord> Serde<V> avro(Class<V> type, Topics topics) {
        return AvroSerde.of(type, topics.serdeConfig(), false);
    }

    private static <K, V> StoreBuilder<?> store(String name, Serde<K> keySerde, Serde<V> valueSerde) {
        // uncached: forwards leave at once either way; a cache would only merge the changelog writes of a key put
        // twice in one commit, which is rare here, and costs more per put (the counters' cache: 17 % of R3's stream thread)
        return Stores.keyValueStoreBuilder(Stores.persistentKeyValueStore(name), keySerde, valueSerde).withCachingDisabled();
    }
}
