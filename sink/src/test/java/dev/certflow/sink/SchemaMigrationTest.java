package dev.certflow.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.testkit.TestPostgres;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * Flyway creates the whole schema in an empty database, is a no-op the second time, migrates a
 * version 1 database with its rows to version 2, and the CHECKs hold (and take every symbol of the
 * Avro enums they stand for).
 */
class SchemaMigrationTest {
    private HikariDataSource ds;

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    @Test
    void migratesAnEmptyDatabaseAndIsIdempotent() throws SQLException {
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")).isZero();

        var first = SinkDatabase.migrate(ds);
        assertThat(first.migrationsExecuted).isEqualTo(5);
        List<String> tables = new ArrayList<>();
        try (Connection c = ds.getConnection(); var rs = c.getMetaData().getTables(null, "public", "%", new String[]{"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME"));
            }
        }
        assertThat(tables).contains("certificates", "expiring_certificates", "failed_renewals", "alert_history",
                "delivery_attempts", "source_status", "kafka_offsets", "certificate_renewals", "renewal_history", "renewal_attempts",
                "alert_notifications", "oncall_incidents", "escalations", "digests", "digest_deliveries");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM information_schema.views WHERE table_name = 'certificate_standing'")).isEqualTo(1);
        assertThat(Fixtures.string(ds, "SELECT data_type FROM information_schema.columns WHERE table_name = 'certificates' AND column_name = 'not_after'"))
                .isEqualTo("timestamp with time zone");
        assertThat(Fixtures.string(ds, "SELECT data_type FROM information_schema.columns WHERE table_name = 'certificates' AND column_name = 'sans'"))
                .isEqualTo("ARRAY");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM pg_indexes WHERE tablename = 'certificates' AND indexname = 'certificates_tenant_idx'"))
                .isEqualTo(1);

