package dev.certflow.cli;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsSettings;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** In module local because cli's tests run on the image's class path, which has no broker. {@code certflow silence add|list|expire} and {@code certflow ack} against a running streams query API on the real broker. */
class AlertCommandsIntegrationTest {
    private static final String TOKEN = "cli-write-token-0123456789";
    private final List<AutoCloseable> closeables = new ArrayList<>();

    @AfterEach
    void close() throws Exception {
        for (int i = closeables.size() - 1; i >= 0; i--) {
            closeables.get(i).close();
        }
    }

    record Run(int code, String out, String err) {
    }

    private static Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine cli = Main.commandLine();
        cli.setOut(new PrintWriter(out, true));
        cli.setErr(new PrintWriter(err, true));
        cli.setExecutionExceptionHandler((e, c, p) -> {
            c.getErr().println("certflow: " + e.getMessage());
            return 1;
        });
        int code = cli.execute(args);
        return new Run(code, out.toString(), err.toString());
    }

    @Test
    void silencesAndAcknowledgementsGoThroughTheQueryApi(@TempDir Path dir) throws Exception {
        KafkaSettings kafka = TestKafka.freshSettings("cli-writes");
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        CertificateKey key = CertificateKeys.of(SourceKind.SMOXY, "smoxy-eu", "acme", "c1");
        Certificate cert = Certificate.newBuilder().setKey(key).setName("c1").setNotAfter(Instant.now().plus(Duration.ofDays(3)))
                .setExpiryStatus(ExpiryStatus.KNOWN).setObservedAt(Instant.now()).build();
        try (KafkaProducer<String, Certificate> p = new KafkaProducer<>(kafka.producer("cli-test"), topics.certificates().keySerde().serializer(),
                topics.certificates().valueSerde().serializer())) {
            p.send(new ProducerRecord<>(topics.certificates().name(), CertificateKeys.format(key), cert)).get();
        }
        StreamsSettings s = new StreamsSettings();
        s.applicationId = TestKafka.uniqueId("cli-app");
        s.stateDir = dir.resolve("state").toString();
        s.commitInterval = Duration.ofMillis(100);
        s.api.writeToken = Secret.of(TOKEN);
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(ops);
        StreamsApp app = StreamsApp.start(kafka, s, null, ops);
        closeables.add(app);
        Path tokenFile = Files.writeString(dir.resolve("token"), TOKEN + "\n");
        String api = ops.url();
        app.running().get(90, java.util.concurrent.TimeUnit.SECONDS);
        await().atMost(Duration.ofSeconds(60)).until(() -> !app.queries().activeAlerts(true).isEmpty());

        Run refused = run("silence", "add", "--api", api, "--matcher", "kind=EXPIRING", "--duration", "1h");
        assertThat(refused.code()).isEqualTo(1);
        assertThat(refused.err()).contains("401").contains("--token-file");
        Run badMatcher = run("silence", "add", "--api", api, "--token-file", tokenFile.toString(), "--matcher", "kind", "--duration", "1h");
        assertThat(badMatcher.code()).isEqualTo(2);
        assertThat(badMatcher.err()).contains("bad --matcher 'kind'");

        Run added = run("silence", "add", "--api", api, "--token-file", tokenFile.toString(), "--matcher", "kind=EXPIRING",
                "--matcher", "tenant=~ac.*", "--duration", "2h", "--author", "alice", "--comment", "maintenance");
        assertThat(added.code()).as(added.err()).isZero();
        String id = added.out().trim();
        assertThat(id).matches("[0-9a-f-]{36}");
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> {
            Run list = run("silence", "list", "--api", api, "--active");
            assertThat(list.code()).isZero();
            assertThat(list.out()).contains(id).contains("active").contains("alice").contains("kind=EXPIRING,tenant=~ac.*").contains("# maintenance");
        });
        Run expired = run("silence", "expire", id, "--api", api, "--token-file", tokenFile.toString());
        assertThat(expired.code()).as(expired.err()).isZero();
        assertThat(expired.out()).startsWith("expired " + id);
        await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(run("silence", "list", "--api", api).out()).contains(id).contains("expired"));
        assertThat(run("silence", "expire", "nope", "--api", api, "--token-file", tokenFile.toString()).err()).contains("404");

        String alertId = app.queries().activeAlerts(true).get(0).path("alertId").asText();
        Run ack = run("ack", alertId, "--api", api, "--token-file", tokenFile.toString(), "--comment", "on it");
        assertThat(ack.code()).as(ack.err()).isZero();
        assertThat(ack.out()).contains("acknowledged incident incident-").contains(alertId);
        assertThat(run("ack", "no-such-alert", "--api", api, "--token-file", tokenFile.toString()).err()).contains("404");
    }
}
