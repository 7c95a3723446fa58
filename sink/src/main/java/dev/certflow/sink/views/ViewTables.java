package dev.certflow.sink.views;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.sink.delivery.AlertFields;

import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;

/**
 * The SQL of every view table: a statement per table and the binding of one record's fields
 * to it. Upserts overwrite the whole row (the topics are compacted tables: the last value is the
 * truth); the alert history is append-only. Public for the benchmark.
 */
public final class ViewTables {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ViewTables() {
    }

    /** Binds one value to a prepared statement (the key first where the table has one). */
    public interface Binder<V> {
        void bind(PreparedStatement ps, String key, V value, String topic, int partition, long offset) throws SQLException;
    }

    /** One table: insert/upsert and delete SQL and the binder. */
    public record Table<V>(String name, String upsertSql, String plainInsertSql, String deleteSql, Binder<V> binder) {
    }

    static final String CERT_COLUMNS = "cert_key, source_kind, source_name, tenant, source_id, name, common_name, sans, source_type, cert_type, "
            + "not_after, expiry_status, not_after_raw, not_before, created_at, issuer, fingerprint, issuance_method, auto_renewal, status, "
            + "department_id, department_name, observed_at, attributes, updated_at";
    private static final String CERT_VALUES = "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, now()";

    public static final Table<Certificate> CERTIFICATES = new Table<>("certificates",
            "INSERT INTO certificates (" + CERT_COLUMNS + ") VALUES (" + CERT_VALUES + ") ON CONFLICT (cert_key) DO UPDATE SET "
                    + updateAll(CERT_COLUMNS),
            "INSERT INTO certificates (" + CERT_COLUMNS + ") VALUES (" + CERT_VALUES + ")",
            "DELETE FROM certificates WHERE cert_key = ?",
            (ps, key, c, t, p, o) -> {
                int i = bindKey(ps, 1, key, c.getKey());
                ps.setString(i++, c.getName());
                ps.setString(i++, c.getCommonName());
                ps.setArray(i++, ps.getConnection().createArrayOf("text", c.getSans().toArray()));
                ps.setString(i++, c.getSourceType());
                ps.setString(i++, c.getType().name());
                ps.setObject(i++, ts(c.getNotAfter()));
                ps.setString(i++, c.getExpiryStatus().name());
                ps.setString(i++, c.getNotAfterRaw());
                ps.setObject(i++, ts(c.getNotBefore()));
                ps.setObject(i++, ts(c.getCreatedAt()));
                ps.setString(i++, c.getIssuer());
                ps.setString(i++, c.getFingerprint());
                ps.setString(i++, c.getIssuanceMethod().name());
                if (c.getAutoRenewal() == null) {
                    ps.setNull(i++, Types.BOOLEAN);
                } else {
                    ps.setBoolean(i++, c.getAutoRenewal());
                }
                ps.setString(i++, c.getStatus());
                ps.setString(i++, c.getDepartmentId());
                ps.setString(i++, c.getDepartmentName());
                ps.setObject(i++, ts(c.getObservedAt()));
                ps.setString(i, json(c.getAttributes()));
            });

    private static final String EXP_COLUMNS = "cert_key, source_kind, source_name, tenant, source_id, name, common_name, cert_type, not_after, "
            + "days_left, bucket, threshold_days, evaluated_at, renewal_status, expected_renewal_at, renewal_overdue_at, renewal_policy, "
            + "replaced_by, owner, updated_at";

    public static final Table<ExpiringCertificate> EXPIRING = new Table<>("expiring_certificates",
            "INSERT INTO expiring_certificates (" + EXP_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                    + "ON CONFLICT (cert_key) DO UPDATE SET " + updateAll(EXP_COLUMNS),
            null,
            "DELETE FROM expiring_certificates WHERE cert_key = ?",
            (ps, key, e, t, p, o) -> {
                Certificate c = e.getCertificate();
                int i = bindKey(ps, 1, key, c.getKey());
                ps.setString(i++, c.getName());
                ps.setString(i++, c.getCommonName());
                ps.setString(i++, c.getType().name());
                ps.setObject(i++, ts(c.getNotAfter()));
                ps.setInt(i++, e.getDaysLeft());
                ps.setString(i++, e.getBucket());
                if (e.getThresholdDays() == null) {
                    ps.setNull(i++, Types.INTEGER);
                } else {
                    ps.setInt(i++, e.getThresholdDays());
                }
                ps.setObject(i++, ts(e.getEvaluatedAt()));
                ps.setString(i++, e.getRenewalStatus().name());
                ps.setObject(i++, ts(e.getExpectedRenewalAt()));
                ps.setObject(i++, ts(e.getRenewalOverdueAt()));
                ps.setString(i++, e.getRenewalPolicy());
                ps.setString(i++, e.getReplacedBy());
                ps.setString(i, e.getOwner());
            });

