package dev.certflow.sink;

import com.sun.net.httpserver.HttpServer;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The schema registry answering 503 while the sink reads records it has no writer schema for yet
 * (as when {@code certflow broker}, which serves it, restarts): the view writer and the alert
 * delivery wait for it and then write and deliver everything; nothing is dead-lettered as unreadable.
 */
class RegistryOutageIntegrationTest {
    private KafkaSettings kafka;
    private KafkaSettings sinkKafka;
    private String jdbcUrl;
    private HikariDataSource ds;
    private HttpServer down;
    private EmbeddedSchemaRegistry registry;
    private final AtomicInteger refused = new AtomicInteger();

    @BeforeEach
    void setUp() throws Exception {
        kafka = TestKafka.freshSettings("registry-outage");
        new TopicManager(kafka).ensure(Topics.ALL);
        jdbcUrl = TestPostgres.freshDatabase();
        ds = SinkDatabase.dataSource(jdbcUrl, "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        int port;
        try (ServerSocket s = new ServerSocket(0, 50, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        down = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 0);
        down.createContext("/", exchange -> {
            refused.incrementAndGet();
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(503, -1);
            exchange.close();
        });
        down.start();
        // the sink reads the same topics through the registry on that port
        sinkKafka = new KafkaSettings();
        sinkKafka.bootstrapServers = kafka.bootstrapServers;
        sinkKafka.topicPrefix = kafka.topicPrefix;
        sinkKafka.partitions = kafka.partitions;
        sinkKafka.schemaRegistryUrl = "http://127.0.0.1:" + port;
    }

    @AfterEach
    void tearDown() {
        if (down != null) {
            down.stop(0);
        }
        if (registry != null) {
            registry.close();
        }
        ds.close();
    }

    @Test
    void theSinkWaitsForTheRegistryAndThenWritesAndDeliversEverythingWithNothingDeadLettered() throws Exception {
        Certificate cert = Fixtures.certificate("acme", "c1", Fixtures.NOW.plus(Duration.ofDays(5)));
        Alert alert = Fixtures.alert("al-outage", AlertStatus.FIRING, Severity.CRITICAL);
        Topics topics = kafka.topics();
        try (var pc = new KafkaProducer<>(kafka.producer("test-c"), topics.certificates().keySerde().serializer(), topics.certificates().valueSerde().serializer());
             var pa = new KafkaProducer<>(kafka.producer("test-a"), topics.certificateAlerts().keySerde().serializer(), topics.certificateAlerts().valueSerde().serializer())) {
            pc.send(new ProducerRecord<>(topics.certificates().name(), Fixtures.key(cert), cert)).get(30, TimeUnit.SECONDS);
            pa.send(new ProducerRecord<>(topics.certificateAlerts().name(), alert.getAlertId(), alert)).get(30, TimeUnit.SECONDS);
        }
        SinkConfig config = new SinkConfig();
        config.jdbcUrl = jdbcUrl;
        config.password = Secret.of("postgres");
        config.groupId = TestKafka.uniqueId("sink");
        config.pollTimeout = Duration.ofMillis(100);
        config.initialBackoff = Duration.ofMillis(50);
        config.maxBackoff = Duration.ofMillis(500);
        ChannelConfig console = new ChannelConfig();
        console.name = "stdout";
        console.type = "console";
        config.channels.add(console);
        ByteArrayOutputStream out = new ByteArrayOutputStream();

        try (Sink sink = Sink.start(sinkKafka, config, new SimpleMeterRegistry(), null, FaultHook.NONE, new PrintStream(out, true, StandardCharsets.UTF_8))) {
            // both readers asked for the writer schemas and were refused, more than once
            await().atMost(Duration.ofSeconds(60)).until(() -> refused.get() >= 4);
            assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isZero();
            assertThat(out.toString(StandardCharsets.UTF_8)).isEmpty();

            // the registry is back on the same address, with the schemas the records were written with
            down.stop(0);
            down = null;
            registry = EmbeddedSchemaRegistry.start(MockSchemaRegistry.scope(kafka.schemaRegistryUrl.substring("mock://".length())),
                    Integer.parseInt(sinkKafka.schemaRegistryUrl.substring(sinkKafka.schemaRegistryUrl.lastIndexOf(':') + 1)));

            await().atMost(Duration.ofSeconds(60)).untilAsserted(() -> {
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(1);
                assertThat(Fixtures.count(ds, "SELECT count(*) FROM alert_history")).isEqualTo(1);
                assertThat(out.toString(StandardCharsets.UTF_8)).contains("al-outage").contains("FIRING");
            });
            assertThat(sink.isHealthy()).isTrue();
        }
        assertThat(endOffsets(topics.deadLetters().name())).as("records dead-lettered while the registry was down").isZero();
        assertThat(endOffsets(topics.alertDeliveriesDlq().name())).isZero();
    }

    private long endOffsets(String topic) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("check"))) {
            int partitions = admin.describeTopics(java.util.List.of(topic)).allTopicNames().get(30, TimeUnit.SECONDS).get(topic).partitions().size();
            Map<TopicPartition, OffsetSpec> spec = new HashMap<>();
            for (int p = 0; p < partitions; p++) {
                spec.put(new TopicPartition(topic, p), OffsetSpec.latest());
            }
            return admin.listOffsets(spec).all().get(30, TimeUnit.SECONDS).values().stream().mapToLong(r -> r.offset()).sum();
        }
    }
}
