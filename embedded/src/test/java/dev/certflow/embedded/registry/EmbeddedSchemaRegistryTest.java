package dev.certflow.embedded.registry;

import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.registry.HttpSchemaRegistryClient;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import dev.certflow.schemas.registry.SchemaRegistryException;
import dev.certflow.schemas.serde.AvroSerde;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The embedded registry through the real HTTP client, and raw HTTP for the error format. */
class EmbeddedSchemaRegistryTest {
    private static final String V1 = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"}]}";
    private static final String V2_COMPATIBLE = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"b\",\"type\":\"int\",\"default\":0}]}";
    private static final String V2_INCOMPATIBLE = "{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"string\"},{\"name\":\"c\",\"type\":\"int\"}]}";

    private EmbeddedSchemaRegistry server;
    private HttpSchemaRegistryClient client;

    @BeforeEach
    void start() throws Exception {
        server = EmbeddedSchemaRegistry.start(0);
        client = new HttpSchemaRegistryClient(List.of(server.url()), null, null, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void registersVersionsAndChecksCompatibility() {
        Schema v1 = new Schema.Parser().parse(V1);
        Schema v2 = new Schema.Parser().parse(V2_COMPATIBLE);
        int id1 = client.register("r-value", v1);
        assertThat(client.register("r-value", v1)).isEqualTo(id1);
        assertThat(client.isCompatible("r-value", v2)).isTrue();
        assertThat(client.isCompatible("r-value", new Schema.Parser().parse(V2_INCOMPATIBLE))).isFalse();
        int id2 = client.register("r-value", v2);
        assertThat(id2).isNotEqualTo(id1);
        // the same schema under another subject keeps its global id
        assertThat(new HttpSchemaRegistryClient(List.of(server.url()), null, null, Duration.ofSeconds(5)).register("other-value", v1)).isEqualTo(id1);

        assertThat(client.subjects()).containsExactly("other-value", "r-value");
        assertThat(client.versions("r-value")).containsExactly(1, 2);
        assertThat(client.version("r-value", -1).id()).isEqualTo(id2);
        assertThat(client.version("r-value", 1).schema()).isEqualTo(v1);
        assertThat(client.lookup("r-value", v2)).isEqualTo(id2);
        assertThat(new HttpSchemaRegistryClient(List.of(server.url()), null, null, Duration.ofSeconds(5)).getById(id2)).isEqualTo(v2);

        assertThatThrownBy(() -> client.register("r-value", new Schema.Parser().parse(V2_INCOMPATIBLE)))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409));
    }

    @Test
    void answersErrorsInTheRegistryFormat() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> missingSubject = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/subjects/nope/versions")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missingSubject.statusCode()).isEqualTo(404);
        assertThat(missingSubject.headers().firstValue("Content-Type")).hasValue("application/vnd.schemaregistry.v1+json");
        assertThat(missingSubject.body()).contains("\"error_code\":40401");

        HttpResponse<String> missingId = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/schemas/ids/999")).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(missingId.statusCode()).isEqualTo(404);
        assertThat(missingId.body()).contains("\"error_code\":40403");

        HttpResponse<String> invalid = http.send(HttpRequest.newBuilder(URI.create(server.url() + "/subjects/x-value/versions"))
                .POST(HttpRequest.BodyPublishers.ofString("{\"schema\":\"{not avro\"}")).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(invalid.statusCode()).isEqualTo(422);
        assertThat(invalid.body()).contains("\"error_code\":42201");
    }

    @Test
    void serdeWorksThroughTheHttpPath() {
        var serde = AvroSerde.of(CertificateKey.class, Map.of(SchemaRegistryClients.URL, server.url()), false);
        CertificateKey key = CertificateKeys.of(SourceKind.YEASTAR, "pbx", "pbx", "1");
        byte[] bytes = serde.serializer().serialize("certificates", key);
        assertThat(server.store().subjects()).containsExactly("certificates-value");
        assertThat(serde.deserializer().deserialize("certificates", bytes)).isEqualTo(key);
    }

