package dev.certflow.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.postgresql.util.PGInterval;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every SQL query in the README runs against the migrated schema and answers what it says, over a few
 * rows stamped relative to the database's own clock (so the queries that look back from now() hold on any day).
 */
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
            // the renewal views: times relative to the database's clock, equal where a query groups by week or month
            s.execute("INSERT INTO certificates (cert_key, source_kind, source_name, tenant, source_id, cert_type, expiry_status, issuance_method, observed_at, not_after) VALUES "
                    + "('s/x', 'SMOXY', 'smoxy-acme', 'org-1', 'x', 'TLS_SERVER', 'KNOWN', 'ACME', now(), now() + interval '100 days')");
            s.execute("INSERT INTO renewal_attempts (cert_key, attempt_id, source_kind, source_name, tenant, source_id, status, error_code, attempted_at, observed_at) VALUES "
                    + "('y/a', 'f1', 'YEASTAR', 'pbx', 'acme', '1', 'FAILED', 'issuance_fail', now() - interval '1 hour', now()),"
                    + "('y/a', 'f2', 'YEASTAR', 'pbx', 'acme', '1', 'FAILED', 'issuance_fail', now() - interval '1 hour', now()),"
                    + "('y/a', 's1', 'YEASTAR', 'pbx', 'acme', '1', 'SUCCEEDED', null, now() - interval '1 hour', now()),"
                    + "('y/b', 's2', 'YEASTAR', 'pbx', 'acme', '2', 'SUCCEEDED', 'warning', now() - interval '1 hour', now()),"
                    + "('y/b', 'r1', 'YEASTAR', 'pbx', 'acme', '2', 'RUNNING', null, now() - interval '1 hour', now())");
            // renewal states: y/a overdue, y/b renewed a day late (the trigger records it), y/c without a known expiry
            s.execute("INSERT INTO certificate_renewals (cert_key, source_kind, source_name, tenant, source_id, not_after, renewal_status, renewal_mode, "
                    + "expected_renewal_at, renewal_overdue_at, renewal_policy, last_renewed_at, last_renewal_of_not_after, last_renewal_expected_at, evaluated_at) VALUES "
                    + "('y/a', 'YEASTAR', 'pbx', 'acme', '1', now() + interval '10 days', 'OVERDUE', 'auto', now() - interval '5 days', now() - interval '3 days', "
                    + "'auto-lifetime-1/3', null, null, null, now()),"
                    + "('y/b', 'YEASTAR', 'pbx', 'acme', '2', now() + interval '40 days', 'SCHEDULED', 'auto', now() + interval '10 days', now() + interval '12 days', "
                    + "'auto-lifetime-1/3', now() - interval '1 hour', now() + interval '5 days', now() - interval '25 hours', now()),"
                    + "('y/c', 'YEASTAR', 'pbx', null, '3', null, 'UNKNOWN', null, null, null, null, "
                    + "now() - interval '1 hour', now() - interval '2 days', now() - interval '4 hours', now())");
            // one open renewed-not-deployed pair (the PBX copy y/a, renewed in smoxy as s/x) and one resolved
            s.execute("INSERT INTO alert_history (alert_id, kind, status, severity, summary, cert_key, fired_at, resolved_at, labels, kafka_topic, kafka_partition, kafka_offset) VALUES "
                    + "('n1', 'RENEWED_NOT_DEPLOYED', 'FIRING', 'WARNING', 's', 'y/a', now() - interval '30 minutes', null, '{\"renewed_certificate_key\": \"s/x\"}', 't', 1, 0),"
                    + "('n2', 'RENEWED_NOT_DEPLOYED', 'FIRING', 'WARNING', 's', 'y/b', now() - interval '2 hours', null, '{\"renewed_certificate_key\": \"s/x\"}', 't', 1, 1),"
                    + "('n2', 'RENEWED_NOT_DEPLOYED', 'RESOLVED', 'WARNING', 's', 'y/b', now() - interval '2 hours', now() - interval '1 hour', '{\"renewed_certificate_key\": \"s/x\"}', 't', 1, 2)");
        }
        // the README queries look back from now(): the attempt happens on the database's clock, not at a fixed date
        Fixtures.recordAttempt(ds, "a1", "hook", dev.certflow.sink.delivery.DeliveryLog.Outcome.DELIVERED, Fixtures.databaseNow(ds));
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    private List<Map<String, Object>> rows(String sql) throws Exception {
        List<Map<String, Object>> out = new ArrayList<>();
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            int n = rs.getMetaData().getColumnCount();
            while (rs.next()) {
                Map<String, Object> row = new LinkedHashMap<>();
                for (int i = 1; i <= n; i++) {
                    row.put(rs.getMetaData().getColumnLabel(i), rs.getObject(i));
                }
                out.add(row);
            }
        }
        return out;
    }

    @Test
    void theTopLevelReadmesQueriesRunToo() throws Exception {
        List<String> queries = sqlBlocks(Path.of("..", "README.md"));
        assertThat(queries).hasSize(2);
        assertThat(rows(queries.get(0))).hasSizeBetween(1, 2);
        assertThat(rows(queries.get(1))).extracting(r -> r.get("tenant") + " " + r.get("renewal_status") + " " + r.get("certificates"))
                .containsExactlyInAnyOrder("(none) UNKNOWN 1", "acme OVERDUE 1", "acme SCHEDULED 1", "org-1 UNKNOWN 1");
    }

    private static List<String> sqlBlocks(Path readme) throws Exception {
        Matcher m = Pattern.compile("```sql\\n(.*?)```", Pattern.DOTALL).matcher(Files.readString(readme));
        List<String> queries = new ArrayList<>();
        while (m.find()) {
            queries.add(m.group(1).trim());
        }
        return queries;
    }

    @Test
    void everyReadmeQueryRunsAndAnswers() throws Exception {
        List<String> queries = sqlBlocks(Path.of("README.md"));
        assertThat(queries).hasSize(12);
        List<List<Map<String, Object>>> results = new ArrayList<>();
        for (String q : queries) {
            results.add(rows(q));
        }
        // expiring per week: 2 known in the quarter (maybe the same week)
        assertThat(results.get(0)).hasSizeBetween(1, 2);
        // failure rate: y/a failing, one of the three certificates of its source
        assertThat(results.get(1)).hasSize(1);
        assertThat(results.get(1).get(0)).containsEntry("error_code", "1001");
        assertThat(((java.math.BigDecimal) results.get(1).get(0).get("failing_pct")).doubleValue()).isEqualTo(33.33);
        // MTTR: one resolved EXPIRING, one resolved RENEWED_NOT_DEPLOYED
        assertThat(results.get(2)).extracting(r -> r.get("kind")).containsExactly("EXPIRING", "RENEWED_NOT_DEPLOYED");
        // firing now, oldest first: a2, then the open pair n1
        assertThat(results.get(3)).extracting(r -> r.get("alert_id")).containsExactly("a2", "n1");
        // delivery health: one channel; unknown expiry: one group
        assertThat(results.get(4)).hasSize(1);
        assertThat(results.get(5)).hasSize(1);
        // renewal success rate: 2 of 4 finished attempts of tenant acme succeeded (the RUNNING one is neither)
        assertThat(results.get(6)).hasSize(1);
        assertThat(results.get(6).get(0)).containsEntry("tenant", "acme").containsEntry("succeeded", 2L).containsEntry("failed", 2L);
        assertThat(((java.math.BigDecimal) results.get(6).get(0).get("success_pct")).doubleValue()).isEqualTo(50.0);
        // failed attempts per error code: two of one certificate; a success with an error code is not a failure
        assertThat(results.get(7)).hasSize(1);
        assertThat(results.get(7).get(0)).containsEntry("error_code", "issuance_fail").containsEntry("failed_attempts", 2L)
                .containsEntry("certificates", 1L);
        // lateness: y/b a day late, y/c three hours late: mean 13.5 hours
        assertThat(results.get(8)).hasSize(1);
        assertThat(results.get(8).get(0)).containsEntry("renewals", 2L).containsEntry("after_expected", 2L);
        PGInterval mean = (PGInterval) results.get(8).get(0).get("mean_lateness");
        assertThat(List.of(mean.getDays(), mean.getHours(), mean.getMinutes(), (int) mean.getSeconds())).containsExactly(0, 13, 30, 0);
        // overdue per tenant: y/a since 3 days
        assertThat(results.get(9)).hasSize(1);
        assertThat(results.get(9).get(0)).containsEntry("tenant", "acme").containsEntry("overdue", 1L);
        PGInterval overdue = (PGInterval) results.get(9).get(0).get("longest_overdue_for");
        assertThat(List.of(overdue.getDays(), overdue.getHours(), overdue.getMinutes())).containsExactly(3, 0, 0);
        // renewed but not deployed: the open pair only, both holders named
        assertThat(results.get(10)).hasSize(1);
        assertThat(results.get(10).get(0)).containsEntry("stale_copy", "y/a").containsEntry("stale_source", "pbx")
                .containsEntry("renewed_certificate", "s/x").containsEntry("renewed_source", "smoxy-acme");
        // standing: every certificate of the inventory (y/a, y/b, y/c, s/x), with its renewal state or UNKNOWN
        assertThat(results.get(11)).extracting(r -> r.get("tenant") + " " + r.get("renewal_status") + " " + r.get("certificates"))
                .containsExactlyInAnyOrder("(none) UNKNOWN 1", "acme OVERDUE 1", "acme SCHEDULED 1", "org-1 UNKNOWN 1");
    }
}
