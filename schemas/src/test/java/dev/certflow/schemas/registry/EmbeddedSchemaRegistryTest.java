package dev.certflow.schemas.registry;

import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
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
}
