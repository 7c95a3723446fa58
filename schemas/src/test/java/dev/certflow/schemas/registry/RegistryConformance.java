package dev.certflow.schemas.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Certificate;
import dev.certflow.schemas.serde.AvroDeserializer;
import dev.certflow.schemas.serde.AvroSerde;
import dev.certflow.schemas.serde.AvroSerdeConfig;
import dev.certflow.schemas.serde.AvroSerializer;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.avro.util.RandomData;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What certflow's serde and registry client rely on, and what the Confluent Schema Registry API
 * documents, checked against a running registry: Apicurio (a real, independent implementation) and
 * our embedded one run the same checks, so the embedded registry answers as a real one does.
 * Where Apicurio departs from Confluent's documented behaviour (see the subclasses), nothing here
 * depends on it. Every check uses its own subjects, so one registry serves the whole class. In
 * schemas' test-jar, for the embedded registry's module.
 */
public abstract class RegistryConformance {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String V1_JSON = "application/vnd.schemaregistry.v1+json";
    /** A record with one string field, in a namespace of the check's own, so no other check shares its id. */
    private String r1;
    /** r1 plus a field with a default: BACKWARD (and FORWARD) compatible. */
    private String r2;
    /** r1 plus a required field: not BACKWARD compatible (old data has no c), but FORWARD compatible. */
    private String rRequired;

    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    /** A prefix of this check's subjects and topics. */
    private String run;

    /** The registry's Confluent API base URL (what {@code schema.registry.url} takes). */
    protected abstract String url();

    @BeforeEach
    void name() {
        run = "c" + UUID.randomUUID().toString().substring(0, 8);
        String head = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"conformance." + run + "\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}";
        r1 = head + "]}";
        r2 = head + ",{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}";
        rRequired = head + ",{\"name\":\"c\",\"type\":\"int\"}]}";
    }

    /** A client with an empty cache, as a process that never saw the schema would have. */
    HttpSchemaRegistryClient freshClient() {
        return new HttpSchemaRegistryClient(List.of(url()), null, null, Duration.ofSeconds(10));
    }

    // ---- certflow's serde and client ------------------------------------------------------------

    /** A path of the schemas module, from schemas or from a sibling module (the embedded registry's). */
    static Path inSchemas(String path) {
        return Files.isDirectory(Path.of("src/main/avro")) ? Path.of(path) : Path.of("..", "schemas").resolve(path);
    }

    /** Every record in schemas/src/main/avro, so a new contract is covered without touching this test. */
    static List<Class<? extends SpecificRecord>> contracts() throws IOException {
        List<Class<? extends SpecificRecord>> out = new ArrayList<>();
        try (Stream<Path> files = Files.list(inSchemas("src/main/avro"))) {
            for (Path file : files.filter(f -> f.toString().endsWith(".avsc")).sorted().toList()) {
                JsonNode declared = JSON.readTree(file.toFile());
                assertThat(declared.path("type").asText()).as(file + " holds one record").isEqualTo("record");
                String className = declared.path("namespace").asText() + "." + declared.path("name").asText();
                try {
                    out.add(Class.forName(className).asSubclass(SpecificRecord.class));
                } catch (ClassNotFoundException e) {
                    throw new AssertionError(file + " declares " + className + ", which has no generated class", e);
                }
            }
        }
        return out;
    }

