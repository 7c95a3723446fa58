package dev.certflow.sink;

import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * {@link Sink#start} with {@code jdbcUrl: embedded} (what {@code certflow local} sets when no URL is
 * configured): an embedded PostgreSQL is started, migrated and its URL and psql command printed;
 * views and the console channel work end to end; {@code /ready} is up.
 */
class SinkEmbeddedPostgresIntegrationTest {
    @Test
    void startsAnEmbeddedPostgresWhenAskedTo() throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("embedded");
        new TopicManager(kafka).ensure(Topics.ALL);
        SinkConfig config = new SinkConfig();
        config.jdbcUrl = SinkConfig.EMBEDDED;
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        ChannelConfig console = new ChannelConfig();
        console.name = "stdout";
        console.type = "console";
        config.channels.add(console);

        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream alerts = new ByteArrayOutputStream();
        PrintStream original = System.out;
        Sink sink;
        var registry = OpsServer.newRegistry();
        try (OpsServer ops = OpsServer.start("127.0.0.1", 0, registry)) {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            try {
                sink = Sink.start(kafka, config, registry, ops, FaultHook.NONE, new PrintStream(alerts, true, StandardCharsets.UTF_8));
            } finally {
                System.setOut(original);
            }
            try (sink) {
                String printed = out.toString(StandardCharsets.UTF_8);
                assertThat(printed).contains("embedded PostgreSQL at " + sink.database().jdbcUrl()).contains("psql -h 127.0.0.1 -p ");
                assertThat(sink.database().jdbcUrl()).startsWith("jdbc:postgresql://127.0.0.1:");

                Certificate c = Fixtures.certificate("acme", "e1", Fixtures.NOW.plus(Duration.ofDays(9)));
                var certs = kafka.topics().certificates();
                var alertTopic = kafka.topics().certificateAlerts();
                try (var p = new KafkaProducer<>(kafka.producer("t"), certs.keySerde().serializer(), certs.valueSerde().serializer());
                     var pa = new KafkaProducer<>(kafka.producer("t2"), alertTopic.keySerde().serializer(), alertTopic.valueSerde().serializer())) {
                    p.send(new ProducerRecord<>(certs.name(), Fixtures.key(c), c)).get(30, TimeUnit.SECONDS);
                    pa.send(new ProducerRecord<>(alertTopic.name(), "al-e", Fixtures.alert("al-e", AlertStatus.FIRING, Severity.INFO))).get(30, TimeUnit.SECONDS);
                }
                var ds = sink.database().dataSource();
                await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                    assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(1);
                    assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(1);
                    assertThat(alerts.toString(StandardCharsets.UTF_8)).contains("FIRING INFO EXPIRING");
                });
                var ready = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ops.url() + "/ready")).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(ready.statusCode()).isEqualTo(200);
                assertThat(ready.body()).contains("\"sink-postgres\":\"UP\"");
                String metrics = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(ops.url() + "/metrics")).build(),
                        HttpResponse.BodyHandlers.ofString()).body();
                assertThat(metrics).contains("certflow_sink_view_rows_upserted_total{table=\"certificates\"} 1.0")
                        .contains("certflow_sink_consumer_lag{consumer=\"views\"}");
            }
        }
    }
}
