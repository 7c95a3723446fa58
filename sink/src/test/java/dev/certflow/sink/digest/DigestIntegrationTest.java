package dev.certflow.sink.digest;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.icegreen.greenmail.configuration.GreenMailConfiguration;
import com.icegreen.greenmail.junit5.GreenMailExtension;
import com.icegreen.greenmail.util.ServerSetupTest;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.LogCapture;
import dev.certflow.sink.RecordingReceiver;
import dev.certflow.sink.Sink;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.sink.delivery.Payloads;
import dev.certflow.testkit.MutableClock;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import jakarta.mail.internet.MimeMessage;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Digests end to end: the sink on a real broker and PostgreSQL mails (to a real SMTP server,
 * GreenMail) and posts (to a real webhook receiver) each owner's digest once per period, across a
 * restart and beside a second instance; nothing to report is sent nowhere; the SMTP password and
 * the webhook secret (planted canaries) reach no log line, table or error.
 */
class DigestIntegrationTest {
    private static final String SMTP_CANARY = "smtp-CANARY-91xq";
    private static final String HOOK_CANARY = "hook-CANARY-5ee7";
    private static final String WRONG_CANARY = "wrong-CANARY-0d0d";
    private static final ObjectMapper JSON = new ObjectMapper();
    /** 09:00:30 in Berlin (UTC+1 in November). */
    private static final Instant MORNING = Instant.parse("2026-11-22T08:00:30Z");

    @RegisterExtension
    static final GreenMailExtension SMTP = new GreenMailExtension(ServerSetupTest.SMTP.dynamicPort())
            .withConfiguration(GreenMailConfiguration.aConfig().withUser("certflow", SMTP_CANARY));

    private KafkaSettings kafka;
    private HikariDataSource ds;
    private SinkConfig config;
    private RecordingReceiver hook;
    private MutableClock clock;
    private LogCapture logs;