    @Test
    void everyContractIsWrittenAndReadBackByFreshClientsAsSpecificAndGenericRecords() throws Exception {
        List<Class<? extends SpecificRecord>> contracts = contracts();
        assertThat(contracts).as("records in src/main/avro").hasSizeGreaterThanOrEqualTo(8);
        long seed = 20261201;
        for (Class<? extends SpecificRecord> type : contracts) {
            Schema schema = SpecificData.get().getSchema(type);
            String topic = run + "-" + schema.getName().toLowerCase();
            SpecificRecord record = randomRecord(type, seed++);

            AvroSerializer<SpecificRecord> writer = new AvroSerializer<>(freshClient());
            writer.configure(Map.of(), false);
            byte[] bytes = writer.serialize(topic, record);

            AvroDeserializer<SpecificRecord> specific = new AvroDeserializer<>(freshClient(), type);
            assertThat(specific.deserialize(topic, bytes)).as(type.getSimpleName() + " read back as specific").isEqualTo(record);

            GenericRecord generic = AvroDeserializer.generic(freshClient()).deserialize(topic, bytes);
            assertThat(generic.getSchema()).as(type.getSimpleName() + " writer schema fetched by id").isEqualTo(schema);
            // the generic record, written again by another fresh client, is the same bytes with the same id
            AvroSerializer<GenericRecord> genericWriter = new AvroSerializer<>(freshClient());
            genericWriter.configure(Map.of(), false);
            assertThat(genericWriter.serialize(topic, generic)).as(type.getSimpleName() + " generic round trip").isEqualTo(bytes);

            SchemaRegistryClient.RegisteredSchema latest = freshClient().version(AvroSerdeConfig.subject(topic, false), -1);
            assertThat(latest.schema()).isEqualTo(schema);
            assertThat(latest.id()).isEqualTo(schemaId(bytes));
        }
    }

    @Test
    void aSchemaRegisteredByOneClientIsFetchedByIdOverHttpByAnother() throws Exception {
        String topic = run + "-certificates";
        var configured = AvroSerde.of(Certificate.class, Map.of(SchemaRegistryClients.URL, url()), false);
        Certificate record = randomRecord(Certificate.class, 7);
        byte[] bytes = configured.serializer().serialize(topic, record);
        int id = schemaId(bytes);

        HttpResponse<String> byId = call("GET", "/schemas/ids/" + id, null, V1_JSON);
        assertThat(byId.statusCode()).isEqualTo(200);
        assertThat(new Schema.Parser().parse(JSON.readTree(byId.body()).get("schema").asText())).isEqualTo(Certificate.SCHEMA$);
        HttpResponse<String> raw = call("GET", "/schemas/ids/" + id + "/schema", null, V1_JSON);
        assertThat(new Schema.Parser().parse(raw.body())).isEqualTo(Certificate.SCHEMA$);

        HttpSchemaRegistryClient second = freshClient();
        assertThat(second.getById(id)).isEqualTo(Certificate.SCHEMA$);
        assertThat(new AvroDeserializer<>(second, Certificate.class).deserialize(topic, bytes)).isEqualTo(record);
    }

