package dev.certflow.schemas;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateName;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.Silence;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.serde.AvroSerde;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Every certflow topic, declared once: name, partitions, cleanup policy, retention and the serdes
 * of its keys and values. An instance binds the declarations to a name prefix and a schema
 * registry; modules take their topics from here and nowhere else.
 */
public final class Topics {
    static {
        // generated classes (and their copy builders) need to be trusted before any serde exists
        dev.certflow.schemas.serde.TrustedPackages.trustCertflowEvents();
    }

    private static final String CERT_KEY = "certificate key (string form)";

    public static final TopicSpec CERTIFICATES = new TopicSpec("certificates", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, Certificate.class, "ingest", "streams, sink, other teams");
    public static final TopicSpec RENEWAL_ATTEMPTS = new TopicSpec("renewal-attempts", 6, TopicSpec.Cleanup.DELETE, Duration.ofDays(400),
            CERT_KEY, RenewalAttempt.class, "ingest", "streams, sink");
    public static final TopicSpec SOURCE_STATUS = new TopicSpec("source-status", 3, TopicSpec.Cleanup.COMPACT, null,
            "source instance name", SourceStatus.class, "ingest", "streams (SOURCE_DOWN), sink");
    public static final TopicSpec INGEST_CHECKPOINTS = new TopicSpec("ingest-checkpoints", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, IngestCheckpoint.class, "ingest", "ingest");
    public static final TopicSpec CERTIFICATES_EXPIRING = new TopicSpec("certificates-expiring", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, ExpiringCertificate.class, "streams", "sink, other teams");
    public static final TopicSpec RENEWALS_FAILED = new TopicSpec("renewals-failed", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, FailedRenewal.class, "streams", "sink, other teams");
    public static final TopicSpec CERTIFICATE_ALERTS = new TopicSpec("certificate-alerts", 6, TopicSpec.Cleanup.DELETE, Duration.ofDays(90),
            "alert id", Alert.class, "streams", "sink, on-call tooling");
    /**
     * Every certificate's renewal state (not only the expiring table's): the sink's certificate_renewals
     * view and its renewal history, and any team that wants to know where each certificate stands.
     */
    public static final TopicSpec CERTIFICATE_RENEWALS = new TopicSpec("certificate-renewals", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, CertificateRenewal.class, "streams", "sink, other teams");
    /**
     * Internal to streams (not a contract for other consumers): the name index, keyed by a name's parent domain: every holder of a name meets in one task.
     * Same partition count as {@link #CERTIFICATES} is not required (read alone); deleted after 7 days,
     * the index itself is a changelogged store.
     */
    public static final TopicSpec CERTIFICATE_NAMES = new TopicSpec("certificate-names", 6, TopicSpec.Cleanup.DELETE, Duration.ofDays(7),
            "parent domain of the name", CertificateName.class, "streams", "streams");
    /** Internal to streams: the name index's conclusions back to each certificate's task, read together with {@link #CERTIFICATES}, so the same partition count. */
    public static final TopicSpec CERTIFICATE_NAME_MATCHES = new TopicSpec("certificate-name-matches", 6, TopicSpec.Cleanup.COMPACT, null,
            CERT_KEY, CertificateNameMatch.class, "streams", "streams");
    /**
     * Silences, written by the query API of any streams instance (keyed by silence id; expiring one
     * writes it again with an earlier end, never a tombstone); every streams instance keeps a global
     * store of it and the sink applies them.
     */
    public static final TopicSpec ALERT_SILENCES = new TopicSpec("alert-silences", 3, TopicSpec.Cleanup.COMPACT, null,
            "silence id", Silence.class, "streams (query API)", "sink, streams");
    /** Acknowledgements of incidents, written by the query API (keyed by incident id); the sink applies them, streams keeps a global store of them (GET /v1/alerts marks acknowledged alerts). */
    public static final TopicSpec ALERT_ACKNOWLEDGEMENTS = new TopicSpec("alert-acknowledgements", 3, TopicSpec.Cleanup.COMPACT, null,
            "incident id", Acknowledgement.class, "streams (query API)", "sink, streams");
    public static final TopicSpec ALERT_DELIVERIES_DLQ = new TopicSpec("alert-deliveries-dlq", 3, TopicSpec.Cleanup.DELETE, Duration.ofDays(30),
            "alert id", Alert.class, "sink", "operators");
    public static final TopicSpec DLQ = new TopicSpec("certflow-dlq", 3, TopicSpec.Cleanup.DELETE, Duration.ofDays(30),
            "original key bytes", byte[].class, "all", "operators");

