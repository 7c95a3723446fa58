package dev.certflow.embedded.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.registry.SchemaRegistryException;
import dev.certflow.schemas.serde.AvroDeserializer;
import dev.certflow.schemas.serde.AvroSerializer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.config.ConfigResource;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The registry started on a broker keeps its schemas in the compacted {@code _schemas} topic: after
 * the broker and the registry restart on the same log directory, records written before decode,
 * ids and version numbers are unchanged, deletes and compatibility levels stay, and no id is given twice.
 */
class SchemaPersistenceIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Schema V1 = schema("Cert", "{\"name\":\"name\",\"type\":\"string\"}");
    private static final Schema V2 = schema("Cert", "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"days\",\"type\":\"int\",\"default\":0}");
    private static final Schema V3 = schema("Cert", "{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"days\",\"type\":\"int\",\"default\":0},"
            + "{\"name\":\"owner\",\"type\":\"string\",\"default\":\"\"}");
    private static final Schema OTHER = schema("Other", "{\"name\":\"x\",\"type\":\"long\"}");
    private static final Schema SOFT = schema("Soft", "{\"name\":\"y\",\"type\":\"long\"}");
    private static final Schema GONE = schema("Gone", "{\"name\":\"z\",\"type\":\"long\"}");

    @TempDir
    Path dir;

    private static Schema schema(String name, String fields) {
        return new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"" + name + "\",\"namespace\":\"dev.certflow.test\",\"fields\":[" + fields + "]}");
    }

    @Test
    void schemasSurviveARestartWithTheirIds() throws Exception {
        Path logDir = dir.resolve("kafka");
        int v1;
        int v2;
        int other;
        int soft;
        int gone;
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(logDir, 0, false, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0, broker.bootstrapServers())) {
            HttpSchemaRegistryClient client = client(registry);
            v1 = client.register("certs-value", V1);
            other = client.register("other-value", OTHER);
            v2 = client.register("certs-value", V2);
            soft = client.register("soft-value", SOFT);
            gone = client.register("gone-value", GONE);
            assertThat(http(registry, "DELETE", "/subjects/soft-value", null).statusCode()).isEqualTo(200);
            assertThat(http(registry, "DELETE", "/subjects/gone-value", null).statusCode()).isEqualTo(200);
            assertThat(http(registry, "DELETE", "/subjects/gone-value?permanent=true", null).statusCode()).isEqualTo(200);
            assertThat(http(registry, "PUT", "/config/certs-value", "{\"compatibility\":\"FULL\"}").statusCode()).isEqualTo(200);
            assertThat(http(registry, "PUT", "/config", "{\"compatibility\":\"NONE\"}").statusCode()).isEqualTo(200);

            GenericRecord cert = new GenericData.Record(V2);
            cert.put("name", "api.example.com");
            cert.put("days", 30);
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                admin.createTopics(List.of(new NewTopic("certs", Optional.of(1), Optional.empty()))).all().get();
            }
            try (KafkaProducer<byte[], byte[]> producer = new KafkaProducer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                    new ByteArraySerializer(), new ByteArraySerializer())) {
                producer.send(new ProducerRecord<>("certs", new AvroSerializer<GenericRecord>(client).serialize("certs", cert))).get();
            }
        }

        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(logDir, 0, true, Map.of());
             EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0, broker.bootstrapServers())) {
            HttpSchemaRegistryClient client = client(registry);
            byte[] old = read(broker, "certs").get(0).value();
            GenericRecord decoded = AvroDeserializer.generic(client).deserialize("certs", old);
            assertThat(decoded.get("name").toString()).isEqualTo("api.example.com");
            assertThat(decoded.get("days")).isEqualTo(30);

            assertThat(client.getById(v1)).isEqualTo(V1);
            assertThat(client.getById(v2)).isEqualTo(V2);
            assertThat(client.getById(other)).isEqualTo(OTHER);
            assertThat(client.versions("certs-value")).containsExactly(1, 2);
            assertThat(client.version("certs-value", 2).id()).isEqualTo(v2);
            assertThat(client.register("certs-value", V1)).as("a registered schema keeps its id").isEqualTo(v1);
            assertThat(client.register("certs-value", V2)).isEqualTo(v2);
            assertThat(client.register("other-value", OTHER)).isEqualTo(other);
            assertThat(client.versions("certs-value")).containsExactly(1, 2);

            int v3 = client.register("certs-value", V3);
            assertThat(v3).as("a new schema gets an id never given before").isGreaterThan(Math.max(Math.max(v1, v2), Math.max(other, Math.max(soft, gone))));
            assertThat(client.version("certs-value", 3).id()).isEqualTo(v3);

            assertThatThrownBy(() -> client.getById(gone)).isInstanceOf(SchemaRegistryException.class).hasMessageContaining("not found");
            assertThat(client.subjects()).containsExactly("certs-value", "other-value");
            assertThat(JSON.readTree(http(registry, "GET", "/subjects?deleted=true", null).body()).toString())
                    .isEqualTo("[\"certs-value\",\"other-value\",\"soft-value\"]");
            assertThat(JSON.readTree(http(registry, "GET", "/config/certs-value", null).body()).path("compatibilityLevel").asText()).isEqualTo("FULL");
            assertThat(JSON.readTree(http(registry, "GET", "/config", null).body()).path("compatibilityLevel").asText()).isEqualTo("NONE");

            // Confluent's layout, on a compacted topic
            List<ConsumerRecord<byte[], byte[]>> log = read(broker, KafkaSchemaLog.TOPIC);
            JsonNode firstKey = JSON.readTree(log.get(0).key());
            JsonNode firstValue = JSON.readTree(log.get(0).value());
            assertThat(firstKey.toString()).isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"certs-value\",\"version\":1,\"magic\":1}");
            assertThat(firstValue.path("id").asInt()).isEqualTo(v1);
            assertThat(firstValue.path("deleted").asBoolean(true)).isFalse();
            assertThat(new Schema.Parser().parse(firstValue.path("schema").asText())).isEqualTo(V1);
            assertThat(log).anySatisfy(r -> {
                assertThat(new String(r.key())).isEqualTo("{\"keytype\":\"SCHEMA\",\"subject\":\"gone-value\",\"version\":1,\"magic\":1}");
                assertThat(r.value()).as("a permanent delete is a tombstone").isNull();
            });
            try (Admin admin = Admin.create(Map.of("bootstrap.servers", broker.bootstrapServers()))) {
                ConfigResource topic = new ConfigResource(ConfigResource.Type.TOPIC, KafkaSchemaLog.TOPIC);
                assertThat(admin.describeConfigs(List.of(topic)).all().get().get(topic).get("cleanup.policy").value()).isEqualTo("compact");
            }
        }
    }

    @Test
    void aRestartedRegistryDoesNotGiveAPermanentlyDeletedIdAgain() throws Exception {
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            int gone;
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0, broker.bootstrapServers())) {
                gone = client(registry).register("gone-value", GONE);
                http(registry, "DELETE", "/subjects/gone-value", null);
                assertThat(http(registry, "DELETE", "/subjects/gone-value?permanent=true", null).statusCode()).isEqualTo(200);
            }
            try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0, broker.bootstrapServers())) {
                assertThat(client(registry).register("next-value", OTHER)).isGreaterThan(gone);
            }
        }
    }

    private static HttpSchemaRegistryClient client(EmbeddedSchemaRegistry registry) {
        return new HttpSchemaRegistryClient(List.of(registry.url()), null, null, Duration.ofSeconds(5));
    }

    private static HttpResponse<String> http(EmbeddedSchemaRegistry registry, String method, String path, String body) throws Exception {
        HttpRequest request = HttpRequest.newBuilder(URI.create(registry.url() + path))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body)).build();
        return HttpClient.newHttpClient().send(request, HttpResponse.BodyHandlers.ofString());
    }

    private static List<ConsumerRecord<byte[], byte[]>> read(EmbeddedKafkaBroker broker, String topic) {
        TopicPartition partition = new TopicPartition(topic, 0);
        List<ConsumerRecord<byte[], byte[]>> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(Map.of("bootstrap.servers", broker.bootstrapServers()),
                new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            long end = consumer.endOffsets(List.of(partition)).get(partition);
            long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
            while (consumer.position(partition) < end && System.nanoTime() < deadline) {
                consumer.poll(Duration.ofMillis(200)).forEach(out::add);
            }
        }
        return out;
    }
}