    @Test
    void underBackwardAnEvolvedSchemaIsAcceptedAndAnIncompatibleOneRefused() throws Exception {
        String topic = run + "-certificates";
        String subject = AvroSerdeConfig.subject(topic, false);
        Schema v0 = new Schema.Parser().parse(inSchemas("src/test/resources/evolution/Certificate-v0.avsc").toFile());
        GenericRecord old = (GenericRecord) new RandomData(v0, 1, 42L).iterator().next();
        AvroSerializer<GenericRecord> oldProducer = new AvroSerializer<>(freshClient());
        oldProducer.configure(Map.of(), false);
        byte[] oldBytes = oldProducer.serialize(topic, old);

        HttpSchemaRegistryClient client = freshClient();
        assertThat(client.isCompatible(subject, Certificate.SCHEMA$)).isTrue();
        AvroSerializer<Certificate> newProducer = new AvroSerializer<>(client);
        newProducer.configure(Map.of(), false);
        byte[] newBytes = newProducer.serialize(topic, randomRecord(Certificate.class, 3));
        assertThat(schemaId(newBytes)).isNotEqualTo(schemaId(oldBytes));
        assertThat(client.versions(subject)).containsExactly(1, 2);

        // the current class reads what the old producer wrote, new fields at their defaults
        Certificate upgraded = new AvroDeserializer<Certificate>(freshClient(), Certificate.class).deserialize(topic, oldBytes);
        assertThat(upgraded.getKey().getSourceId()).isEqualTo(((GenericRecord) old.get("key")).get("sourceId").toString());
        assertThat(upgraded.getObservedAt().toEpochMilli()).isEqualTo(old.get("observedAt"));
        assertThat(upgraded.getSans()).isEmpty();

        Schema incompatible = withRequiredField(Certificate.SCHEMA$, "mandatoryNewField");
        assertThat(client.isCompatible(subject, incompatible)).isFalse();
        AvroSerializer<GenericRecord> badProducer = new AvroSerializer<>(freshClient());
        badProducer.configure(Map.of(), false);
        GenericRecord bad = (GenericRecord) new RandomData(incompatible, 1, 5L).iterator().next();
        assertThatThrownBy(() -> badProducer.serialize(topic, bad))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("subject " + subject)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409));
        assertThat(freshClient().versions(subject)).as("nothing registered by the refused producer").containsExactly(1, 2);
    }

    @Test
    void eachDocumentedErrorBecomesAClearExceptionNamingTheSubjectOrId() {
        String topic = run + "-errors";
        String subject = AvroSerdeConfig.subject(topic, false);
        HttpSchemaRegistryClient client = freshClient();
        Schema first = new Schema.Parser().parse(r1);

        // 40401: a producer that may not register, on a subject nobody registered
        AvroSerializer<GenericRecord> lookupOnly = new AvroSerializer<>(freshClient());
        lookupOnly.configure(Map.of(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS, "false"), false);
        GenericRecord value = new GenericData.Record(first);
        value.put("a", "x");
        assertThatThrownBy(() -> lookupOnly.serialize(topic, value))
                .isInstanceOf(SerializationException.class).hasMessageContaining("subject " + subject)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401));
        assertThatThrownBy(() -> client.versions(subject))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40401))
                .hasMessageContaining(subject);

        client.register(subject, first);
        // 40402: a version the subject does not have
        assertThatThrownBy(() -> client.version(subject, 99))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(40402);
                    assertThat(e.httpStatus()).isEqualTo(404);
                }).hasMessageContaining(subject).hasMessageContaining("99");

        // 40403: a schema the subject does not have, and an id nobody registered
        GenericRecord other = new GenericData.Record(new Schema.Parser().parse(r2));
        other.put("a", "x");
        other.put("b", 1);
        assertThatThrownBy(() -> lookupOnly.serialize(topic, other))
                .isInstanceOf(SerializationException.class).hasMessageContaining("subject " + subject)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));
        int unknownId = 2_000_000_000;
        byte[] unknown = ByteBuffer.allocate(7).put((byte) 0).putInt(unknownId).put(new byte[] {2, 'x'}).array();
        assertThatThrownBy(() -> AvroDeserializer.generic(freshClient()).deserialize(topic, unknown))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("schema id " + unknownId).hasMessageContaining("topic " + topic)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(40403));

        // 409: a change the subject's compatibility level refuses
        GenericRecord required = new GenericData.Record(new Schema.Parser().parse(rRequired));
        required.put("a", "x");
        required.put("c", 1);
        AvroSerializer<GenericRecord> producer = new AvroSerializer<>(freshClient());
        producer.configure(Map.of(), false);
        assertThatThrownBy(() -> producer.serialize(topic, required))
                .isInstanceOf(SerializationException.class).hasMessageContaining("subject " + subject)
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(409);
                    assertThat(e.httpStatus()).isEqualTo(409);
                });

        // 42201: a schema Avro can build without validation but a registry refuses (a default of the wrong type)
        Schema invalid = new Schema.Parser().setValidateDefaults(false).parse(
                "{\"type\":\"record\",\"name\":\"Bad\",\"namespace\":\"conformance\",\"fields\":[{\"name\":\"n\",\"type\":\"int\",\"default\":\"not a number\"}]}");
        GenericRecord sloppy = new GenericData.Record(invalid);
        sloppy.put("n", 1);
        String badTopic = run + "-invalid";
        assertThatThrownBy(() -> producer.serialize(badTopic, sloppy))
                .isInstanceOf(SerializationException.class).hasMessageContaining("subject " + badTopic + "-value")
                .cause().isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(42201);
                    assertThat(e.httpStatus()).isEqualTo(422);
                });
    }

    // ---- the Confluent REST API as documented ----------------------------------------------------

    @Test
    void theSameSchemaKeepsOneIdAcrossSubjectsAndFormattingAndIdsListTheirVersions() throws Exception {
        String s1 = run + "-one-value";
        String s2 = run + "-two-value";
        int id = register(s1, r1);
        assertThat(register(s2, r1)).isEqualTo(id);
        // the same schema written with other whitespace is the same version, not a new one
        assertThat(register(s1, JSON.readTree(r1).toPrettyString())).isEqualTo(id);
        assertThat(json(call("GET", "/subjects/" + s1 + "/versions", null, V1_JSON))).hasSize(1);

        JsonNode versions = json(call("GET", "/schemas/ids/" + id + "/versions", null, V1_JSON));
        List<String> pairs = new ArrayList<>();
        versions.forEach(v -> pairs.add(v.get("subject").asText() + "/" + v.get("version").asInt()));
        assertThat(pairs).containsExactlyInAnyOrder(s1 + "/1", s2 + "/1");

        JsonNode found = json(call("POST", "/subjects/" + s1, body(r1), V1_JSON));
        assertThat(found.get("subject").asText()).isEqualTo(s1);
        assertThat(found.get("version").asInt()).isEqualTo(1);
        assertThat(found.get("id").asInt()).isEqualTo(id);
        assertThat(new Schema.Parser().parse(found.get("schema").asText())).isEqualTo(new Schema.Parser().parse(r1));

        assertThat(json(call("GET", "/subjects", null, V1_JSON))).extracting(JsonNode::asText).contains(s1, s2);
    }

    @Test
    void versionsAnswerWithTheirSchemaAlone() throws Exception {
        String subject = run + "-value";
        int id1 = register(subject, r1);
        int id2 = register(subject, r2);
        JsonNode latest = json(call("GET", "/subjects/" + subject + "/versions/latest", null, V1_JSON));
        assertThat(latest.get("version").asInt()).isEqualTo(2);
        assertThat(latest.get("id").asInt()).isEqualTo(id2);
        assertThat(latest.get("subject").asText()).isEqualTo(subject);
        assertThat(new Schema.Parser().parse(call("GET", "/subjects/" + subject + "/versions/1/schema", null, V1_JSON).body()))
                .isEqualTo(new Schema.Parser().parse(r1));
        assertThat(new Schema.Parser().parse(call("GET", "/subjects/" + subject + "/versions/latest/schema", null, V1_JSON).body()))
                .isEqualTo(new Schema.Parser().parse(r2));
        assertThat(json(call("GET", "/subjects/" + subject + "/versions/1", null, V1_JSON)).get("id").asInt()).isEqualTo(id1);
    }

    @Test
    void compatibilityIsCheckedAgainstTheLatestOrAGivenVersion() throws Exception {
        String subject = run + "-value";
        register(subject, r1);
        register(subject, r2);
        assertThat(compatible(subject, "latest", r2)).isTrue();
        assertThat(compatible(subject, "1", r2)).isTrue();
        assertThat(compatible(subject, "latest", rRequired)).isFalse();
        assertThat(compatible(subject, "1", rRequired)).isFalse();
        HttpResponse<String> missing = call("POST", "/compatibility/subjects/" + subject + "/versions/99", body(r2), V1_JSON);
        assertError(missing, 404, 40402);
    }

    @Test
    void globalAndSubjectCompatibilityLevelsAreReadSetAndDeleted() throws Exception {
        assertThat(json(call("GET", "/config", null, V1_JSON)).get("compatibilityLevel").asText())
                .as("every registry under test runs with Confluent's default").isEqualTo("BACKWARD");
        String subject = run + "-value";
        String other = run + "-other-value";
        register(subject, r1);
        register(other, r1);

        HttpResponse<String> put = call("PUT", "/config/" + subject, "{\"compatibility\":\"FORWARD\"}", V1_JSON);
        assertThat(put.statusCode()).isEqualTo(200);
        assertThat(put.body()).contains("FORWARD");
        assertThat(json(call("GET", "/config/" + subject, null, V1_JSON)).get("compatibilityLevel").asText()).isEqualTo("FORWARD");
        assertThat(json(call("GET", "/config/" + other + "?defaultToGlobal=true", null, V1_JSON)).get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");

        // FORWARD takes a required new field (old readers ignore it) that BACKWARD refuses
        assertThat(call("POST", "/subjects/" + subject + "/versions", body(rRequired), V1_JSON).statusCode()).isEqualTo(200);
        assertError(call("POST", "/subjects/" + other + "/versions", body(rRequired), V1_JSON), 409, 409);

        HttpResponse<String> deleted = call("DELETE", "/config/" + subject, null, V1_JSON);
        assertThat(deleted.statusCode()).isEqualTo(200);
        assertThat(json(deleted).get("compatibilityLevel").asText()).as("the level that was deleted").isEqualTo("FORWARD");
        assertThat(json(call("GET", "/config/" + subject + "?defaultToGlobal=true", null, V1_JSON)).get("compatibilityLevel").asText())
                .isEqualTo("BACKWARD");
    }

    @Test
    void versionsAndSubjectsAreSoftDeletedThenPermanently() throws Exception {
        String subject = run + "-value";
        int id1 = register(subject, r1);
        register(subject, r2);

        HttpResponse<String> version = call("DELETE", "/subjects/" + subject + "/versions/2", null, V1_JSON);
        assertThat(version.statusCode()).isEqualTo(200);
        assertThat(json(version).asInt()).isEqualTo(2);
        assertThat(json(call("GET", "/subjects/" + subject + "/versions", null, V1_JSON))).extracting(JsonNode::asInt).containsExactly(1);
        assertThat(json(call("GET", "/subjects/" + subject + "/versions?deleted=true", null, V1_JSON))).extracting(JsonNode::asInt).containsExactly(1, 2);
        assertError(call("GET", "/subjects/" + subject + "/versions/2", null, V1_JSON), 404, 40402);
        assertError(call("DELETE", "/subjects/" + subject + "/versions/9", null, V1_JSON), 404, 40402);

        assertError(call("DELETE", "/subjects/" + subject + "?permanent=true", null, V1_JSON), -1, 40405);
        HttpResponse<String> soft = call("DELETE", "/subjects/" + subject, null, V1_JSON);
        assertThat(soft.statusCode()).isEqualTo(200);
        assertThat(json(soft)).extracting(JsonNode::asInt).containsExactly(1);
        assertThat(json(call("GET", "/subjects", null, V1_JSON))).extracting(JsonNode::asText).doesNotContain(subject);
        assertThat(json(call("GET", "/subjects?deleted=true", null, V1_JSON))).extracting(JsonNode::asText).contains(subject);
        assertError(call("GET", "/subjects/" + subject + "/versions", null, V1_JSON), 404, 40401);
        assertError(call("DELETE", "/subjects/" + subject, null, V1_JSON), -1, 40404);
        assertThat(call("GET", "/schemas/ids/" + id1, null, V1_JSON).statusCode()).as("soft-deleted schemas keep their id").isEqualTo(200);

        HttpResponse<String> permanent = call("DELETE", "/subjects/" + subject + "?permanent=true", null, V1_JSON);
        assertThat(permanent.statusCode()).isEqualTo(200);
        assertThat(json(permanent)).extracting(JsonNode::asInt).containsExactly(1, 2);
        assertThat(json(call("GET", "/subjects?deleted=true", null, V1_JSON))).extracting(JsonNode::asText).doesNotContain(subject);
        assertError(call("GET", "/schemas/ids/" + id1, null, V1_JSON), 404, 40403);
        assertError(call("DELETE", "/subjects/" + subject, null, V1_JSON), 404, 40401);
    }

    @Test
    void errorsAnswerTheirStatusAndErrorCodeInJson() throws Exception {
        String subject = run + "-value";
        assertError(call("GET", "/subjects/" + subject + "/versions", null, V1_JSON), 404, 40401);
        assertError(call("POST", "/subjects/" + subject, body(r1), V1_JSON), 404, 40401);
        register(subject, r1);
        assertError(call("GET", "/subjects/" + subject + "/versions/7", null, V1_JSON), 404, 40402);
        assertError(call("POST", "/subjects/" + subject, body(r2), V1_JSON), 404, 40403);
        assertError(call("GET", "/schemas/ids/2000000000", null, V1_JSON), 404, 40403);
        assertError(call("POST", "/subjects/" + subject + "/versions", body(rRequired), V1_JSON), 409, 409);
        assertError(call("POST", "/subjects/" + subject + "/versions", "{\"schema\":\"{not avro\"}", V1_JSON), 422, 42201);
        assertError(call("POST", "/subjects/" + subject + "/versions",
                body("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"nosuchtype\"}]}"), V1_JSON), 422, 42201);
    }

    @ParameterizedTest
    @ValueSource(strings = {V1_JSON, "application/json"})
    void answersAreInTheMediaTypeAskedFor(String accept) throws Exception {
        String subject = run + "-value";
        int id = register(subject, r1);
        for (String path : List.of("/subjects", "/subjects/" + subject + "/versions", "/subjects/" + subject + "/versions/1",
                "/schemas/ids/" + id, "/config")) {
            HttpResponse<String> answer = call("GET", path, null, accept);
            assertThat(answer.statusCode()).as(path).isEqualTo(200);
            assertThat(answer.headers().firstValue("Content-Type").orElse("")).as(path).startsWith(accept);
        }
        HttpResponse<String> error = call("GET", "/subjects/" + subject + "-missing/versions", null, accept);
        assertThat(error.headers().firstValue("Content-Type").orElse(""))
                .as("errors are JSON too").matches("application/(vnd\\.schemaregistry\\.v1\\+)?json.*");
    }

    // ---- helpers --------------------------------------------------------------------------------

    private int register(String subject, String schema) throws Exception {
        HttpResponse<String> answer = call("POST", "/subjects/" + subject + "/versions", body(schema), V1_JSON);
        assertThat(answer.statusCode()).as("register under " + subject + ": " + answer.body()).isEqualTo(200);
        return json(answer).get("id").asInt();
    }

    private boolean compatible(String subject, String version, String schema) throws Exception {
        HttpResponse<String> answer = call("POST", "/compatibility/subjects/" + subject + "/versions/" + version, body(schema), V1_JSON);
        assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
        return json(answer).get("is_compatible").asBoolean();
    }

    /** An error answer: the status (-1: any 4xx, where registries differ) and the body's error_code and message. */
    private static void assertError(HttpResponse<String> answer, int status, int errorCode) throws IOException {
        String what = answer.request().method() + " " + answer.uri() + " -> " + answer.statusCode() + " " + answer.body();
        if (status == -1) {
            assertThat(answer.statusCode()).as(what).isBetween(400, 499);
        } else {
            assertThat(answer.statusCode()).as(what).isEqualTo(status);
        }
        JsonNode error = JSON.readTree(answer.body());
        assertThat(error.path("error_code").asInt()).as(what).isEqualTo(errorCode);
        assertThat(error.path("message").asText()).as(what).isNotBlank();
    }

    private static String body(String schema) {
        return JSON.createObjectNode().put("schema", schema).toString();
    }

    private static JsonNode json(HttpResponse<String> answer) throws IOException {
        assertThat(answer.statusCode()).as(answer.uri() + " " + answer.body()).isEqualTo(200);
        return JSON.readTree(answer.body());
    }

    HttpResponse<String> call(String method, String path, String body, String accept) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url() + path)).timeout(Duration.ofSeconds(10))
                .header("Accept", accept)
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (body != null) {
            request.header("Content-Type", V1_JSON);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
    }

    private static int schemaId(byte[] confluentFramed) {
        return ByteBuffer.wrap(confluentFramed, 1, 4).getInt();
    }

    /** A random instance of a generated class: random generic data, decoded by the class's own reader. */
    static <T extends SpecificRecord> T randomRecord(Class<T> type, long seed) throws IOException {
        Schema schema = SpecificData.get().getSchema(type);
        Object generic = new RandomData(schema, 1, seed).iterator().next();
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        BinaryEncoder encoder = EncoderFactory.get().binaryEncoder(out, null);
        new GenericDatumWriter<>(schema).write(generic, encoder);
        encoder.flush();
        return new SpecificDatumReader<>(type).read(null, DecoderFactory.get().binaryDecoder(out.toByteArray(), null));
    }

    /** The schema with one more field and no default: old data cannot be read by it. */
    static Schema withRequiredField(Schema schema, String name) {
        List<Schema.Field> fields = new ArrayList<>();
        schema.getFields().forEach(f -> fields.add(new Schema.Field(f, f.schema())));
        fields.add(new Schema.Field(name, Schema.create(Schema.Type.STRING), null, (Object) null));
        return Schema.createRecord(schema.getName(), schema.getDoc(), schema.getNamespace(), false, fields);
    }
}
