package dev.certflow.sink.oncall;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.events.Silence;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.RecordingReceiver;
import dev.certflow.sink.Sink;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.testkit.MutableClock;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The sink on a real broker and PostgreSQL applying silences and acknowledgements written to their
 * topics, and escalating exactly once across a restart of the sink.
 */
class OnCallDeliveryIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Instant T0 = Fixtures.alert("x", AlertStatus.FIRING, Severity.INFO).getFiredAt();

    private KafkaSettings kafka;
    private HikariDataSource ds;
    private SinkConfig config;
    private RecordingReceiver pd;
    private RecordingReceiver escalationHook;
    private MutableClock clock;

    @BeforeEach
    void setUp() throws Exception {
        kafka = TestKafka.freshSettings("oncall");
        new TopicManager(kafka).ensure(Topics.ALL);
        String url = TestPostgres.freshDatabase();
        ds = SinkDatabase.dataSource(url, "postgres", "postgres", 2);
        pd = new RecordingReceiver(202);
        escalationHook = new RecordingReceiver(200);
        clock = new MutableClock(T0);
        config = new SinkConfig();
        config.jdbcUrl = url;
        config.password = Secret.of("postgres");
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        config.initialBackoff = Duration.ofMillis(10);
        config.maxBackoff = Duration.ofMillis(50);
        config.ownerNetworks.allowedNetworks = List.of("127.0.0.0/8");
        config.digestsEnabled = false;
        OwnersConfig owners = new OwnersConfig();
        owners.defaultOwner = "platform";
        OwnersConfig.Team payments = new OwnersConfig.Team();
        payments.name = "payments";
        payments.pagerDutyRoutingKey = Secret.of("pay-rk");
        payments.escalation = new OwnersConfig.Escalation();
        payments.escalation.after = Duration.ofMinutes(30);
        payments.escalation.to = "platform";
        OwnersConfig.Team platform = new OwnersConfig.Team();
        platform.name = "platform";
        platform.webhook = new OwnersConfig.Webhook();
        platform.webhook.url = escalationHook.url("/escalations");
        platform.webhook.secret = Secret.of("platform-secret");
        owners.teams.addAll(List.of(payments, platform));
        owners.validate("owners.", null);
        config.owners(owners);
        config.ownerChannels = true;
        config.validate("sink.", null);
        // payments' PagerDuty goes to the recording receiver (the owner channel's URL is PagerDuty's; this route is the test's)
        config.ownerChannels = false;
        var c = new dev.certflow.sink.delivery.ChannelConfig();
        c.name = "pd";
        c.type = "pagerduty";
        c.url = pd.url("/v2/enqueue");
        c.routingKey = Secret.of("pay-rk");
        c.allowedNetworks = List.of("127.0.0.0/8");
        config.channels.add(c);
        config.validate("sink.", null);
    }

    @AfterEach
    void tearDown() {
        pd.close();
        escalationHook.close();
        ds.close();
    }

    private <V> void produce(String topic, org.apache.kafka.common.serialization.Serializer<V> ser, String key, V value) throws Exception {
        try (var p = new KafkaProducer<>(kafka.producer("test"), new org.apache.kafka.common.serialization.StringSerializer(), ser)) {
            p.send(new ProducerRecord<>(topic, key, value)).get(30, TimeUnit.SECONDS);
        }
    }

    private void alert(Alert a) throws Exception {
        var t = kafka.topics().certificateAlerts();
        produce(t.name(), t.valueSerde().serializer(), a.getAlertId(), a);
    }

    private void silence(Silence s) throws Exception {
        var t = kafka.topics().alertSilences();
        produce(t.name(), t.valueSerde().serializer(), s.getSilenceId(), s);
    }

    private void ack(Acknowledgement a) throws Exception {
        var t = kafka.topics().alertAcknowledgements();
        produce(t.name(), t.valueSerde().serializer(), a.getIncidentId(), a);
    }

    private Sink start() {
        return Sink.start(kafka, config, new SimpleMeterRegistry(), null, FaultHook.NONE, null, clock);
    }

    private static Alert alert(String id, Severity severity, String incident) {
        return Alert.newBuilder(Fixtures.alert(id, AlertStatus.FIRING, severity)).setOwner("payments").setIncidentId(incident).build();
    }

    private List<String> actions() throws Exception {
        List<String> out = new java.util.ArrayList<>();
        for (var r : pd.requests()) {
            var doc = JSON.readTree(r.body());
            out.add(doc.path("event_action").asText() + ":" + doc.path("dedup_key").asText());
        }
        return out;
    }

    @Test
    void aSilenceFromTheTopicHoldsAnAlertUntilExpiredAndAnAcknowledgementSendsPagerDutyAcknowledge() throws Exception {
        silence(Silences.silence("maint", T0.minusSeconds(60), T0.plus(Duration.ofHours(2)), "tenant=acme", "kind=EXPIRING"));
        try (Sink sink = start()) {
            alert(alert("held", Severity.ERROR, "inc-held"));
            await().atMost(Duration.ofSeconds(60)).until(() -> "held".equals(Fixtures.string(ds,
                    "SELECT alert_id FROM alert_history WHERE silenced_by = 'maint'")));
            assertThat(pd.count()).as("silenced: not notified").isZero();

            // expired (the record written again with endsAt = now): released once
            clock.set(T0.plus(Duration.ofMinutes(10)));
            silence(Silences.silence("maint", T0.minusSeconds(60), T0.plus(Duration.ofMinutes(10)), "tenant=acme", "kind=EXPIRING"));
            await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() == 1);
            assertThat(actions()).containsExactly("trigger:inc-held");

            ack(Silences.ack("inc-held", "held", T0.plus(Duration.ofMinutes(11))));
            await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() == 2);
            assertThat(actions()).containsExactly("trigger:inc-held", "acknowledge:inc-held");
            await().atMost(Duration.ofSeconds(30)).until(() -> "t".equals(Fixtures.string(ds,
                    "SELECT acknowledged FROM alert_history WHERE alert_id = 'held'")));
        }
        try (Sink restarted = start()) {
            // a restart reads the same silence and acknowledgement again: nothing more is sent
            alert(alert("after", Severity.WARNING, "inc-after"));
            await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() == 3);
        }
        assertThat(actions()).containsExactly("trigger:inc-held", "acknowledge:inc-held", "trigger:inc-after");
    }

    @Test
    void anUnacknowledgedCriticalAlertEscalatesOnceAcrossARestart() throws Exception {
        try (Sink sink = start()) {
            alert(alert("crit", Severity.CRITICAL, "inc-crit"));
            await().atMost(Duration.ofSeconds(60)).until(() -> pd.count() == 1);
            clock.set(T0.plus(Duration.ofMinutes(30)));
            await().atMost(Duration.ofSeconds(60)).until(() -> escalationHook.count() == 1);
        }
        String body = escalationHook.requests().get(0).body();
        assertThat(JSON.readTree(body).path("summary").asText()).startsWith("Not acknowledged within 30m, escalated to platform: ");
        assertThat(JSON.readTree(body).at("/labels/escalated_to").asText()).isEqualTo("platform");
        clock.set(T0.plus(Duration.ofHours(2)));
        try (Sink restarted = start()) {
            alert(alert("later", Severity.CRITICAL, "inc-later"));
            // the later one escalates at once (fired two hours before the clock); the first one not again
            await().atMost(Duration.ofSeconds(60)).until(() -> escalationHook.count() >= 2);
            await().atMost(Duration.ofSeconds(30)).until(() -> Fixtures.count(ds, "SELECT count(*) FROM escalations WHERE delivered_at IS NOT NULL") == 2);
        }
        assertThat(escalationHook.count()).isEqualTo(2);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM escalations WHERE incident_id = 'inc-crit'")).isEqualTo(1);
    }
}
