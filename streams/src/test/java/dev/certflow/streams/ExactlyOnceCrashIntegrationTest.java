package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import dev.certflow.testkit.TestKafka;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.Serdes;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Exactly-once under a crash: the application runs in a child JVM ({@code StreamsCommand}) that is
 * killed with SIGKILL while it works through the input, then restarted with the same state
 * directory. Read with read_committed, every row and every alert is there exactly once.
 */
class ExactlyOnceCrashIntegrationTest {
    private static final int BATCH = 300;
    /**
     * Alerts of one batch: each certificate expires in 5 days, so it is in the 7d floor (EXPIRING) and,
     * renewed by hand (30 days' lead time) with no renewal seen, RENEWAL_OVERDUE; a third also RENEWAL_FAILED.
     */
    private static final int PER_BATCH = 2 * BATCH + BATCH / 3;
    private final List<Process> children = new ArrayList<>();
    private EmbeddedSchemaRegistry registry;

    @AfterEach
    void tearDown() {
        children.forEach(Process::destroyForcibly);
        if (registry != null) {
            registry.close();
        }
    }

    private Process startChild(Path config, Path log) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                StreamsCommand.class.getName(), "--config", config.toString());
        pb.redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        Process p = pb.start();
        children.add(p);
        return p;
    }

    @Test
    void outputIsExactlyOnceAfterTheApplicationIsKilledMidStreamAndRestarted(@TempDir Path dir) throws Exception {
        registry = EmbeddedSchemaRegistry.start(0); // shared by this JVM and the child
        KafkaSettings kafka = TestKafka.freshSettings("eos");
        kafka.schemaRegistryUrl = registry.url();
        new TopicManager(kafka).ensure(Topics.ALL);
        Topics topics = kafka.topics();
        String appId = TestKafka.uniqueId("eos-app");
        Path config = dir.resolve("certflow.yaml");
        Files.writeString(config, String.join("\n",
                "kafka:",
                "  bootstrapServers: \"" + kafka.bootstrapServers + "\"",
                "  schemaRegistryUrl: \"" + kafka.schemaRegistryUrl + "\"",
                "  topicPrefix: \"" + kafka.topicPrefix + "\"",
                "ops:",
                "  port: -1",
                "streams:",
                "  applicationId: " + appId,
                "  stateDir: \"" + dir.resolve("state").toString().replace(File.separatorChar, '/') + "\"",
                "  commitInterval: 10s", // long, so the kill below lands inside an open transaction
                // -Dcertflow.test.guarantee=at_least_once shows this test failing without exactly-once
                "  processingGuarantee: " + System.getProperty("certflow.test.guarantee", "exactly_once_v2"),
                "  properties:",
                "    session.timeout.ms: \"6000\"",
                "    heartbeat.interval.ms: \"1000\"",
                "    transaction.timeout.ms: \"30000\"",
                ""));
        Path log = dir.resolve("child.log");

        Instant now = Instant.now();
        produceBatch(kafka, topics, 0, now);
        Process first = startChild(config, log);
        // wait until the first instance has committed some output, then add more input and kill it mid-stream
        KafkaIo.readUntil(kafka, topics.certificateAlerts().name(), Serdes.String().deserializer(),
                topics.certificateAlerts().valueSerde().deserializer(), l -> !l.isEmpty(), Duration.ofSeconds(90), Duration.ZERO);
        produceBatch(kafka, topics, 1, now);
        // kill as soon as output of the second batch is written but (with a 10 s commit interval) not yet committed
        KafkaIo.readUntil(kafka, topics.certificateAlerts().name(), Serdes.String().deserializer(),
                topics.certificateAlerts().valueSerde().deserializer(), l -> l.size() > PER_BATCH, Duration.ofSeconds(60), Duration.ZERO, false);
        first.destroyForcibly();
        assertThat(first.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)).isTrue();
        assertThat(first.exitValue()).isNotZero();

        startChild(config, log);
        int expectedAlerts = 2 * PER_BATCH;
        List<ConsumerRecord<String, Alert>> alerts = KafkaIo.readUntil(kafka, topics.certificateAlerts().name(), Serdes.String().deserializer(),
                topics.certificateAlerts().valueSerde().deserializer(), l -> l.size() >= expectedAlerts, Duration.ofSeconds(120), Duration.ofSeconds(3));
        List<ConsumerRecord<String, ExpiringCertificate>> rows = KafkaIo.readUntil(kafka, topics.certificatesExpiring().name(), Serdes.String().deserializer(),
                topics.certificatesExpiring().valueSerde().deserializer(), l -> l.size() >= 2 * BATCH, Duration.ofSeconds(60), Duration.ofSeconds(1));
        List<ConsumerRecord<String, FailedRenewal>> failed = KafkaIo.readUntil(kafka, topics.renewalsFailed().name(), Serdes.String().deserializer(),
                topics.renewalsFailed().valueSerde().deserializer(), l -> l.stream().map(ConsumerRecord::key).distinct().count() >= 2 * BATCH / 3,
                Duration.ofSeconds(60), Duration.ofSeconds(1));

        assertThat(alerts).hasSize(expectedAlerts);
        assertThat(alerts.stream().map(ConsumerRecord::key).distinct().count()).isEqualTo(expectedAlerts);
        Map<AlertKind, Long> byKind = alerts.stream().collect(Collectors.groupingBy(r -> r.value().getKind(), Collectors.counting()));
        assertThat(byKind).containsEntry(AlertKind.EXPIRING, (long) 2 * BATCH).containsEntry(AlertKind.RENEWAL_FAILED, (long) 2 * BATCH / 3)
                .containsEntry(AlertKind.RENEWAL_OVERDUE, (long) 2 * BATCH);
        assertThat(alerts).allMatch(r -> r.value().getStatus() == AlertStatus.FIRING);
        assertThat(rows).hasSize(2 * BATCH);
        assertThat(rows.stream().map(ConsumerRecord::key).distinct().count()).isEqualTo(2 * BATCH);
        // a failed-renewal row is re-published when its certificate arrives after the attempt, so count keys
        Map<String, FailedRenewal> latest = failed.stream().collect(Collectors.toMap(ConsumerRecord::key, ConsumerRecord::value, (x, y) -> y));
        assertThat(latest).hasSize(2 * BATCH / 3);
        assertThat(latest.values()).allMatch(f -> f.getConsecutiveFailures() == 1 && f.getCertificate() != null);
        // the kill did land inside an open transaction: its output is in the log as aborted records,
        // invisible to read_committed readers (under at_least_once there are no aborted records and this fails)
        List<ConsumerRecord<String, Alert>> uncommitted = KafkaIo.readUntil(kafka, topics.certificateAlerts().name(), Serdes.String().deserializer(),
                topics.certificateAlerts().valueSerde().deserializer(), l -> l.size() >= expectedAlerts, Duration.ofSeconds(30), Duration.ofSeconds(1), false);
        assertThat(uncommitted.size()).isGreaterThan(expectedAlerts);
        assertThat(Files.readString(log)).doesNotContain("Exception in thread \"main\"");
    }

    private static void produceBatch(KafkaSettings kafka, Topics topics, int batch, Instant now) {
        List<ProducerRecord<String, Certificate>> certs = new ArrayList<>();
        List<ProducerRecord<String, RenewalAttempt>> attempts = new ArrayList<>();
        for (int i = 0; i < BATCH; i++) {
            CertificateKey key = Fixtures.key("t" + (i % 7), "b" + batch + "-" + i);
            certs.add(new ProducerRecord<>(topics.certificates().name(), Fixtures.k(key), Fixtures.cert(key, now.plus(Duration.ofDays(5)))));
            if (i % 3 == 0) {
                attempts.add(new ProducerRecord<>(topics.renewalAttempts().name(), Fixtures.k(key),
                        Fixtures.attempt(key, "a" + batch + "-" + i, AttemptStatus.FAILED, now.minusSeconds(60), "rate limited")));
            }
        }
        KafkaIo.produce(kafka, topics.certificates().name(), Serdes.String().serializer(), topics.certificates().valueSerde().serializer(), certs);
        KafkaIo.produce(kafka, topics.renewalAttempts().name(), Serdes.String().serializer(), topics.renewalAttempts().valueSerde().serializer(), attempts);
    }

}
