package dev.certflow.sink;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.sink.delivery.DeliveryLog;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

/** Test records and small JDBC helpers. */
public final class Fixtures {
    static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");

    static {
        // the serde trusts dev.certflow.* for Avro's class checks (needed by copy builders before any serde exists)
        dev.certflow.schemas.serde.AvroSerde.of(Alert.class, Map.of("schema.registry.url", "mock://fixtures"), false);
    }

    private Fixtures() {
    }

    static Certificate certificate(String tenant, String id, Instant notAfter) {
        return Certificate.newBuilder()
                .setKey(CertificateKeys.of(SourceKind.YEASTAR, "pbx-berlin", tenant, id))
                .setName(id + ".pem").setCommonName(id + ".example.com").setSans(List.of(id + ".example.com", "www." + id + ".example.com"))
                .setType(CertificateType.TLS_SERVER).setSourceType("server")
                .setExpiryStatus(notAfter == null ? ExpiryStatus.PENDING : ExpiryStatus.KNOWN).setNotAfter(notAfter)
                .setNotAfterRaw(notAfter == null ? "-" : notAfter.toString())
                .setIssuanceMethod(IssuanceMethod.ACME).setObservedAt(NOW).setAttributes(Map.of("zone", "eu"))
                .build();
    }

    static String key(Certificate c) {
        return CertificateKeys.format(c.getKey());
    }

    static ExpiringCertificate expiring(Certificate c, int days) {
        return ExpiringCertificate.newBuilder().setCertificate(c).setDaysLeft(days).setBucket(days + "d").setThresholdDays(30)
                .setEvaluatedAt(NOW).build();
    }

    /** The renewal state of {@code c}: an auto-renewed certificate expected to be renewed at {@code expected}, overdue two days later. */
    static CertificateRenewal renewal(Certificate c, RenewalStatus status, Instant expected) {
        return CertificateRenewal.newBuilder().setCertificateKey(c.getKey()).setNotAfter(c.getNotAfter()).setRenewalStatus(status)
                .setRenewalMode("auto").setExpectedRenewalAt(expected).setRenewalOverdueAt(expected.plus(Duration.ofDays(2)))
                .setRenewalPolicy("auto-lifetime-1/3").setEvaluatedAt(NOW).build();
    }

    static RenewalAttempt attempt(Certificate c, String id, AttemptStatus status, String errorCode) {
        return RenewalAttempt.newBuilder().setAttemptId(id).setCertificateKey(c.getKey()).setAttemptType("acme_renew").setStatus(status)
                .setStatusRaw(status.name().toLowerCase()).setStartedAt(NOW.minusSeconds(60)).setFinishedAt(status == AttemptStatus.RUNNING ? null : NOW)
                .setErrorCode(errorCode).setSansSnapshot(c.getSans()).setIssuedNotAfter(status == AttemptStatus.SUCCEEDED ? NOW.plus(Duration.ofDays(90)) : null)
                .setObservedAt(NOW).build();
    }

    static FailedRenewal failed(Certificate c, String code) {
        return FailedRenewal.newBuilder().setCertificateKey(c.getKey()).setCertificate(c).setConsecutiveFailures(2)
                .setFirstFailureAt(NOW.minus(Duration.ofHours(2))).setLastFailureAt(NOW).setLastErrorCode(code)
                .setLastErrorMessage("acme order failed").setLastAttemptType("acme_renew").setLastAttemptId("att-" + c.getKey().getSourceId())
                .build();
    }

    static SourceStatus sourceStatus(String name, PollOutcome outcome) {
        return SourceStatus.newBuilder().setSourceKind(SourceKind.YEASTAR).setSourceName(name).setPollStartedAt(NOW.minusSeconds(2))
                .setPollFinishedAt(NOW).setOutcome(outcome).setCertificatesSeen(3).build();
    }

    public static Alert alert(String id, AlertStatus status, Severity severity) {
        Certificate c = certificate("acme", "c-" + id, NOW.plus(Duration.ofDays(5)));
        return Alert.newBuilder().setAlertId(id).setKind(AlertKind.EXPIRING).setStatus(status).setSeverity(severity)
                .setThreshold("7d").setSummary("Certificate c-" + id + ".example.com expires in 5 days")
                .setCertificateKey(c.getKey()).setCertificate(c).setFiredAt(NOW)
                .setResolvedAt(status == AlertStatus.RESOLVED ? NOW.plus(Duration.ofHours(3)) : null)
                .setLabels(Map.of("department", "ops-team", "certificate", "c-" + id + ".pem"))
                .build();
    }

    public static long count(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    public static String string(DataSource ds, String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            return rs.next() ? rs.getString(1) : null;
        }
    }

    static void recordAttempt(DataSource ds, String alertId, String channel, DeliveryLog.Outcome outcome, Instant at) throws SQLException {
        new DeliveryLog(ds).record(alertId, "FIRING", channel, "webhook", 1, outcome, 200, null, false, 12, at);
    }

    /**
     * The database's own clock. Rows that queries compare with {@code now()} are stamped with it, never
     * with {@link #NOW}: a fixed instant next to PostgreSQL's real clock stops matching a week later.
     */
    static Instant databaseNow(DataSource ds) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT now()")) {
            rs.next();
            return rs.getObject(1, java.time.OffsetDateTime.class).toInstant();
        }
    }
}