        var second = SinkDatabase.migrate(ds);
        assertThat(second.migrationsExecuted).isZero();
    }

    @Test
    void checkConstraintsRejectUnknownEnumValuesAndExpiryWithoutStatus() {
        SinkDatabase.migrate(ds);
        assertThatThrownBy(() -> exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, resolved_at, kafka_topic, kafka_partition, kafka_offset) "
                + "VALUES ('a', 'EXPIRING', 'MAYBE', 'WARNING', 's', now(), now(), 't', 0, 0)"))
                .isInstanceOf(SQLException.class).hasMessageContaining("alert_history_status_check");
        // a PENDING certificate must not carry an expiry (nor a KNOWN one lack it)
        assertThatThrownBy(() -> exec("INSERT INTO certificates (cert_key, source_kind, source_name, source_id, cert_type, expiry_status, "
                + "issuance_method, observed_at, not_after) VALUES ('k', 'YEASTAR', 's', '1', 'TLS_SERVER', 'PENDING', 'ACME', now(), now())"))
                .isInstanceOf(SQLException.class).hasMessageContaining("certificates_not_after_known");
    }

    @Test
    void version1DataSurvivesTheMigrationToVersion2AndTakesTheRenewalKinds() throws SQLException {
        Flyway.configure().dataSource(ds).locations("classpath:db/migration").target("1").load().migrate();
        exec("INSERT INTO expiring_certificates (cert_key, source_kind, source_name, tenant, source_id, cert_type, not_after, days_left, bucket, "
                + "threshold_days, evaluated_at) VALUES ('y/1', 'YEASTAR', 'pbx', 'acme', '1', 'TLS_SERVER', '2027-01-10T00:00:00Z', 9, '14d', 14, "
                + "'2027-01-01T00:00:00Z')");
        exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, cert_key, fired_at, kafka_topic, kafka_partition, kafka_offset) "
                + "VALUES ('a1', 'EXPIRING', 'FIRING', 'WARNING', 's', 'y/1', '2027-01-01T00:00:00Z', 't', 0, 0)");
        // version 1 refuses the renewal policy's kinds: the sink dead-lettered every one of them
        assertThatThrownBy(() -> exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, kafka_topic, kafka_partition, "
                + "kafka_offset) VALUES ('a2', 'RENEWAL_OVERDUE', 'FIRING', 'WARNING', 's', now(), 't', 0, 1)"))
                .isInstanceOf(SQLException.class).hasMessageContaining("alert_history_kind_check");

        var result = SinkDatabase.migrate(ds);
        assertThat(result.migrationsExecuted).isEqualTo(4); // V2 to V5
        assertThat(result.targetSchemaVersion).isEqualTo("5");
        // V4: rows from before silences and acknowledgements existed are neither
        assertThat(Fixtures.string(ds, "SELECT coalesce(silenced_by, '-') || '/' || acknowledged FROM alert_history WHERE alert_id = 'a1'")).isEqualTo("-/false");
        // V3: the alerts recorded before owners and incidents existed are unowned first steps
        assertThat(Fixtures.string(ds, "SELECT coalesce(owner, '-') || ' ' || incident_step || ' ' || coalesce(incident_id, '-') FROM alert_history "
                + "WHERE alert_id = 'a1'")).isEqualTo("- 1 -");
        assertThat(Fixtures.string(ds, "SELECT bucket || ' ' || renewal_status || ' ' || coalesce(renewal_policy, '-') FROM expiring_certificates"))
                .isEqualTo("14d UNKNOWN -");
        assertThat(Fixtures.string(ds, "SELECT alert_id || ' ' || kind FROM alert_history")).isEqualTo("a1 EXPIRING");
        for (String kind : new String[]{"RENEWAL_OVERDUE", "RENEWED_NOT_DEPLOYED", "RENEWAL_DRIFT"}) {
            exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, kafka_topic, kafka_partition, kafka_offset) "
                    + "VALUES ('" + kind + "', '" + kind + "', 'FIRING', 'WARNING', 's', now(), 't', 1, " + kind.length() + ")");
        }
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(4);
        // the version 1 row appears in the standing view with the new columns
        exec("INSERT INTO certificates (cert_key, source_kind, source_name, tenant, source_id, cert_type, expiry_status, issuance_method, observed_at, "
                + "not_after) VALUES ('y/1', 'YEASTAR', 'pbx', 'acme', '1', 'TLS_SERVER', 'KNOWN', 'ACME', now(), '2027-01-10T00:00:00Z')");
        assertThat(Fixtures.string(ds, "SELECT renewal_status || ' ' || expiry_bucket FROM certificate_standing")).isEqualTo("UNKNOWN 14d");
    }

    /** Each enum-like column takes every symbol its Avro enum has, so a new symbol cannot ship without a migration. */
    @Test
    void everyAvroEnumSymbolPassesItsColumnCheck() throws SQLException {
        SinkDatabase.migrate(ds);
        int offset = 0;
        for (AlertKind k : AlertKind.values()) {
            exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, kafka_topic, kafka_partition, kafka_offset) "
                    + "VALUES ('k', '" + k + "', 'FIRING', 'WARNING', 's', now(), 't', 0, " + offset++ + ")");
        }
        for (Severity v : Severity.values()) {
            exec("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, kafka_topic, kafka_partition, kafka_offset) "
                    + "VALUES ('s', 'EXPIRING', 'FIRING', '" + v + "', 's', now(), 't', 0, " + offset++ + ")");
        }
        for (AttemptStatus v : AttemptStatus.values()) {
            exec("INSERT INTO renewal_attempts (cert_key, attempt_id, source_kind, source_name, source_id, status, attempted_at, observed_at) "
                    + "VALUES ('k', '" + v + "', 'SMOXY', 's', '1', '" + v + "', now(), now())");
        }
        int n = 0;
        for (RenewalStatus v : RenewalStatus.values()) {
            for (SourceKind kind : SourceKind.values()) {
                String key = "'" + v + "/" + kind + "'";
                exec("INSERT INTO certificate_renewals (cert_key, source_kind, source_name, source_id, renewal_status, evaluated_at) "
                        + "VALUES (" + key + ", '" + kind + "', 's', '1', '" + v + "', now())");
                exec("INSERT INTO expiring_certificates (cert_key, source_kind, source_name, source_id, cert_type, days_left, bucket, evaluated_at, "
                        + "renewal_status) VALUES (" + key + ", '" + kind + "', 's', '1', 'TLS_SERVER', 1, 'b', now(), '" + v + "')");
                n++;
            }
        }
        for (CertificateType t : CertificateType.values()) {
            for (ExpiryStatus e : ExpiryStatus.values()) {
                for (IssuanceMethod m : IssuanceMethod.values()) {
                    exec("INSERT INTO certificates (cert_key, source_kind, source_name, source_id, cert_type, expiry_status, issuance_method, "
                            + "observed_at, not_after) VALUES ('" + t + e + m + "', 'LEEGALITY', 's', '1', '" + t + "', '" + e + "', '" + m + "', now(), "
                            + (e == ExpiryStatus.KNOWN ? "now()" : "null") + ")");
                }
            }
        }
        for (PollOutcome o : PollOutcome.values()) {
            exec("INSERT INTO source_status (source_name, source_kind, poll_started_at, poll_finished_at, outcome, certificates_seen, "
                    + "certificates_changed, certificates_removed, attempts_published, item_errors, consecutive_failures) "
                    + "VALUES ('" + o + "', 'SMOXY', now(), now(), '" + o + "', 0, 0, 0, 0, 0, 0)");
        }
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificate_renewals")).isEqualTo(n);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(AlertKind.values().length + Severity.values().length);
    }

    private void exec(String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