    private static final String RENEWAL_COLUMNS = "cert_key, source_kind, source_name, tenant, source_id, not_after, renewal_status, renewal_mode, "
            + "expected_renewal_at, renewal_overdue_at, renewal_policy, replaced_by, issued_at, last_renewed_at, last_renewal_of_not_after, "
            + "last_renewal_expected_at, evaluated_at, owner, updated_at";

    /** Every certificate's renewal state; the trigger on the table keeps {@code renewal_history} in the same transaction. */
    public static final Table<CertificateRenewal> RENEWALS = new Table<>("certificate_renewals",
            "INSERT INTO certificate_renewals (" + RENEWAL_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                    + "ON CONFLICT (cert_key) DO UPDATE SET " + updateAll(RENEWAL_COLUMNS),
            null,
            "DELETE FROM certificate_renewals WHERE cert_key = ?",
            (ps, key, r, t, p, o) -> {
                int i = bindKey(ps, 1, key, r.getCertificateKey());
                ps.setObject(i++, ts(r.getNotAfter()));
                ps.setString(i++, r.getRenewalStatus().name());
                ps.setString(i++, r.getRenewalMode());
                ps.setObject(i++, ts(r.getExpectedRenewalAt()));
                ps.setObject(i++, ts(r.getRenewalOverdueAt()));
                ps.setString(i++, r.getRenewalPolicy());
                ps.setString(i++, r.getReplacedBy());
                ps.setObject(i++, ts(r.getIssuedAt()));
                ps.setObject(i++, ts(r.getLastRenewedAt()));
                ps.setObject(i++, ts(r.getLastRenewalOfNotAfter()));
                ps.setObject(i++, ts(r.getLastRenewalExpectedAt()));
                ps.setObject(i++, ts(r.getEvaluatedAt()));
                ps.setString(i, r.getOwner());
            });

    private static final String ATTEMPT_COLUMNS = "cert_key, attempt_id, source_kind, source_name, tenant, source_id, attempt_type, status, "
            + "status_raw, started_at, finished_at, attempted_at, error_code, error_message, sans_snapshot, issued_not_after, observed_at, updated_at";

    /** Keyed (certificate, attempt id): an attempt seen again (RUNNING, then SUCCEEDED) updates its row. */
    public static final Table<RenewalAttempt> ATTEMPTS = new Table<>("renewal_attempts",
            "INSERT INTO renewal_attempts (" + ATTEMPT_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                    + "ON CONFLICT (cert_key, attempt_id) DO UPDATE SET " + updateAll(ATTEMPT_COLUMNS, 2),
            null,
            null,
            (ps, key, a, t, p, o) -> {
                CertificateKey k = a.getCertificateKey();
                int i = 1;
                ps.setString(i++, key != null ? key : dev.certflow.schemas.CertificateKeys.format(k));
                ps.setString(i++, a.getAttemptId());
                ps.setString(i++, k.getSourceKind().name());
                ps.setString(i++, k.getSourceName());
                ps.setString(i++, k.getTenant());
                ps.setString(i++, k.getSourceId());
                ps.setString(i++, a.getAttemptType());
                ps.setString(i++, a.getStatus().name());
                ps.setString(i++, a.getStatusRaw());
                ps.setObject(i++, ts(a.getStartedAt()));
                ps.setObject(i++, ts(a.getFinishedAt()));
                ps.setObject(i++, ts(a.getFinishedAt() != null ? a.getFinishedAt() : a.getStartedAt() != null ? a.getStartedAt() : a.getObservedAt()));
                ps.setString(i++, a.getErrorCode());
                ps.setString(i++, a.getErrorMessage());
                ps.setArray(i++, ps.getConnection().createArrayOf("text", a.getSansSnapshot().toArray()));
                ps.setObject(i++, ts(a.getIssuedNotAfter()));
                ps.setObject(i, ts(a.getObservedAt()));
            });

    private static final String FAILED_COLUMNS = "cert_key, source_kind, source_name, tenant, source_id, common_name, consecutive_failures, "
            + "first_failure_at, last_failure_at, last_error_code, last_error_message, last_attempt_type, last_attempt_id, owner, updated_at";

    public static final Table<FailedRenewal> FAILED = new Table<>("failed_renewals",
            "INSERT INTO failed_renewals (" + FAILED_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                    + "ON CONFLICT (cert_key) DO UPDATE SET " + updateAll(FAILED_COLUMNS),
            null,
            "DELETE FROM failed_renewals WHERE cert_key = ?",
            (ps, key, f, t, p, o) -> {
                int i = bindKey(ps, 1, key, f.getCertificateKey());
                ps.setString(i++, f.getCertificate() == null ? null : f.getCertificate().getCommonName());
                ps.setInt(i++, f.getConsecutiveFailures());
                ps.setObject(i++, ts(f.getFirstFailureAt()));
                ps.setObject(i++, ts(f.getLastFailureAt()));
                ps.setString(i++, f.getLastErrorCode());
                ps.setString(i++, f.getLastErrorMessage());
                ps.setString(i++, f.getLastAttemptType());
                ps.setString(i++, f.getLastAttemptId());
                ps.setString(i, f.getOwner());
            });

