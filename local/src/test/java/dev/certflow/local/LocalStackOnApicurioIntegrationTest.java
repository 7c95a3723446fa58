package dev.certflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.registry.ApicurioRegistry;
import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.serde.AvroDeserializer;
import dev.certflow.simulator.FleetCertificate;
import dev.certflow.simulator.ScriptEvent;
import org.apache.avro.Schema;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The one-JVM pipeline with Apicurio Registry, a registry nobody here wrote, as its
 * {@code kafka.schemaRegistryUrl}: ingest, streams (its state-store changelogs included) and the sink
 * register and resolve every schema through it. A shorter run than {@link LocalStackEndToEndIntegrationTest}:
 * nine simulated hours, by which the scripted certificates have fired their first alerts (expired,
 * expiry unknown, the bucket each entered last, a failed renewal and its success). Apicurio runs
 * with BACKWARD, as a Confluent registry would, and without canonical-form dedupe: certflow must not
 * need it.
 */
class LocalStackOnApicurioIntegrationTest {
    private static final Duration RUN = Duration.ofHours(9);
    private static ApicurioRegistry apicurio;

    @BeforeAll
    static void startApicurio() {
        apicurio = ApicurioRegistry.named("cli-pipeline").globalCompatibility("BACKWARD").start();
    }

    @AfterAll
    static void stopApicurio() {
        if (apicurio != null) {
            apicurio.close();
        }
    }