    @BeforeEach
    void setUp() throws Exception {
        logs = new LogCapture();
        kafka = TestKafka.freshSettings("digests");
        new TopicManager(kafka).ensure(Topics.ALL);
        String url = TestPostgres.freshDatabase();
        ds = SinkDatabase.dataSource(url, "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        hook = new RecordingReceiver(200);
        clock = new MutableClock(MORNING);
        config = new SinkConfig();
        config.jdbcUrl = url;
        config.password = Secret.of("postgres");
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        config.viewsEnabled = false;
        config.initialBackoff = Duration.ofMillis(10);
        config.maxBackoff = Duration.ofMillis(50);
        config.ownerNetworks.allowedNetworks = List.of("127.0.0.0/8");
        config.smtp.host = "127.0.0.1";
        config.smtp.port = SMTP.getSmtp().getPort();
        config.smtp.startTls = false; // GreenMail's plain test port
        config.smtp.username = "certflow";
        config.smtp.password = Secret.of(SMTP_CANARY);
        config.smtp.from = "certflow@example.com";
        OwnersConfig owners = new OwnersConfig();
        owners.defaultOwner = "platform";
        OwnersConfig.Team payments = team("payments");
        payments.zone = ZoneId.of("Europe/Berlin");
        payments.digest.at = LocalTime.of(9, 0);
        payments.email = List.of("pay-oncall@example.com");
        payments.webhook = new OwnersConfig.Webhook();
        payments.webhook.url = hook.url("/digests");
        payments.webhook.secret = Secret.of(HOOK_CANARY);
        OwnersConfig.Team quiet = team("quiet");
        quiet.email = List.of("quiet@example.com");
        OwnersConfig.Team platform = team("platform");
        platform.zone = ZoneId.of("Europe/Berlin");
        owners.teams.addAll(List.of(payments, platform, quiet));
        owners.validate("owners.", null);
        config.owners(owners);
        config.validate("sink.", null);
        try (Connection c = ds.getConnection(); Statement st = c.createStatement()) {
            st.execute("INSERT INTO certificates (cert_key, source_kind, source_name, tenant, source_id, common_name, cert_type, not_after, "
                    + "expiry_status, issuance_method, observed_at) VALUES "
                    + "('smoxy/sx/acme/1', 'SMOXY', 'sx', 'acme', '1', 'pay.example.com', 'TLS_SERVER', '2026-12-01T00:00:00Z', 'KNOWN', 'ACME', now()),"
                    + "('smoxy/sx/acme/2', 'SMOXY', 'sx', 'acme', '2', 'stray.example.com', 'TLS_SERVER', '2026-12-10T00:00:00Z', 'KNOWN', 'ACME', now())");
            st.execute("INSERT INTO certificate_renewals (cert_key, source_kind, source_name, tenant, source_id, not_after, renewal_status, "
                    + "renewal_overdue_at, evaluated_at, owner) VALUES "
                    + "('smoxy/sx/acme/1', 'SMOXY', 'sx', 'acme', '1', '2026-12-01T00:00:00Z', 'OVERDUE', '2026-11-20T00:00:00Z', '2026-11-20T00:00:00Z', 'payments'),"
                    + "('smoxy/sx/acme/2', 'SMOXY', 'sx', 'acme', '2', '2026-12-10T00:00:00Z', 'DUE', null, '2026-11-21T12:00:00Z', null)");
            st.execute("INSERT INTO failed_renewals (cert_key, source_kind, source_name, tenant, source_id, common_name, consecutive_failures, "
                    + "first_failure_at, last_failure_at, last_error_code, last_attempt_id, owner) VALUES "
                    + "('smoxy/sx/acme/1', 'SMOXY', 'sx', 'acme', '1', 'pay.example.com', 3, '2026-11-19T00:00:00Z', '2026-11-21T00:00:00Z', 'dns-01', 'a1', 'payments')");
        }
    }

    private static OwnersConfig.Team team(String name) {
        OwnersConfig.Team t = new OwnersConfig.Team();
        t.name = name;
        return t;
    }

    @AfterEach
    void tearDown() throws Exception {
        try {
            for (String canary : List.of(SMTP_CANARY, HOOK_CANARY, WRONG_CANARY)) {
                assertThat(logs.lines()).noneMatch(l -> l.contains(canary));
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM digests WHERE json_body LIKE '%" + canary + "%' OR text_body LIKE '%" + canary + "%'"))
                        .isZero();
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM digest_deliveries WHERE error LIKE '%" + canary + "%'")).isZero();
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE error LIKE '%" + canary + "%'")).isZero();
            }
        } finally {
            logs.close();
            hook.close();
            ds.close();
        }
    }

    private Sink start() {
        return Sink.start(kafka, config, new SimpleMeterRegistry(), null, FaultHook.NONE, null, clock);
    }

    @Test
    void eachOwnerGetsOneDigestPerPeriodByMailAndWebhookAcrossARestart() throws Exception {
        String id = DigestReport.id("payments", Instant.parse("2026-11-22T08:00:00Z"));
        try (Sink sink = start()) {
            assertThat(SMTP.waitForIncomingEmail(30_000, 1)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> hook.count() == 1 && Fixtures.count(ds,
                    "SELECT count(*) FROM digest_deliveries WHERE delivered_at IS NOT NULL") == 2);
        }
        MimeMessage mail = SMTP.getReceivedMessages()[0];
        assertThat(mail.getMessageID()).isEqualTo("<digest-" + id + "@example.com>");
        assertThat(mail.getSubject()).isEqualTo("certflow digest for payments: 1 overdue, 1 failing, 1 expiring within 30d");
        assertThat(mail.getAllRecipients()[0].toString()).isEqualTo("pay-oncall@example.com");
        String text = (String) mail.getContent();
        assertThat(text).contains("certflow digest for payments, 2026-11-22 09:00 Europe/Berlin (since 2026-11-21 09:00)")
                .contains("- pay.example.com [smoxy/sx/acme/1], tenant acme, expires 2026-12-01: overdue since 2026-11-20 00:00 UTC")
                .contains("3 failed attempts, last dns-01").doesNotContain("stray");

        RecordingReceiver.Request post = hook.requests().get(0);
        assertThat(post.header("Idempotency-Key")).isEqualTo(id);
        assertThat(post.header("X-Certflow-Signature")).isEqualTo(Payloads.signature(HOOK_CANARY, post.body().getBytes(StandardCharsets.UTF_8)));
        JsonNode doc = JSON.readTree(post.body());
        assertThat(doc.at("/counts/overdue").asInt()).isEqualTo(1);
        assertThat(doc.at("/counts/unowned").asInt()).isZero();

        // the default owner's digest lists the unowned certificate (platform has no contacts: claimed, sent nowhere)
        assertThat(Fixtures.string(ds, "SELECT json_body FROM digests WHERE owner = 'platform'")).contains("\"unowned\":2")
                .contains("stray.example.com").contains("entered the renewal window");
        // nothing to report, sendEmpty off: claimed as skipped, no mail to quiet@
        assertThat(Fixtures.string(ds, "SELECT skipped FROM digests WHERE owner = 'quiet'")).isEqualTo("t");

        // a restart, and a second instance on the same database, in the same period: nothing again
        try (Sink restarted = start()) {
            new Digests(config, ds, clock).runOnce();
            new Digests(config, ds, clock).runOnce();
            // the next period (09:00 the next day in Berlin): one more each
            clock.set(MORNING.plus(Duration.ofDays(1)));
            assertThat(SMTP.waitForIncomingEmail(30_000, 2)).isTrue();
            await().atMost(Duration.ofSeconds(30)).until(() -> hook.count() >= 2);
        }
        assertThat(SMTP.getReceivedMessages()).hasSize(2);
        assertThat(hook.count()).isEqualTo(2);
        assertThat(hook.requests().get(1).header("Idempotency-Key")).isEqualTo(DigestReport.id("payments", Instant.parse("2026-11-23T08:00:00Z")));
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM digests WHERE owner = 'payments'")).isEqualTo(2);
        assertThat(Fixtures.string(ds, "SELECT since FROM digests WHERE owner = 'payments' ORDER BY period_start DESC LIMIT 1"))
                .startsWith("2026-11-22 08:00:00");
    }

    @Test
    void aRefusedLoginIsRecordedWithoutThePassword() throws Exception {
        config.smtp.password = Secret.of(WRONG_CANARY);
        config.smtp.port = 1; // nothing listens: the connection fails before any login
        Digests d = new Digests(config, ds, clock);
        d.runOnce();
        config.smtp.port = SMTP.getSmtp().getPort();
        Digests wrong = new Digests(config, ds, clock);
        clock.set(MORNING.plus(Duration.ofSeconds(1)));
        try (var c = ds.getConnection(); var st = c.createStatement()) {
            st.execute("UPDATE digest_deliveries SET next_attempt_at = '2000-01-01T00:00:00Z' WHERE channel = 'email'");
        }
        wrong.runOnce(); // a real server, the wrong password
        assertThat(Fixtures.string(ds, "SELECT error FROM digest_deliveries WHERE channel = 'email'")).isNotNull();
        assertThat(Fixtures.count(ds, "SELECT attempts FROM digest_deliveries WHERE channel = 'email'")).isEqualTo(2);
        d.close();
        wrong.close();
    }
}
