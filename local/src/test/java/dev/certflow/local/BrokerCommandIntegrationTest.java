package dev.certflow.local;

import dev.certflow.cli.Main;
import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.serde.AvroDeserializer;
import dev.certflow.schemas.serde.AvroSerializer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code certflow broker} as a standalone process, as developers and fault tests use it: it prints
 * how to connect, serves a broker with certflow's topics, stops cleanly on SIGTERM, and with
 * {@code --dir} keeps records and their schemas across a restart, and {@code --advertised-listener}
 * sends clients to another address (a proxy) while its own traffic stays direct.
 */
class BrokerCommandIntegrationTest {
    private static final Schema PROBE = new Schema.Parser().parse(
            "{\"type\":\"record\",\"name\":\"Probe\",\"namespace\":\"dev.certflow.test\",\"fields\":[{\"name\":\"n\",\"type\":\"int\"}]}");

    @TempDir
    Path dir;

    /** A running {@code certflow broker} child and what it printed. */
    private record Child(Process process, Map<String, String> printed, List<String> lines) {
        String get(String label) {
            return printed.get(label);
        }

        void stop() throws InterruptedException {
            process.destroy(); // SIGTERM: the shutdown hook stops the broker (and deletes a temporary directory)
            assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
            assertThat(process.exitValue()).as("output: %s", lines).isIn(0, 143);
        }
    }