    @Test
    void ingestStreamsAndSinkResolveEverySchemaThroughApicurio() throws Exception {
        try (EndToEnd.Recorder recorder = new EndToEnd.Recorder();
             LocalStack stack = LocalStack.start(EndToEnd.options(recorder, 150,
                     root -> {
                        EndToEnd.fixedThresholds(root); // its expectations are the day profile's threshold crossings
                        root.putObject("kafka").put("schemaRegistryUrl", apicurio.ccompatUrl());
                    }))) {
            assertThat(stack.schemaRegistryUrl()).isEqualTo(apicurio.ccompatUrl());
            var clock = stack.simulator().clock();
            Instant end = clock.start().plus(RUN);
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).until(() -> clock.instant().isAfter(end));

            List<JsonNode> received = recorder.received;
            List<FleetCertificate> scripted = stack.simulator().fleet().scenario();
            // the alerts of what happened by the end of the run, however long the pipeline took to pass them on
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2))
                    .untilAsserted(() -> checkFirstAlerts(scripted, EndToEnd.byKey(received), end));

            // the sink read the same alerts and certificates from the topics (the fleet runs on: compare at one moment)
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> assertThat(new HashSet<>(EndToEnd.notifiedHistory(stack.jdbcUrl())))
                    .isEqualTo(received.stream().map(a -> a.get("alertId").asText() + " " + a.get("status").asText()).collect(Collectors.toSet())));
            await().atMost(Duration.ofMinutes(1)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                Set<String> rows = EndToEnd.certificateKeys(stack.jdbcUrl());
                Instant now = clock.instant();
                for (FleetCertificate c : scripted) {
                    if (c.presentAt(now) && c.presentAt(now.minus(Duration.ofHours(2)))) {
                        assertThat(rows).as(c.script() + " " + c.key() + " row").contains(c.key());
                    }
                }
            });

            // every subject the pipeline writes is in Apicurio with its contract, read by a client that registered nothing
            HttpSchemaRegistryClient reader = new HttpSchemaRegistryClient(List.of(apicurio.ccompatUrl()), null, null, Duration.ofSeconds(10));
            String app = "certflow-streams-";
            Map<String, Schema> expected = new LinkedHashMap<>();
            expected.put("certificates-value", Certificate.SCHEMA$);
            expected.put("renewal-attempts-value", RenewalAttempt.SCHEMA$);
            expected.put("source-status-value", SourceStatus.SCHEMA$);
            expected.put("ingest-checkpoints-value", IngestCheckpoint.SCHEMA$);
            expected.put("certificates-expiring-value", ExpiringCertificate.SCHEMA$);
            expected.put("renewals-failed-value", FailedRenewal.SCHEMA$);
            expected.put("certificate-alerts-value", Alert.SCHEMA$);
            expected.put(app + "certificate-store-changelog-value", Certificate.SCHEMA$);
            expected.put(app + "expiring-store-changelog-value", ExpiringCertificate.SCHEMA$);
            expected.put(app + "expiry-unknown-store-changelog-value", Certificate.SCHEMA$);
            expected.put(app + "failed-renewal-store-changelog-value", FailedRenewal.SCHEMA$);
            expected.put(app + "certificate-alert-store-changelog-value", Alert.SCHEMA$);
            assertThat(reader.subjects()).containsAll(expected.keySet());
            expected.forEach((subject, schema) -> assertThat(reader.version(subject, -1).schema()).as(subject).isEqualTo(schema));

            // what streams wrote to its changelog (what a restore reads) decodes with that client
            assertThat(changelogCertificates(stack.bootstrapServers(), app + "certificate-store-changelog", reader))
                    .isNotEmpty().allSatisfy((key, value) -> assertThat(CertificateKeys.format(value.getKey())).isEqualTo(key));
        }
    }

    /** Each script's alerts due by {@code end}: expired, expiry unknown, the bucket entered last, a renewal failing then succeeding. */
    private static void checkFirstAlerts(List<FleetCertificate> scripted, Map<String, List<JsonNode>> byKey, Instant end) {
        Set<String> seen = new HashSet<>();
        Set<String> renewed = new HashSet<>();
        for (FleetCertificate c : scripted) {
            List<String> alerts = kindsStatusesAndThresholds(byKey.getOrDefault(c.key(), List.of()));
            String what = c.script() + " " + c.key() + " got " + alerts;
            switch (c.script()) {
                case EXPIRED -> assertThat(alerts).as(what).contains("EXPIRED FIRING");
                case NO_EXPIRY, UNPARSEABLE_EXPIRY -> assertThat(alerts).as(what).contains("EXPIRY_UNKNOWN FIRING");
                case CROSSES_1D, CROSSES_30D -> assertThat(alerts).as(what).contains("EXPIRING FIRING " + lastCrossed(c, end) + "d");
                case RENEWAL_FAILS_THEN_SUCCEEDS -> {
                    // seen only by a poll inside its 6-hour failing streak (15 s here): one failing-then-renewed certificate is enough
                    if (alerts.containsAll(List.of("RENEWAL_FAILED FIRING", "RENEWAL_FAILED RESOLVED"))) {
                        renewed.add(c.key());
                    }
                }
                default -> {
                    continue;
                }
            }
            seen.add(c.script().name());
        }
        assertThat(seen).as("scripts checked").contains("EXPIRED", "NO_EXPIRY", "UNPARSEABLE_EXPIRY", "CROSSES_1D", "CROSSES_30D",
                "RENEWAL_FAILS_THEN_SUCCEEDS");
        assertThat(renewed).as("a renewal failing then succeeding, among " + byKey.keySet()).isNotEmpty();
    }

    /** The threshold (days) a scripted certificate crossed last, an hour of simulated time or more ago (polls take 24 minutes). */
    private static int lastCrossed(FleetCertificate c, Instant now) {
        return c.events().stream().filter(e -> e.type() == ScriptEvent.Type.THRESHOLD_CROSSED && e.at().isBefore(now.minus(Duration.ofHours(1))))
                .reduce((first, second) -> second).orElseThrow(() -> new AssertionError(c + " crossed no threshold by " + now)).days();
    }

    /** {@code KIND STATUS}, and the bucket of EXPIRING alerts ({@code EXPIRING FIRING 7d}). */
    private static List<String> kindsStatusesAndThresholds(List<JsonNode> alerts) {
        List<String> out = new ArrayList<>();
        for (JsonNode a : alerts) {
            String line = a.get("kind").asText() + " " + a.get("status").asText();
            out.add(a.get("kind").asText().equals("EXPIRING") ? line + " " + a.path("threshold").asText() : line);
        }
        return out;
    }

    private static Map<String, Certificate> changelogCertificates(String bootstrap, String topic, HttpSchemaRegistryClient registry) {
        Map<String, Object> config = Map.of(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrap,
                ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest", ConsumerConfig.GROUP_ID_CONFIG, "apicurio-changelog-check",
                ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_committed");
        AvroDeserializer<Certificate> values = new AvroDeserializer<>(registry, Certificate.class);
        Map<String, Certificate> out = new LinkedHashMap<>();
        try (KafkaConsumer<String, byte[]> consumer = new KafkaConsumer<>(config, new StringDeserializer(), new ByteArrayDeserializer())) {
            consumer.subscribe(List.of(topic));
            await().atMost(Duration.ofSeconds(30)).until(() -> {
                for (ConsumerRecord<String, byte[]> r : consumer.poll(Duration.ofMillis(500))) {
                    if (r.value() != null) {
                        out.put(r.key(), values.deserialize(topic, r.value()));
                    }
                }
                return out.size() >= 10;
            });
        }
        return out;
    }
}
