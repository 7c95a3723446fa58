package dev.certflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.serde.AvroDeserializer;
import dev.certflow.simulator.SimulatorOptions;
import org.apache.avro.generic.GenericEnumSymbol;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListOffsetsOptions;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.IsolationLevel;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;
import static org.awaitility.Awaitility.await;

/**
 * The Java side of the tests where a consumer nobody here wrote reads every topic certflow writes
 * ({@link KafkajsConsumerIntegrationTest}, {@link ConfluentKafkaPythonConsumerIntegrationTest}). It runs the
 * one-JVM stack on a short simulated fleet, with a planted certificate the sink's table refuses and a
 * webhook that always answers 500, so both dead-letter topics hold records; reads every topic with a
 * Java read_committed consumer; hands the foreign consumer a plan (brokers, registry, the last offset
 * per partition); and checks that it read the same records per topic with the same keys, headers and
 * decoded field values (the Java side reads generic records in the writer's schema, as another team
 * would).
 *
 * <p>The plan is a JSON file: {@code brokers}, {@code registryUrl}, {@code timeoutMs} and {@code topics}, each
 * with {@code name}, {@code avro} (false for dead-letters, whose values are kept raw) and {@code targets}
 * ({@code {"partition": lastOffset}}). The consumer writes one JSON line per record: {@code topic},
 * {@code partition}, {@code offset}, {@code key} (UTF-8), {@code headers} (base64 values) and either
 * {@code value} or {@code error}; dead letters carry {@code raw} (base64) and, when framed as registry Avro,
 * {@code original} and {@code originalError}. Values in the JSON form of {@link #avroJson}. It prints
 * {@code read N records from T} per topic, {@code UNREADABLE T: why} and {@code FAILED: why}.
 */
final class ForeignConsumerCheck {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String HOOK_SECRET_ENV = "FOREIGN_CONSUMER_TEST_HOOK_SECRET";
    private static final String WRITE_TOKEN_ENV = "FOREIGN_CONSUMER_TEST_WRITE_TOKEN";

    private ForeignConsumerCheck() {
    }

    /** Runs the foreign consumer: reads the plan file, writes the JSON lines file. */
    @FunctionalInterface
    interface Reader {
        ExternalTools.Result read(Path plan, Path out) throws Exception;
    }

    /** What the foreign consumer decoded, by topic, and its whole output. */
    record Outcome(Topics topics, Map<String, List<JsonNode>> decoded, String log) {
    }

    /**
     * Runs the stack, the foreign consumer named {@code name} ({@code kafkajs}, {@code python}: its log goes to
     * {@code target/<name>-consumer.log}) and the comparison; returns what it decoded for checks of its own.
     */
    static Outcome run(Path dir, String name, Reader reader) throws Exception {
        String refusedId = name + "-refused";
        // a webhook that always answers 500: with one attempt, its alerts go to alert-deliveries-dlq
        HttpServer refuser = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        refuser.createContext("/hook", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.sendResponseHeaders(500, -1);
            exchange.close();
        });
        refuser.start();
        try (LocalStack stack = LocalStack.start(options(name, refuser))) {
            KafkaSettings kafka = stack.kafka();
            Topics topics = kafka.topics();
            plantRefusedCertificate(kafka, topics, name, refusedId);
            writeSilenceAndAcknowledgement(stack, name);
            List<String> names = Topics.ALL.stream().map(topics::name).toList();
            // certificate-name-matches is written only when two certificates share a name, which this day fleet
            // may not have; it is read like the others whenever it holds records
            List<String> required = names.stream().filter(n -> !n.equals(topics.name(Topics.CERTIFICATE_NAME_MATCHES))).toList();
            // every other topic certflow writes has records: ingest, streams, the sink's dead letters
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() ->
                    assertThat(committedEnds(kafka, name, required)).allSatisfy((topic, end) -> assertThat(end).as(topic).isPositive()));

            Map<String, List<ConsumerRecord<byte[], byte[]>>> java = readCommitted(kafka, name, names);
            assertThat(java).allSatisfy((topic, records) -> {
                if (required.contains(topic)) {
                    assertThat(records).as("Java records on " + topic).isNotEmpty();
                }
            });

            Path plan = dir.resolve("plan.json");
            Path out = dir.resolve(name + ".jsonl");
            Files.writeString(plan, JSON.writeValueAsString(plan(stack, java)));
            ExternalTools.Result run = reader.read(plan, out);
            Path log = Path.of("target", name + "-consumer.log");
            Files.writeString(log, run.output()); // kept for whoever reads a failure
            if (run.exitCode() != 0) {
                String summary = run.output().lines().filter(l -> l.startsWith("UNREADABLE") || l.startsWith("FAILED") || l.startsWith("read "))
                        .collect(Collectors.joining("\n"));
                fail(name + " could not read certflow's topics (exit " + run.exitCode() + ", its whole log in " + log + "):\n"
                        + summary + "\nlast lines:\n" + ExternalTools.tail(run.output(), 8));
            }

