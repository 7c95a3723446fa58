package dev.certflow.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/** Every SQL query in the README runs against the migrated schema (with a few rows, so the aggregates have input). */
class AnalyticsQueriesTest {
    private HikariDataSource ds;

    @BeforeEach
    void setUp() throws Exception {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("INSERT INTO certificates (cert_key, source_kind, source_name, tenant, source_id, cert_type, expiry_status, issuance_method, observed_at, not_after) VALUES "
                    + "('y/a', 'YEASTAR', 'pbx', 'acme', '1', 'TLS_SERVER', 'KNOWN', 'ACME', now(), now() + interval '10 days'),"
                    + "('y/b', 'YEASTAR', 'pbx', 'acme', '2', 'TLS_SERVER', 'KNOWN', 'ACME', now(), now() + interval '40 days'),"
                    + "('y/c', 'YEASTAR', 'pbx', null, '3', 'TLS_SERVER', 'PENDING', 'ACME', now(), null)");
            s.execute("INSERT INTO failed_renewals (cert_key, source_kind, source_name, tenant, source_id, consecutive_failures, first_failure_at, "
                    + "last_failure_at, last_error_code, last_attempt_id) VALUES ('y/a', 'YEASTAR', 'pbx', 'acme', '1', 2, now(), now(), '1001', 'x')");
            s.execute("INSERT INTO alert_history (alert_id, kind, status, severity, summary, fired_at, resolved_at, kafka_topic, kafka_partition, kafka_offset) VALUES "
                    + "('a1', 'EXPIRING', 'FIRING', 'WARNING', 's', now() - interval '3 hours', null, 't', 0, 0),"
                    + "('a1', 'EXPIRING', 'RESOLVED', 'WARNING', 's', now() - interval '3 hours', now() - interval '1 hour', 't', 0, 1),"
                    + "('a2', 'EXPIRED', 'FIRING', 'CRITICAL', 's', now() - interval '1 hour', null, 't', 0, 2)");
        }
        // the README queries look back from now(): the attempt happens on the database's clock, not at a fixed date
        Fixtures.recordAttempt(ds, "a1", "hook", dev.certflow.sink.delivery.DeliveryLog.Outcome.DELIVERED, Fixtures.databaseNow(ds));
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    @Test
    void everyReadmeQueryRuns() throws Exception {
        String readme = Files.readString(Path.of("README.md"));
        Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(readme);
        List<String> queries = new ArrayList<>();
        while (m.find()) {
            queries.add(m.group(1).trim());
        }
        assertThat(queries).hasSizeGreaterThanOrEqualTo(5);
        List<Integer> rows = new ArrayList<>();
        for (String q : queries) {
            try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(q)) {
                int n = 0;
                while (rs.next()) {
                    n++;
                }
                rows.add(n);
            }
        }
        // expiring per week: 2 known in the quarter (maybe the same week); failure rate: 1 row; MTTR: 1 row;
        // firing now: a2 only; delivery health: 1 channel; unknown expiry: 1 group
        assertThat(rows.get(0)).isBetween(1, 2);
        assertThat(rows.subList(1, 6)).containsExactly(1, 1, 1, 1, 1);
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(queries.get(1))) {
            rs.next();
            assertThat(rs.getString("error_code")).isEqualTo("1001");
            assertThat(rs.getBigDecimal("failing_pct").doubleValue()).isEqualTo(33.33);
        }
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(queries.get(3))) {
            rs.next();
            assertThat(rs.getString("alert_id")).isEqualTo("a2");
        }
    }
}