    /** All declarations, in the order the README's topic table lists them. */
    public static final List<TopicSpec> ALL = List.of(CERTIFICATES, RENEWAL_ATTEMPTS, SOURCE_STATUS, INGEST_CHECKPOINTS,
            CERTIFICATES_EXPIRING, RENEWALS_FAILED, CERTIFICATE_RENEWALS, CERTIFICATE_ALERTS, CERTIFICATE_NAMES, CERTIFICATE_NAME_MATCHES,
            ALERT_SILENCES, ALERT_ACKNOWLEDGEMENTS, ALERT_DELIVERIES_DLQ, DLQ);

    private final String prefix;
    private final Map<String, ?> serdeConfig;

    /**
     * @param prefix      prepended to every base name ({@code ""} for none)
     * @param serdeConfig at least {@code schema.registry.url}
     */
    public Topics(String prefix, Map<String, ?> serdeConfig) {
        this.prefix = prefix == null ? "" : prefix;
        this.serdeConfig = Map.copyOf(serdeConfig);
    }

    public String prefix() {
        return prefix;
    }

    public Map<String, ?> serdeConfig() {
        return serdeConfig;
    }

    public Topic<String, Certificate> certificates() {
        return avro(CERTIFICATES, Certificate.class);
    }

    public Topic<String, RenewalAttempt> renewalAttempts() {
        return avro(RENEWAL_ATTEMPTS, RenewalAttempt.class);
    }

    public Topic<String, SourceStatus> sourceStatus() {
        return avro(SOURCE_STATUS, SourceStatus.class);
    }

    public Topic<String, IngestCheckpoint> ingestCheckpoints() {
        return avro(INGEST_CHECKPOINTS, IngestCheckpoint.class);
    }

    public Topic<String, ExpiringCertificate> certificatesExpiring() {
        return avro(CERTIFICATES_EXPIRING, ExpiringCertificate.class);
    }

    public Topic<String, FailedRenewal> renewalsFailed() {
        return avro(RENEWALS_FAILED, FailedRenewal.class);
    }

    public Topic<String, CertificateRenewal> certificateRenewals() {
        return avro(CERTIFICATE_RENEWALS, CertificateRenewal.class);
    }

    public Topic<String, Alert> certificateAlerts() {
        return avro(CERTIFICATE_ALERTS, Alert.class);
    }

    public Topic<String, CertificateName> certificateNames() {
        return avro(CERTIFICATE_NAMES, CertificateName.class);
    }

    public Topic<String, CertificateNameMatch> certificateNameMatches() {
        return avro(CERTIFICATE_NAME_MATCHES, CertificateNameMatch.class);
    }

    public Topic<String, Silence> alertSilences() {
        return avro(ALERT_SILENCES, Silence.class);
    }

    public Topic<String, Acknowledgement> alertAcknowledgements() {
        return avro(ALERT_ACKNOWLEDGEMENTS, Acknowledgement.class);
    }

    public Topic<String, Alert> alertDeliveriesDlq() {
        return avro(ALERT_DELIVERIES_DLQ, Alert.class);
    }

    public Topic<byte[], byte[]> deadLetters() {
        return new Topic<>(DLQ, DLQ.name(prefix), Serdes.ByteArray(), Serdes.ByteArray());
    }

    /** The full name of a declared topic under this prefix. */
    public String name(TopicSpec spec) {
        return spec.name(prefix);
    }

    private <V extends SpecificRecord> Topic<String, V> avro(TopicSpec spec, Class<V> type) {
        return new Topic<>(spec, spec.name(prefix), Serdes.String(), AvroSerde.of(type, serdeConfig, false));
    }

    /** One topic bound to its full name and serdes. */
    public record Topic<K, V>(TopicSpec spec, String name, Serde<K> keySerde, Serde<V> valueSerde) {
    }
}