            Map<String, List<JsonNode>> decoded = new TreeMap<>();
            for (String line : Files.readAllLines(out)) {
                JsonNode n = JSON.readTree(line);
                decoded.computeIfAbsent(n.get("topic").asText(), t -> new ArrayList<>()).add(n);
            }
            compare(kafka, name, java, decoded);
            // the comparison had substance: certificates decoded with their fields, the planted one dead-lettered
            List<JsonNode> certs = decoded.get(topics.certificates().name());
            assertThat(certs).anySatisfy(n -> {
                assertThat(n.at("/value/key/sourceName").asText()).isNotEmpty();
                assertThat(n.at("/value/notAfter").isNumber()).isTrue();
            });
            assertThat(decoded.get(topics.deadLetters().name())).anySatisfy(n -> {
                assertThat(new String(Base64.getDecoder().decode(n.at("/headers/" + DeadLetters.ORIGIN_TOPIC).asText()),
                        StandardCharsets.UTF_8)).isEqualTo(topics.certificates().name());
                assertThat(n.at("/original/key/sourceId").asText()).isEqualTo(refusedId);
            });
            assertThat(decoded.get(topics.alertDeliveriesDlq().name())).allSatisfy(n ->
                    assertThat(n.at("/value/kind").asText()).isEqualTo("EXPIRED"));
            return new Outcome(topics, decoded, run.output());
        } finally {
            refuser.stop(0);
        }
    }

    private static String writeToken(String name) {
        return name + "-write-token-0123456789";
    }

    /**
     * A silence and an acknowledgement through the query API, so alert-silences and
     * alert-acknowledgements hold records for the foreign client to read. The ack takes a firing
     * alert other than EXPIRED (the refusing channel's dead letters are of those).
     */
    private static void writeSilenceAndAcknowledgement(LocalStack stack, String name) {
        java.net.http.HttpClient http = java.net.http.HttpClient.newHttpClient();
        java.util.function.BiFunction<String, String, java.net.http.HttpResponse<String>> post = (path, body) -> {
            try {
                return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(stack.queryApiUrl() + path))
                        .header("Authorization", "Bearer " + writeToken(name)).header("Content-Type", "application/json")
                        .POST(java.net.http.HttpRequest.BodyPublishers.ofString(body)).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            } catch (Exception e) {
                throw new AssertionError("POST " + path + ": " + e, e);
            }
        };
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(post.apply("/v1/silences",
                "{\"matchers\": [{\"name\": \"kind\", \"value\": \"RENEWAL_DRIFT\"}], \"duration\": \"1h\", \"createdBy\": \""
                        + name + "\", \"comment\": \"foreign consumer check\"}").statusCode()).isEqualTo(201));
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
            java.net.http.HttpResponse<String> alerts = http.send(java.net.http.HttpRequest.newBuilder(
                    java.net.URI.create(stack.queryApiUrl() + "/v1/alerts?size=50")).build(), java.net.http.HttpResponse.BodyHandlers.ofString());
            assertThat(alerts.statusCode()).as(alerts.body()).isEqualTo(200);
            String id = null;
            for (JsonNode a : JSON.readTree(alerts.body()).path("items")) {
                if (!a.path("kind").asText().equals("EXPIRED")) {
                    id = a.path("alertId").asText();
                    break;
                }
            }
            assertThat(id).as("a firing alert other than EXPIRED").isNotNull();
            java.net.http.HttpResponse<String> ack = post.apply("/v1/alerts/" + id + "/ack", "{\"comment\": \"foreign consumer check\"}");
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(201);
        });
    }

    private static LocalStack.Options options(String name, HttpServer refuser) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("ops").put("port", 0).put("host", "127.0.0.1");
        ObjectNode sink = root.putObject("sink");
        sink.put("initialBackoff", "100ms");
        ObjectNode hook = sink.putArray("channels").addObject();
        // the receiver is on loopback, which a channel may reach only when allowed
        hook.put("name", "refuser").put("type", "webhook").put("maxAttempts", 1)
                .put("url", "http://127.0.0.1:" + refuser.getAddress().getPort() + "/hook").put("secret", "${" + HOOK_SECRET_ENV + "}");
        dev.certflow.simulator.Simulator.LOOPBACK_NETWORKS.forEach(hook.putArray("allowedNetworks")::add);
        hook.putArray("routes").addObject().putArray("kinds").add("EXPIRED");
        LocalStack.Options options = new LocalStack.Options();
        root.putObject("streams").putObject("api").put("writeToken", "${" + WRITE_TOKEN_ENV + "}");
        options.config = ConfigLoader.fromTree(root, Map.of(HOOK_SECRET_ENV, name + "-test-hook-secret", WRITE_TOKEN_ENV, writeToken(name)));
        options.simulator = new SimulatorOptions().size(60).seed(11).speed(1440);
        options.simulatedPollInterval = Duration.ofSeconds(1);
        options.console = null;
        return options;
    }

    /** Every record the Java consumer read must be what the foreign one read, field by field. */
    private static void compare(KafkaSettings kafka, String name, Map<String, List<ConsumerRecord<byte[], byte[]>>> java,
                                Map<String, List<JsonNode>> decoded) throws Exception {
        Topics topics = kafka.topics();
        var generic = new AvroDeserializer<GenericRecord>();
        generic.configure(Map.of("schema.registry.url", kafka.schemaRegistryUrl), false);
        for (TopicSpec spec : Topics.ALL) {
            String topic = topics.name(spec);
            List<ConsumerRecord<byte[], byte[]>> expected = java.get(topic);
            Map<String, JsonNode> seen = decoded.getOrDefault(topic, List.of()).stream()
                    .collect(Collectors.toMap(n -> n.get("partition").asInt() + "@" + n.get("offset").asText(), n -> n));
            assertThat(seen).as("records " + name + " read on " + topic).hasSize(expected.size());
            boolean raw = spec.equals(Topics.DLQ);
            for (ConsumerRecord<byte[], byte[]> r : expected) {
                String where = topic + " " + r.partition() + "@" + r.offset();
                JsonNode n = seen.get(r.partition() + "@" + r.offset());
                assertThat(n).as(where + " read by " + name).isNotNull();
                assertThat(n.get("key").isNull() ? null : n.get("key").asText()).as(where + " key")
                        .isEqualTo(r.key() == null ? null : new String(r.key(), StandardCharsets.UTF_8));
                assertThat(headers(n.get("headers"))).as(where + " headers").isEqualTo(headers(r));
                if (raw) {
                    assertThat(n.get("raw").asText()).as(where + " raw bytes").isEqualTo(Base64.getEncoder().encodeToString(r.value()));
                    if (r.value() != null && r.value().length > 5 && r.value()[0] == 0) {
                        assertThat(n.path("originalError").isNull()).as(where + " original decodes: " + n.path("originalError")).isTrue();
                        assertThat(normal(n.get("original"))).as(where + " original value")
                                .isEqualTo(normal(avroJson(generic.deserialize(DeadLetters.header(r.headers(), DeadLetters.ORIGIN_TOPIC), r.value()))));
                    }
                } else {
                    assertThat(n.has("error")).as(where + " decodes: " + n.path("error").asText()).isFalse();
                    JsonNode javaValue = avroJson(generic.deserialize(topic, r.value()));
                    assertThat(normal(n.get("value"))).as(where + " value").isEqualTo(normal(javaValue));
                }
            }
        }
    }

    /** A certificate the sink's table refuses (KNOWN without an expiry): the sink dead-letters it with the original bytes. */
    private static void plantRefusedCertificate(KafkaSettings kafka, Topics topics, String name, String refusedId) throws Exception {
        var key = CertificateKeys.of(SourceKind.YEASTAR, "pbx-planted", "acme", refusedId);
        Certificate refused = Certificate.newBuilder().setKey(key).setName("refused.pem").setCommonName("refused.example.com")
                .setType(CertificateType.TLS_SERVER).setSourceType("server").setExpiryStatus(ExpiryStatus.KNOWN).setNotAfter(null)
                .setIssuanceMethod(IssuanceMethod.ACME).setObservedAt(Instant.now()).build();
        var topic = topics.certificates();
        try (var producer = new KafkaProducer<>(kafka.producer(name + "-test"), topic.keySerde().serializer(), topic.valueSerde().serializer())) {
            producer.send(new ProducerRecord<>(topic.name(), CertificateKeys.format(key), refused)).get(30, TimeUnit.SECONDS);
        }
    }

    private static Map<String, Long> committedEnds(KafkaSettings kafka, String name, List<String> names) throws Exception {
        try (Admin admin = Admin.create(kafka.admin(name + "-test-admin"))) {
            Map<TopicPartition, OffsetSpec> request = new HashMap<>();
            admin.describeTopics(names).allTopicNames().get(30, TimeUnit.SECONDS).forEach((topic, d) ->
                    d.partitions().forEach(p -> request.put(new TopicPartition(topic, p.partition()), OffsetSpec.latest())));
            Map<String, Long> ends = new TreeMap<>();
            names.forEach(n -> ends.put(n, 0L));
            admin.listOffsets(request, new ListOffsetsOptions(IsolationLevel.READ_COMMITTED)).all().get(30, TimeUnit.SECONDS)
                    .forEach((tp, info) -> ends.merge(tp.topic(), info.offset(), Long::sum));
            return ends;
        }
    }

    /** Every committed record of each topic up to its current end, as bytes. */
    private static Map<String, List<ConsumerRecord<byte[], byte[]>>> readCommitted(KafkaSettings kafka, String name, List<String> names) {
        Map<String, List<ConsumerRecord<byte[], byte[]>>> out = new LinkedHashMap<>();
        names.forEach(n -> out.put(n, new ArrayList<>()));
        String client = name + "-test-java";
        try (var consumer = new KafkaConsumer<>(kafka.consumer(client, client), new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            names.forEach(n -> consumer.partitionsFor(n).forEach(p -> partitions.add(new TopicPartition(n, p.partition()))));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions); // read_committed: the last stable offsets
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("Java consumer reached the end offsets within 60 s").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    if (r.offset() < ends.get(new TopicPartition(r.topic(), r.partition()))) {
                        out.get(r.topic()).add(r);
                    }
                }
            }
        }
        return out;
    }

    /** What the foreign consumer reads: every topic, up to the last record the Java consumer saw per partition. */
    private static ObjectNode plan(LocalStack stack, Map<String, List<ConsumerRecord<byte[], byte[]>>> java) {
        ObjectNode plan = JSON.createObjectNode();
        plan.putArray("brokers").add(stack.bootstrapServers());
        plan.put("registryUrl", stack.schemaRegistryUrl());
        plan.put("timeoutMs", 90_000);
        ArrayNode list = plan.putArray("topics");
        String dlq = stack.kafka().topics().deadLetters().name();
        java.forEach((topic, records) -> {
            ObjectNode t = list.addObject().put("name", topic).put("avro", !topic.equals(dlq));
            ObjectNode targets = t.putObject("targets");
            records.forEach(r -> targets.put(Integer.toString(r.partition()), Math.max(targets.path(Integer.toString(r.partition())).asLong(-1), r.offset())));
        });
        return plan;
    }

    private static Map<String, String> headers(JsonNode node) {
        Map<String, String> out = new TreeMap<>();
        node.fields().forEachRemaining(e -> out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText()));
        return out;
    }

    private static Map<String, String> headers(ConsumerRecord<byte[], byte[]> r) {
        Map<String, String> out = new TreeMap<>();
        for (Header h : r.headers()) {
            out.put(h.key(), h.value() == null ? null : Base64.getEncoder().encodeToString(h.value()));
        }
        return out;
    }

    /** The same tree through text, so numbers compare by value (an int and a long node are not equal). */
    private static JsonNode normal(JsonNode node) throws Exception {
        return JSON.readTree(JSON.writeValueAsString(node));
    }

    /**
     * A generic Avro value as JSON the way avsc (behind kafkajs's registry client) decodes it: unions unwrapped,
     * timestamps as millis, bytes as Node's {@code {"type":"Buffer","data":[...]}}. The Python reader writes the same form.
     */
    static JsonNode avroJson(Object v) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        if (v == null) {
            return f.nullNode();
        }
        if (v instanceof GenericRecord r) {
            ObjectNode o = f.objectNode();
            r.getSchema().getFields().forEach(field -> o.set(field.name(), avroJson(r.get(field.pos()))));
            return o;
        }
        if (v instanceof CharSequence || v instanceof GenericEnumSymbol<?>) {
            return f.textNode(v.toString());
        }
        if (v instanceof Integer || v instanceof Long) {
            return f.numberNode(((Number) v).longValue());
        }
        if (v instanceof Float || v instanceof Double) {
            return f.numberNode(((Number) v).doubleValue());
        }
        if (v instanceof Boolean b) {
            return f.booleanNode(b);
        }
        if (v instanceof Map<?, ?> m) {
            ObjectNode o = f.objectNode();
            m.forEach((k, x) -> o.set(k.toString(), avroJson(x)));
            return o;
        }
        if (v instanceof Collection<?> c) {
            ArrayNode a = f.arrayNode();
            c.forEach(x -> a.add(avroJson(x)));
            return a;
        }
        if (v instanceof ByteBuffer b) {
            // avsc decodes bytes to a Buffer, which JSON.stringify writes as {"type":"Buffer","data":[...]}
            ObjectNode o = f.objectNode().put("type", "Buffer");
            ArrayNode data = o.putArray("data");
            ByteBuffer copy = b.duplicate();
            while (copy.hasRemaining()) {
                data.add(copy.get() & 0xff);
            }
            return o;
        }
        throw new IllegalArgumentException("no JSON form for Avro value of " + v.getClass());
    }
}
