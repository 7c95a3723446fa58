package dev.certflow.local;

import dev.certflow.cli.Main;

import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.serde.AvroSerializer;
import dev.certflow.testkit.SecureTestKafka;
import dev.certflow.testkit.TestTls;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * certflow's own client settings ({@code kafka.securityProtocol}, {@code kafka.tls},
 * {@code kafka.sasl}) against the in-JVM broker's SSL and SASL_SSL (SCRAM-SHA-512) listeners:
 * admin, producer, consumer, {@code topics --create} and {@code tail} work; a wrong
 * password, an untrusted certificate and a certificate for another host each fail quickly with a
 * message naming the cause and never the password. In this module, not cli: cli's tests run on the
 * image's class path, which holds no broker.
 */
class KafkaSecurityIntegrationTest {
    private static final String PASSWORD = "scram-CANARY-7f3a";
    private static final Duration QUICKLY = Duration.ofSeconds(20);
    private static final Schema SCHEMA = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"dev.certflow.test\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}");

    @TempDir
    static Path dir;
    static SecureTestKafka secure;
    static TestTls.StoreFiles otherTls;
    static TestTls.StoreFiles wrongHostTls;
    static EmbeddedKafkaBroker broker;
    static EmbeddedKafkaBroker wrongHostBroker;
    static Path passwordFile;

    @BeforeAll
    static void start() throws Exception {
        secure = SecureTestKafka.start(dir, PASSWORD);
        broker = secure.broker();
        otherTls = TestTls.storeFiles(dir, "other", "dns:other.example");
        wrongHostTls = TestTls.storeFiles(dir, "wrong-host", "dns:broker.other.example");
        wrongHostBroker = EmbeddedKafkaBroker.start(Files.createTempDirectory(dir, "kafka-wrong-host"), 0, true, Map.of(),
                new EmbeddedKafkaBroker.SecureListeners(wrongHostTls.keyStore(), wrongHostTls.password(), Map.of()));
        passwordFile = Files.writeString(dir.resolve("scram-password"), PASSWORD + "\n");
    }

    @AfterAll
    static void stop() {
        if (secure != null) {
            secure.close();
        }
        if (wrongHostBroker != null) {
            wrongHostBroker.close();
        }
    }

    private static Path configFile(String name, String bootstrap, String protocol, Path trustStore, String passwordRef, String scope) {
        return secure.configFile(name, bootstrap, protocol, trustStore, passwordRef, scope);
    }

    private static KafkaSettings settings(Path file, Map<String, String> env) {
        return SecureTestKafka.settings(file, env);
    }

    private static String newTopic(KafkaSettings kafka) {
        String name = "secure-" + UUID.randomUUID();
        new TopicManager(kafka).ensure(List.of(new TopicSpec(name, 1, TopicSpec.Cleanup.DELETE, null, "test", String.class, "test", "test")));
        return name;
    }

    private static List<String> roundTrip(KafkaSettings kafka, String topic) throws Exception {
        try (KafkaProducer<String, String> producer = new KafkaProducer<>(kafka.producer("secure-producer"), new StringSerializer(), new StringSerializer())) {
            producer.send(new ProducerRecord<>(topic, "k", "over " + kafka.securityProtocol)).get();
        }
        return consume(kafka, topic, 1);
    }

    private static List<String> consume(KafkaSettings kafka, String topic, int count) {
        List<String> values = new ArrayList<>();
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(kafka.consumer("secure-" + UUID.randomUUID(), "secure-consumer"),
                new StringDeserializer(), new StringDeserializer())) {
            consumer.subscribe(List.of(topic));
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (values.size() < count && System.nanoTime() < deadline) {
                for (ConsumerRecord<String, String> r : consumer.poll(Duration.ofMillis(200))) {
                    values.add(r.value());
                }
            }
        }
        return values;
    }

    @Test
    void saslSslWithScramProducesAndConsumes() throws Exception {
        KafkaSettings kafka = secure.saslSsl("sasl-roundtrip", PASSWORD);
        assertThat(roundTrip(kafka, newTopic(kafka))).containsExactly("over SASL_SSL");
    }

    @Test
    void tlsOnlyProducesAndConsumes() throws Exception {
        KafkaSettings kafka = settings(configFile("ssl", broker.sslBootstrapServers(), "SSL", secure.trustStore(), null, "ssl"), Map.of());
        assertThat(roundTrip(kafka, newTopic(kafka))).containsExactly("over SSL");
    }

    @Test
    void topicsAndTailCommandsUseTheSecuritySettings() throws Exception {
        String scope = "sasl-cli";
        Path config = configFile("cli", broker.saslSslBootstrapServers(), "SASL_SSL", secure.trustStore(), "file:" + passwordFile, scope);
        KafkaSettings kafka = settings(config, Map.of());
        String topic = newTopic(kafka);
        try (KafkaProducer<String, GenericRecord> producer = new KafkaProducer<>(kafka.producer("secure-avro"), new StringSerializer(), avro(kafka))) {
            GenericRecord probe = new GenericData.Record(SCHEMA);
            probe.put("n", 42);
            producer.send(new ProducerRecord<>(topic, "probe-1", probe)).get();
        }
        Run topics = run("topics", "--create", "--config", config.toString(), "--set", "kafka.topicPrefix=cli.");
        assertThat(topics.code).as(topics.err).isZero();
        assertThat(topics.out).contains("cli.certificate-alerts").contains("created");

        Run tail = run("tail", topic, "--from-beginning", "--max", "1", "--config", config.toString());
        assertThat(tail.code).as(tail.err).isZero();
        assertThat(tail.out).contains("{\"key\":\"probe-1\",\"value\":{\"n\": 42}}");
    }

    private static AvroSerializer<GenericRecord> avro(KafkaSettings kafka) {
        AvroSerializer<GenericRecord> serializer = new AvroSerializer<>(MockSchemaRegistry.scope("sasl-cli"));
        serializer.configure(kafka.serdeConfig(), false);
        return serializer;
    }

    @Test
    void wrongPasswordFailsQuicklyNamingTheCause() throws Exception {
        KafkaSettings kafka = settings(configFile("wrong-password", broker.saslSslBootstrapServers(), "SASL_SSL", secure.trustStore(),
                "${TEST_SCRAM_PASSWORD}", "wrong"), Map.of("TEST_SCRAM_PASSWORD", "not-" + PASSWORD));
        long start = System.nanoTime();
        assertThatThrownBy(() -> newTopic(kafka))
                .hasMessageContaining("Kafka at " + broker.saslSslBootstrapServers())
                .hasMessageContaining("the brokers refused the SCRAM-SHA-512 login of user 'certflow': wrong user name or password")
                .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICKLY);

        Path config = configFile("wrong-password-cli", broker.saslSslBootstrapServers(), "SASL_SSL", secure.trustStore(),
                "file:" + Files.writeString(dir.resolve("wrong-password"), "not-" + PASSWORD), "wrong");
        Run tail = run("tail", "certificate-alerts", "--max", "1", "--config", config.toString());
        assertThat(tail.code).isEqualTo(1);
        assertThat(tail.err).contains("refused the SCRAM-SHA-512 login of user 'certflow'").doesNotContain(PASSWORD);
    }

    @Test
    void untrustedCertificateFailsQuicklyNamingTheTrustStore() throws Exception {
        KafkaSettings kafka = settings(configFile("untrusted", broker.saslSslBootstrapServers(), "SASL_SSL", otherTls.trustStore(),
                "${TEST_SCRAM_PASSWORD}", "untrusted"), Map.of("TEST_SCRAM_PASSWORD", PASSWORD));
        long start = System.nanoTime();
        assertThatThrownBy(() -> newTopic(kafka))
                .hasMessageContaining("TLS: the broker's certificate is not trusted by kafka.tls.trustStore " + otherTls.trustStore())
                .satisfies(e -> assertThat(chain(e)).doesNotContain(PASSWORD));
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICKLY);
    }

    @Test
    void certificateForAnotherHostFailsHostNameVerification() throws Exception {
        KafkaSettings kafka = settings(configFile("wrong-host", wrongHostBroker.sslBootstrapServers(), "SSL", wrongHostTls.trustStore(), null,
                "wrong-host"), Map.of());
        long start = System.nanoTime();
        assertThatThrownBy(() -> newTopic(kafka))
                .hasMessageContaining("TLS: the broker's certificate is not valid for this host");
        assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(QUICKLY);
    }

    private static String chain(Throwable e) {
        StringBuilder sb = new StringBuilder();
        for (Throwable c = e; c != null; c = c.getCause()) {
            sb.append(c).append('\n');
        }
        return sb.toString();
    }

    private record Run(int code, String out, String err) {
    }

    /** Runs a command in this JVM with its standard output and error captured. */
    private static synchronized Run run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(o, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(e, true, StandardCharsets.UTF_8));
            int code = Main.run(args);
            return new Run(code, o.toString(StandardCharsets.UTF_8), e.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
    }
}
