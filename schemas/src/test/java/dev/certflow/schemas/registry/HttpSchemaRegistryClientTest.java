package dev.certflow.schemas.registry;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.apache.avro.Schema;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.options;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The HTTP client against a stub that answers exactly as the Confluent Schema Registry API
 * reference shows (bodies, content type, error codes), so it is not only tested against our own
 * embedded server.
 */
class HttpSchemaRegistryClientTest {
    private static final String CT = "application/vnd.schemaregistry.v1+json";
    private static final String SCHEMA = "{\"type\":\"record\",\"name\":\"K\",\"namespace\":\"t\",\"fields\":[{\"name\":\"f\",\"type\":\"string\"}]}";

    private WireMockServer registry;
    private HttpSchemaRegistryClient client;

    @BeforeEach
    void start() {
        registry = new WireMockServer(options().dynamicPort().bindAddress("127.0.0.1"));
        registry.start();
        client = new HttpSchemaRegistryClient(List.of(registry.baseUrl()), "fred:letmein", null, Duration.ofSeconds(5));
    }

    @AfterEach
    void stop() {
        registry.stop();
    }

    @Test
    void registersWithBasicAuthAndCachesTheId() {
        registry.stubFor(post(urlEqualTo("/subjects/certificates-value/versions"))
                .withHeader("Content-Type", equalTo(CT))
                .withHeader("Authorization", equalTo("Basic ZnJlZDpsZXRtZWlu"))
                .withRequestBody(equalToJson("{\"schema\":" + quote(SCHEMA) + "}"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", CT).withBody("{\"id\":1}")));

        Schema schema = new Schema.Parser().parse(SCHEMA);
        assertThat(client.register("certificates-value", schema)).isEqualTo(1);
        assertThat(client.register("certificates-value", schema)).isEqualTo(1);
        registry.verify(1, postRequestedFor(urlEqualTo("/subjects/certificates-value/versions")));
        // registered schemas are known by id without another call
        assertThat(client.getById(1)).isEqualTo(schema);
        registry.verify(0, getRequestedFor(urlEqualTo("/schemas/ids/1")));
    }

    @Test
    void fetchesSchemaByIdOnce() {
        registry.stubFor(get(urlEqualTo("/schemas/ids/7"))
                .willReturn(aResponse().withStatus(200).withHeader("Content-Type", CT).withBody("{\"schema\":" + quote(SCHEMA) + "}")));
        assertThat(client.getById(7).getFullName()).isEqualTo("t.K");
        assertThat(client.getById(7).getFullName()).isEqualTo("t.K");
        registry.verify(1, getRequestedFor(urlEqualTo("/schemas/ids/7")));
    }

    @Test
    void errorsCarryTheRegistryErrorCode() {
        registry.stubFor(get(urlEqualTo("/schemas/ids/404"))
                .willReturn(aResponse().withStatus(404).withHeader("Content-Type", CT)
                        .withBody("{\"error_code\":40403,\"message\":\"Schema not found\"}")));
        registry.stubFor(post(urlEqualTo("/subjects/x-value/versions"))
                .willReturn(aResponse().withStatus(409).withHeader("Content-Type", CT)
                        .withBody("{\"error_code\":409,\"message\":\"Schema being registered is incompatible with an earlier schema\"}")));
        registry.stubFor(get(urlEqualTo("/subjects"))
                .willReturn(aResponse().withStatus(500).withHeader("Content-Type", CT)
                        .withBody("{\"error_code\":50001,\"message\":\"Error in the backend data store\"}")));

        assertThatThrownBy(() -> client.getById(404))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> {
                    assertThat(e.errorCode()).isEqualTo(40403);
                    assertThat(e.httpStatus()).isEqualTo(404);
                }).hasMessageContaining("Schema not found");
        assertThatThrownBy(() -> client.register("x-value", new Schema.Parser().parse(SCHEMA)))
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(409))
                .hasMessageContaining("incompatible");
        assertThatThrownBy(() -> client.subjects())
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.errorCode()).isEqualTo(50001));
    }

    @Test
    void nonJsonErrorPageStillGivesTheStatus() {
        registry.stubFor(get(urlEqualTo("/subjects")).willReturn(aResponse().withStatus(502).withBody("<html>Bad gateway</html>")));
        assertThatThrownBy(() -> client.subjects())
                .isInstanceOfSatisfying(SchemaRegistryException.class, e -> assertThat(e.httpStatus()).isEqualTo(502))
                .hasMessageContaining("HTTP 502");
    }

    @Test
    void readsSubjectsVersionsAndCompatibility() {
        registry.stubFor(get(urlEqualTo("/subjects")).willReturn(aResponse().withHeader("Content-Type", CT).withBody("[\"certificates-value\",\"alerts-value\"]")));
        registry.stubFor(get(urlEqualTo("/subjects/certificates-value/versions")).willReturn(aResponse().withHeader("Content-Type", CT).withBody("[1,2,3]")));
        registry.stubFor(get(urlEqualTo("/subjects/certificates-value/versions/latest")).willReturn(aResponse().withHeader("Content-Type", CT)
                .withBody("{\"subject\":\"certificates-value\",\"id\":3,\"version\":3,\"schema\":" + quote(SCHEMA) + "}")));
        registry.stubFor(post(urlEqualTo("/compatibility/subjects/certificates-value/versions/latest")).willReturn(aResponse().withHeader("Content-Type", CT)
                .withBody("{\"is_compatible\":true}")));
        registry.stubFor(post(urlEqualTo("/subjects/certificates-value")).willReturn(aResponse().withHeader("Content-Type", CT)
                .withBody("{\"subject\":\"certificates-value\",\"id\":3,\"version\":3,\"schema\":" + quote(SCHEMA) + "}")));

        assertThat(client.subjects()).containsExactly("certificates-value", "alerts-value");
        assertThat(client.versions("certificates-value")).containsExactly(1, 2, 3);
        var latest = client.version("certificates-value", -1);
        assertThat(latest.id()).isEqualTo(3);
        assertThat(latest.version()).isEqualTo(3);
        assertThat(client.isCompatible("certificates-value", new Schema.Parser().parse(SCHEMA))).isTrue();
        assertThat(client.lookup("certificates-value", new Schema.Parser().parse(SCHEMA))).isEqualTo(3);
    }

    @Test
    void unreachableRegistryNamesTheUrl() {
        var dead = new HttpSchemaRegistryClient(List.of("http://127.0.0.1:1"), null, null, Duration.ofSeconds(2));
        assertThatThrownBy(() -> dead.getById(1)).isInstanceOf(SchemaRegistryException.class).hasMessageContaining("127.0.0.1:1");
    }

    private static String quote(String s) {
        return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
