package dev.certflow.streams;

/** Every processor, sink and state store name of the topology (changelogs are {@code <applicationId>-<store>-changelog}). */
public final class Names {
    public static final String CERTIFICATES_SOURCE = "certificates-source";
    public static final String RENEWAL_ATTEMPTS_SOURCE = "renewal-attempts-source";
    public static final String SOURCE_STATUS_SOURCE = "source-status-source";
    public static final String NAMES_SOURCE = "certificate-names-source";
    public static final String MATCHES_SOURCE = "certificate-name-matches-source";
    public static final String SILENCES_SOURCE = "alert-silences-source";
    public static final String ACKNOWLEDGEMENTS_SOURCE = "alert-acknowledgements-source";

    public static final String CERTIFICATE_PROCESSOR = "certificate-processor";
    public static final String RENEWAL_PROCESSOR = "renewal-processor";
    public static final String SOURCE_STATUS_PROCESSOR = "source-status-processor";
    public static final String NAME_INDEX_PROCESSOR = "name-index-processor";
    public static final String MATCH_PROCESSOR = "name-match-processor";
    public static final String SILENCE_PROCESSOR = "alert-silences-processor";
    public static final String ACKNOWLEDGEMENT_PROCESSOR = "alert-acknowledgements-processor";

    public static final String EXPIRING_SINK = "certificates-expiring-sink";
    public static final String FAILED_SINK = "renewals-failed-sink";
    public static final String CERTIFICATE_ALERTS_SINK = "certificate-alerts-sink";
    public static final String SOURCE_ALERTS_SINK = "source-alerts-sink";
    public static final String NAMES_SINK = "certificate-names-sink";
    public static final String MATCHES_SINK = "certificate-name-matches-sink";
    public static final String RENEWALS_SINK = "certificate-renewals-sink";

    /** Latest {@code Certificate} per certificate key. */
    public static final String CERTIFICATE_STORE = "certificate-store";
    /** Next bucket transition time per certificate key. */
    public static final String SCHEDULE_STORE = "expiry-schedule-store";
    /** Time-ordered index: next transition time + certificate key; the punctuator scans it up to now. */
    public static final String INDEX_STORE = "expiry-index-store";
    /** Expiry-ordered index: notAfter + certificate key; answers "expiring within N days" in expiry order. */
    public static final String EXPIRY_ORDER_STORE = "expiry-order-store";
    /** The expiring table: {@code ExpiringCertificate} per certificate key. */
    public static final String EXPIRING_STORE = "expiring-store";
    /** Certificates without a usable expiry. */
    public static final String UNKNOWN_EXPIRY_STORE = "expiry-unknown-store";
    /** Renewal history per certificate (internal). */
    public static final String RENEWAL_STATE_STORE = "renewal-state-store";
    /** The failed renewals table: {@code FailedRenewal} per certificate key. */
    public static final String FAILED_STORE = "failed-renewal-store";
    /** Active certificate alerts per slot. */
    public static final String CERTIFICATE_ALERT_STORE = "certificate-alert-store";
    /** The current generation (expiry, first seen, issuance, renewal observed) per certificate key. */
    public static final String GENERATION_STORE = "certificate-generation-store";
    /** The name index's last conclusion per certificate key (superseded by, newer holder). */
    public static final String MATCH_STORE = "certificate-match-store";
    /** The last {@code CertificateRenewal} written per certificate key (every certificate, not only the expiring ones). */
    public static final String RENEWAL_ROW_STORE = "certificate-renewal-store";
    /** The name index: {@code parent|name|certificate key} to the certificate's entry (partitioned by parent domain). */
    public static final String NAME_INDEX_STORE = "name-index-store";
    /** What the name index last sent about each certificate whose primary name it holds. */
    public static final String NAME_RESULT_STORE = "name-match-result-store";
    /** Poll history per source instance. */
    public static final String SOURCE_STATE_STORE = "source-state-store";
    /** Active SOURCE_DOWN alerts per source instance. */
    public static final String SOURCE_ALERT_STORE = "source-alert-store";

    /** The dashboard: per certificate, what its index entries and counters were derived from ({@code FleetIndex.Entry}). */
    public static final String FLEET_SUMMARY_STORE = "fleet-summary-store";
    /** The dashboard's ordered indexes: by state, tenant, source, display name (each then expiry), names for search. */
    public static final String FLEET_INDEX_STORE = "fleet-index-store";
    /** The dashboard's counters: per state (fleet, tenant, source), expiry per day, firing alerts per kind, last change. */
    public static final String FLEET_COUNTS_STORE = "fleet-counts-store";
    /** The last 50 attempts, alert transitions and expiry changes per certificate key. */
    public static final String HISTORY_STORE = "certificate-history-store";
    /** The latest {@code SourceStatus} (poll outcome, counts) per source instance. */
    public static final String SOURCE_POLL_STORE = "source-poll-store";
    /** Global: every silence (topic alert-silences) on every instance, so each answers GET /v1/silences alike. */
    public static final String SILENCE_STORE = "alert-silence-store";
    /** Global: every acknowledgement (topic alert-acknowledgements) by incident id, so every instance marks the same alerts acknowledged. */
    public static final String ACKNOWLEDGEMENT_STORE = "alert-acknowledgement-store";

    private Names() {
    }
}