    private static final String STATUS_COLUMNS = "source_name, source_kind, poll_started_at, poll_finished_at, outcome, certificates_seen, "
            + "certificates_changed, certificates_removed, attempts_published, item_errors, error_kind, error_message, consecutive_failures, "
            + "last_success_at, updated_at";

    public static final Table<SourceStatus> SOURCE_STATUS = new Table<>("source_status",
            "INSERT INTO source_status (" + STATUS_COLUMNS + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, now()) "
                    + "ON CONFLICT (source_name) DO UPDATE SET " + updateAll(STATUS_COLUMNS),
            null,
            "DELETE FROM source_status WHERE source_name = ?",
            (ps, key, s, t, p, o) -> {
                int i = 1;
                ps.setString(i++, key != null ? key : s.getSourceName());
                ps.setString(i++, s.getSourceKind().name());
                ps.setObject(i++, ts(s.getPollStartedAt()));
                ps.setObject(i++, ts(s.getPollFinishedAt()));
                ps.setString(i++, s.getOutcome().name());
                ps.setInt(i++, s.getCertificatesSeen());
                ps.setInt(i++, s.getCertificatesChanged());
                ps.setInt(i++, s.getCertificatesRemoved());
                ps.setInt(i++, s.getAttemptsPublished());
                ps.setInt(i++, s.getItemErrors());
                ps.setString(i++, s.getErrorKind());
                ps.setString(i++, s.getErrorMessage());
                ps.setInt(i++, s.getConsecutiveFailures());
                ps.setObject(i, ts(s.getLastSuccessAt()));
            });

    /** Append-only; no ON CONFLICT on purpose: a record written twice fails on the unique Kafka position. */
    public static final Table<Alert> ALERT_HISTORY = new Table<>("alert_history",
            "INSERT INTO alert_history (alert_id, kind, status, severity, threshold, summary, cert_key, tenant, source_kind, source_name, "
                    + "fired_at, resolved_at, labels, kafka_topic, kafka_partition, kafka_offset, owner, incident_id, incident_step, escalated_from, "
                    + "resolution) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, ?)",
            null,
            null,
            (ps, key, a, t, p, o) -> {
                int i = 1;
                ps.setString(i++, a.getAlertId());
                ps.setString(i++, a.getKind().name());
                ps.setString(i++, a.getStatus().name());
                ps.setString(i++, a.getSeverity().name());
                ps.setString(i++, a.getThreshold());
                ps.setString(i++, a.getSummary());
                ps.setString(i++, AlertFields.certificateKey(a));
                ps.setString(i++, AlertFields.tenant(a));
                ps.setString(i++, AlertFields.sourceKindName(a));
                ps.setString(i++, AlertFields.sourceName(a));
                ps.setObject(i++, ts(a.getFiredAt()));
                ps.setObject(i++, ts(a.getResolvedAt()));
                ps.setString(i++, json(a.getLabels()));
                ps.setString(i++, t);
                ps.setInt(i++, p);
                ps.setLong(i++, o);
                ps.setString(i++, a.getOwner());
                ps.setString(i++, a.getIncidentId());
                ps.setInt(i++, Math.max(1, a.getIncidentStep()));
                ps.setString(i++, a.getEscalatedFrom());
                ps.setString(i, AlertFields.resolution(a) == null ? null : AlertFields.resolution(a).name());
            });

    private static int bindKey(PreparedStatement ps, int i, String key, CertificateKey k) throws SQLException {
        ps.setString(i++, key != null ? key : dev.certflow.schemas.CertificateKeys.format(k));
        ps.setString(i++, k.getSourceKind().name());
        ps.setString(i++, k.getSourceName());
        ps.setString(i++, k.getTenant());
        ps.setString(i++, k.getSourceId());
        return i;
    }

    static OffsetDateTime ts(Instant instant) {
        return instant == null ? null : OffsetDateTime.ofInstant(instant, ZoneOffset.UTC);
    }

    static String json(Map<String, String> map) {
        try {
            return JSON.writeValueAsString(map == null ? Map.of() : map);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a string map as JSON", e);
        }
    }

    private static String updateAll(String columns) {
        return updateAll(columns, 1);
    }

    /** {@code col = EXCLUDED.col} for every column after the first {@code keyColumns} (the key). */
    private static String updateAll(String columns, int keyColumns) {
        StringBuilder sb = new StringBuilder();
        String[] cols = columns.split(",\\s*");
        for (int i = keyColumns; i < cols.length; i++) {
            if (sb.length() > 0) {
                sb.append(", ");
            }
            sb.append(cols[i]).append(" = EXCLUDED.").append(cols[i]);
        }
        return sb.toString();
    }
}