    /** Confluent's documented answers where Apicurio answers otherwise, so RegistryConformance cannot check them on both. */
    @Test
    void answersAsConfluentDocumentsWhereApicurioDiffers() throws Exception {
        client.register("r-value", new Schema.Parser().parse(V1));
        assertError(call("PUT", "/config", "{\"compatibility\":\"SOMETIMES\"}", null), 422, 42203);
        assertError(call("PUT", "/config/r-value", "{\"compatibility\":\"SOMETIMES\"}", null), 422, 42203);
        assertError(call("GET", "/config/r-value", null, null), 404, 40408);
        assertThat(call("GET", "/config/r-value?defaultToGlobal=true", null, null).body()).isEqualTo("{\"compatibilityLevel\":\"BACKWARD\"}");
        assertThat(call("PUT", "/config", "{\"compatibility\":\"full\"}", null).body()).isEqualTo("{\"compatibility\":\"FULL\"}");
        assertThat(call("GET", "/config", null, null).body()).isEqualTo("{\"compatibilityLevel\":\"FULL\"}");
        assertError(call("DELETE", "/config/r-value", null, null), 404, 40401);
        assertError(call("POST", "/compatibility/subjects/nope-value/versions/latest", body(V1), null), 404, 40401);
        assertError(call("GET", "/subjects/r-value/versions/abc", null, null), 422, 42202);
        assertError(call("GET", "/subjects/r-value/versions/0", null, null), 422, 42202);
        assertError(call("POST", "/subjects/r-value/versions", "{}", null), 422, 42201);
        assertThat(call("GET", "/subjects", null, "text/html").statusCode()).isEqualTo(406);
        assertThat(call("GET", "/subjects", null, "text/html,application/xhtml+xml,*/*;q=0.8").headers().firstValue("Content-Type"))
                .hasValue("application/vnd.schemaregistry.v1+json");
        assertThat(call("GET", "/subjects", null, "application/vnd.schemaregistry+json").headers().firstValue("Content-Type"))
                .hasValue("application/vnd.schemaregistry+json");
    }

    @Test
    void aSubjectLevelOverridesTheGlobalOneNoneIncluded() throws Exception {
        client.register("r-value", new Schema.Parser().parse(V1));
        client.register("s-value", new Schema.Parser().parse(V1));
        assertThat(call("PUT", "/config/r-value", "{\"compatibility\":\"NONE\"}", null).statusCode()).isEqualTo(200);
        assertThat(client.isCompatible("r-value", new Schema.Parser().parse(V2_INCOMPATIBLE))).isTrue();
        assertThat(client.register("r-value", new Schema.Parser().parse(V2_INCOMPATIBLE))).isPositive();
        assertThat(client.isCompatible("s-value", new Schema.Parser().parse(V2_INCOMPATIBLE))).isFalse();
        assertThat(call("DELETE", "/config/r-value", null, null).body()).isEqualTo("{\"compatibilityLevel\":\"NONE\"}");
        assertThat(server.store().compatibility("r-value")).isEqualTo(MockSchemaRegistry.Compatibility.BACKWARD);
    }

    @Test
    void transitiveLevelsCheckEveryLiveVersionNotOnlyTheLatest() {
        Schema stringA = new Schema.Parser().parse(V1);
        Schema noA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}");
        Schema intA = new Schema.Parser().parse("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\",\"default\":0}]}");
        MockSchemaRegistry store = server.store();
        store.register("t-value", stringA);
        store.register("t-value", noA);
        // against the latest alone (no a) an int a with a default reads everything; against version 1 (a string) it does not
        assertThat(store.isCompatible("t-value", intA)).isTrue();
        store.globalCompatibility(MockSchemaRegistry.Compatibility.BACKWARD_TRANSITIVE);
        assertThat(store.isCompatible("t-value", intA)).isFalse();
        assertThatThrownBy(() -> store.register("t-value", intA))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409))
                .hasMessageContaining("version 1");
        // a soft-deleted version no longer constrains the subject
        store.deleteVersion("t-value", 1, false);
        assertThat(store.register("t-value", intA)).isPositive();
        assertThat(store.versions("t-value")).containsExactly(2, 3);
        assertThat(store.versions("t-value", true)).containsExactly(1, 2, 3);
    }

    private HttpResponse<String> call(String method, String path, String body, String accept) throws Exception {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(server.url() + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (accept != null) {
            request.header("Accept", accept);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static void assertError(HttpResponse<String> answer, int status, int errorCode) {
        assertThat(answer.statusCode()).as(answer.uri() + " " + answer.body()).isEqualTo(status);
        assertThat(answer.body()).as(answer.uri().toString()).contains("\"error_code\":" + errorCode);
    }

    private static String body(String schema) {
        return "{\"schema\":\"" + schema.replace("\"", "\\\"") + "\"}";
    }
}
