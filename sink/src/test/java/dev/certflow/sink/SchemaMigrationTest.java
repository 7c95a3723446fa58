package dev.certflow.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.testkit.TestPostgres;
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

/** Flyway creates the whole schema in an empty database, is a no-op the second time, and the CHECKs hold. */
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
        assertThat(first.migrationsExecuted).isEqualTo(1);
        List<String> tables = new ArrayList<>();
        try (Connection c = ds.getConnection(); var rs = c.getMetaData().getTables(null, "public", "%", new String[]{"TABLE"})) {
            while (rs.next()) {
                tables.add(rs.getString("TABLE_NAME"));
            }
        }
        assertThat(tables).contains("certificates", "expiring_certificates", "failed_renewals", "alert_history",
                "delivery_attempts", "source_status", "kafka_offsets");
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

    private void exec(String sql) throws SQLException {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }
}