    private static Child start(String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "broker"));
        command.addAll(List.of(args));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        List<String> lines = Collections.synchronizedList(new ArrayList<>());
        Map<String, String> printed = new HashMap<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        try {
            CompletableFuture.runAsync(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        lines.add(line);
                        int colon = line.indexOf(" : ");
                        if (colon > 0) {
                            printed.put(line.substring(0, colon).trim(), line.substring(colon + 3).trim());
                        }
                        if (line.startsWith("Press Ctrl-C")) {
                            return;
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }).get(90, TimeUnit.SECONDS);
        } catch (Exception e) {
            process.destroyForcibly();
            throw new AssertionError("certflow broker did not start; output: " + lines, e);
        }
        CompletableFuture.runAsync(() -> out.lines().forEach(lines::add));
        return new Child(process, printed, lines);
    }

    @Test
    void runsAsAChildProcessAndStopsCleanlyOnSigterm() throws Exception {
        Child child = start("--port", "0", "--registry-port", "0", "--create-topics", "--topic-prefix", "child.");
        try {
            assertThat(child.get("bootstrap servers")).as("output: %s", child.lines()).matches("127\\.0\\.0\\.1:\\d+");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", child.get("bootstrap servers")))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("child.certificates", "child.certificate-alerts");
            }
        } finally {
            child.stop();
        }
    }

    @Test
    void withDirRecordsAndTheirSchemasSurviveARestart() throws Exception {
        Path logDir = dir.resolve("broker");
        int id;
        Child first = start("--port", "0", "--registry-port", "0", "--dir", logDir.toString());
        try {
            HttpSchemaRegistryClient registry = registry(first);
            id = registry.register("probes-value", PROBE);
            String bootstrap = first.get("bootstrap servers");
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                admin.createTopics(List.of(new org.apache.kafka.clients.admin.NewTopic("probes", 1, (short) 1))).all().get(30, TimeUnit.SECONDS);
            }
            GenericRecord probe = new GenericData.Record(PROBE);
            probe.put("n", 7);
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", bootstrap),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("probes", new AvroSerializer<GenericRecord>(registry).serialize("probes", probe)))
                        .get(30, TimeUnit.SECONDS);
            }
        } finally {
            first.stop();
        }

        Child second = start("--port", "0", "--registry-port", "0", "--dir", logDir.toString());
        try {
            HttpSchemaRegistryClient registry = registry(second);
            assertThat(registry.getById(id)).isEqualTo(PROBE);
            TopicPartition partition = new TopicPartition("probes", 0);
            List<ConsumerRecord<byte[], byte[]>> records = new ArrayList<>();
            try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", second.get("bootstrap servers")),
                    new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
                consumer.assign(List.of(partition));
                consumer.seekToBeginning(List.of(partition));
                long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
                while (records.isEmpty() && System.nanoTime() < deadline) {
                    consumer.poll(Duration.ofMillis(200)).forEach(records::add);
                }
            }
            assertThat(records).hasSize(1);
            GenericRecord decoded = AvroDeserializer.generic(registry).deserialize("probes", records.get(0).value());
            assertThat(decoded.get("n")).isEqualTo(7);
        } finally {
            second.stop();
        }
    }

    @Test
    void advertisesAnotherAddressThanItListensOnAndKeepsItsOwnTrafficInternal() throws Exception {
        int port = dev.certflow.embedded.kafka.EmbeddedKafkaBroker.freePort();
        try (Forwarder forwarder = new Forwarder(port)) {
            String advertised = "127.0.0.1:" + forwarder.port();
            Child child = start("--port", Integer.toString(port), "--registry-port", "0", "--advertised-listener", advertised,
                    "--create-topics", "--topic-prefix", "adv.");
            try {
                assertThat(child.get("advertised as")).as("output: %s", child.lines()).startsWith(advertised + " (internal listener 127.0.0.1:");
                assertThat(child.get("connect with")).contains("CERTFLOW_KAFKA__BOOTSTRAP_SERVERS=" + advertised + " ");
                // bootstrapped on the listening port, a client is told the advertised address and goes on there
                try (Admin admin = Admin.create(Map.of("bootstrap.servers", "127.0.0.1:" + port))) {
                    var nodes = admin.describeCluster().nodes().get(30, TimeUnit.SECONDS);
                    assertThat(nodes).singleElement().satisfies(n -> {
                        assertThat(n.host()).isEqualTo("127.0.0.1");
                        assertThat(n.port()).isEqualTo(forwarder.port());
                    });
                    // --create-topics went over the internal listener; this listing goes through the forwarder
                    assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("adv.certificates");
                }
                assertThat(forwarder.accepted()).as("connections through the advertised address").isPositive();
                // the registry keeps its schemas through the internal listener
                assertThat(registry(child).register("probes-value", PROBE)).isPositive();
            } finally {
                child.stop();
            }
        }
    }

    @Test
    void refusesAnAdvertisedListenerWithoutAPort() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx256m", "-cp", System.getProperty("java.class.path"), Main.class.getName(), "broker",
                "--port", "0", "--registry-port", "-1", "--advertised-listener", "proxy.example").redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isNotZero();
        assertThat(output).contains("bad advertised listener 'proxy.example': must be HOST:PORT");
    }

    /** Forwards every connection on a free loopback port to 127.0.0.1:{@code target}, counting them. */
    private static final class Forwarder implements AutoCloseable {
        private final java.net.ServerSocket server = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
        private final java.util.concurrent.atomic.AtomicInteger accepted = new java.util.concurrent.atomic.AtomicInteger();
        private final java.util.concurrent.ExecutorService threads = java.util.concurrent.Executors.newCachedThreadPool();

        Forwarder(int target) throws java.io.IOException {
            threads.submit(() -> {
                while (!server.isClosed()) {
                    java.net.Socket in = server.accept();
                    java.net.Socket out = new java.net.Socket("127.0.0.1", target);
                    accepted.incrementAndGet();
                    threads.submit(() -> in.getInputStream().transferTo(out.getOutputStream()));
                    threads.submit(() -> out.getInputStream().transferTo(in.getOutputStream()));
                }
                return null;
            });
        }

        int port() {
            return server.getLocalPort();
        }

        int accepted() {
            return accepted.get();
        }

        @Override
        public void close() throws java.io.IOException {
            server.close();
            threads.shutdownNow();
        }
    }

    private static HttpSchemaRegistryClient registry(Child child) {
        assertThat(child.get("schema registry")).as("output: %s", child.lines()).startsWith("http://127.0.0.1:");
        return new HttpSchemaRegistryClient(List.of(child.get("schema registry")), null, null, Duration.ofSeconds(10));
    }
}
