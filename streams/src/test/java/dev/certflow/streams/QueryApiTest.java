package dev.certflow.streams;

import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.errors.InvalidStateStoreException;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.lang.reflect.Proxy;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.UUID;

import static dev.certflow.streams.Fixtures.START;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The query API over HTTP: key forms, 503 while the stores cannot be read, ordering by instant. */
class QueryApiTest {
    private static final List<String> ENDPOINTS = List.of("/v1/certificates/expiring-soon?days=30", "/v1/certificates/expiry-unknown",
            "/v1/certificates/renewal-overdue", "/v1/renewals/failed", "/v1/certificates/smoxy/smoxy-eu/acme/1", "/v1/certificates/smoxy%2Fsmoxy-eu%2Facme%2F1",
            "/v1/summary", "/v1/timeline?days=365&by=source", "/v1/certificates?state=expired&q=example.com", "/v1/certificates?sort=name",
            "/v1/alerts", "/v1/sources");

    @AutoClose
    private final Closeables closeables = new Closeables();
    private final HttpClient http = HttpClient.newHttpClient();

    private String serve(QueryService queries) throws Exception {
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(ops);
        StreamsApp.mountQueryApi(ops, queries, new StreamsSettings());
        return ops.url();
    }

    private HttpResponse<String> get(String url) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private Harness harness() {
        Harness h = new Harness();
        closeables.add(h);
        return h;
    }

    @Test
    void aCertificateIsFoundByItsKeyAsItIsOrUrlEncodedWhateverCharactersItsPartsHold() throws Exception {
        Harness h = harness();
        // a space and '+' in the source name, '/' in the tenant, a literal "%2F", '/' and '+' in the id
        CertificateKey key = CertificateKeys.of(SourceKind.SMOXY, "smoxy eu+1", "acme/emea", "id 42+x%2F/y");
        String k = CertificateKeys.format(key);
        assertThat(k).isEqualTo("smoxy/smoxy%20eu%2B1/acme%2Femea/id%2042%2Bx%252F%2Fy");
        h.certificates.pipeInput(k, Fixtures.cert(key, START.plus(Duration.ofDays(20))));
        String base = serve(h.queries()) + "/v1/certificates/";

        List<String> forms = List.of(
                k,                                                    // the string form, raw slashes
                URLEncoder.encode(k, StandardCharsets.UTF_8),          // all of it URL-encoded as one segment
                k.replace("%2F", "%2f"),                              // lower-case hex is the same escape
                "smoxy/smoxy%20eu+1/acme%2Femea/id%2042%2Bx%252F%2Fy", // a path's '+' is a plus sign, not a space
                URLEncoder.encode(k, StandardCharsets.UTF_8).replace("%2F", "%2f"));
        for (String form : forms) {
            HttpResponse<String> r = get(base + form);
            assertThat(r.statusCode()).as(form + ": " + r.body()).isEqualTo(200);
            JsonNode body = AvroJson.MAPPER.readTree(r.body());
            assertThat(body.get("key").asText()).as(form).isEqualTo(k);
            assertThat(body.path("certificate").path("key").path("sourceId").asText()).isEqualTo("id 42+x%2F/y");
            assertThat(body.path("certificate").path("key").path("tenant").asText()).isEqualTo("acme/emea");
            assertThat(body.get("daysLeft").asInt()).isEqualTo(20);
        }

        HttpResponse<String> unknown = get(base + URLEncoder.encode("smoxy/smoxy-eu/acme/nope", StandardCharsets.UTF_8));
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(unknown.body()).contains("smoxy/smoxy-eu/acme/nope");
        // java.net.URI refuses to send a bad escape; curl would: the parser names it
        assertThatThrownBy(() -> QueryApi.certificateKey("smoxy%2Fsmoxy-eu%2Facme%2F%zz"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("smoxy%2Fsmoxy-eu%2Facme%2F%zz");
        HttpResponse<String> notAKey = get(base + "nothing-like-a-key");
        assertThat(notAKey.statusCode()).isEqualTo(400);
        assertThat(AvroJson.MAPPER.readTree(notAKey.body()).get("error").asText()).contains("nothing-like-a-key").contains("kind/sourceName/tenant/sourceId");
    }

    @Test
    void listsAreOrderedByInstantNotByTheirText() throws Exception {
        Harness h = harness();
        // Instant.toString drops a zero fraction: "...:00Z" sorts after "...:00.500Z" as text, though it is earlier
        Instant whole = Instant.parse("2026-01-11T00:00:00Z");
        Instant half = whole.plusMillis(500);
        CertificateKey earlier = Fixtures.key("acme", "b-whole");
        CertificateKey later = Fixtures.key("acme", "a-half");
        h.certificates.pipeInput(Fixtures.k(later), Fixtures.cert(later, half));
        h.certificates.pipeInput(Fixtures.k(earlier), Fixtures.cert(earlier, whole));
        h.attempts.pipeInput(Fixtures.k(later), Fixtures.attempt(later, "f-half", AttemptStatus.FAILED, START.minusSeconds(60).plusMillis(500), "x"));
        h.attempts.pipeInput(Fixtures.k(earlier), Fixtures.attempt(earlier, "f-whole", AttemptStatus.FAILED, START.minusSeconds(60), "x"));
        String base = serve(h.queries());

        JsonNode expiring = AvroJson.MAPPER.readTree(get(base + "/v1/certificates/expiring-soon?days=30").body());
        assertThat(keys(expiring)).containsExactly(Fixtures.k(earlier), Fixtures.k(later));
        assertThat(expiring.get("items").get(0).path("certificate").path("notAfter").asText()).isEqualTo("2026-01-11T00:00:00Z");
        JsonNode failed = AvroJson.MAPPER.readTree(get(base + "/v1/renewals/failed").body());
        assertThat(keys(failed)).containsExactly(Fixtures.k(earlier), Fixtures.k(later));
    }

    @Test
    void rowsAndCertificatesShowTheRenewalStateAndTheOverdueAreListed() throws Exception {
        Harness h = harness();
        // renewed by hand, 20 days left: due since day -10, overdue since day -8
        dev.certflow.events.Certificate overdue = RenewalFixtures.yeastarUpload("pbx-berlin", "1", "pbx.example.com", START.plus(Duration.ofDays(20)), START);
        // smoxy auto-managed, 47 days left: scheduled for day 17
        dev.certflow.events.Certificate scheduled = RenewalFixtures.smoxyAuto("org", "2", "shop.example.com", List.of(), START.plus(Duration.ofDays(47)), START);
        h.certificates.pipeInput(RenewalFixtures.k(overdue), overdue);
        h.certificates.pipeInput(RenewalFixtures.k(scheduled), scheduled);
        String base = serve(h.queries());

        JsonNode rows = AvroJson.MAPPER.readTree(get(base + "/v1/certificates/expiring-soon?days=60").body());
        assertThat(keys(rows)).containsExactly(RenewalFixtures.k(overdue), RenewalFixtures.k(scheduled));
        JsonNode first = rows.get("items").get(0);
        assertThat(first.get("renewalStatus").asText()).isEqualTo("OVERDUE");
        assertThat(first.get("expectedRenewalAt").asText()).isEqualTo(START.minus(Duration.ofDays(10)).toString());
        assertThat(first.get("renewalOverdueAt").asText()).isEqualTo(START.minus(Duration.ofDays(8)).toString());
        assertThat(first.get("renewalPolicy").asText()).isEqualTo("manual-lead-30d");
        assertThat(first.get("bucket").asText()).isEqualTo("renewal-overdue");
        JsonNode second = rows.get("items").get(1);
        assertThat(second.get("renewalStatus").asText()).isEqualTo("SCHEDULED");
        assertThat(second.get("expectedRenewalAt").asText()).isEqualTo(START.plus(Duration.ofDays(17)).toString());
        assertThat(second.get("renewalPolicy").asText()).isEqualTo("smoxy-auto-30d");
        assertThat(second.get("renewalMode").asText()).isEqualTo("auto");
        assertThat(second.get("bucket").isNull()).isTrue();

        JsonNode one = AvroJson.MAPPER.readTree(get(base + "/v1/certificates/" + RenewalFixtures.k(overdue)).body());
        assertThat(one.path("renewal").path("renewalStatus").asText()).isEqualTo("OVERDUE");
        assertThat(one.path("renewal").path("renewalPolicy").asText()).isEqualTo("manual-lead-30d");
        assertThat(one.path("renewal").path("renewalMode").asText()).isEqualTo("manual");
        assertThat(one.path("expiring").path("renewalStatus").asText()).isEqualTo("OVERDUE");

        JsonNode list = AvroJson.MAPPER.readTree(get(base + "/v1/certificates/renewal-overdue").body());
        assertThat(list.get("count").asInt()).isEqualTo(1);
        assertThat(keys(list)).containsExactly(RenewalFixtures.k(overdue));
        assertThat(list.get("items").get(0).path("value").path("renewalOverdueAt").asText()).isEqualTo(START.minus(Duration.ofDays(8)).toString());
    }

    private static List<String> keys(JsonNode list) {
        List<String> keys = new ArrayList<>();
        list.get("items").forEach(n -> keys.add(n.get("key").asText()));
        return keys;
    }

    @Test
    void whileKafkaStreamsHasNotStartedEveryQueryAnswers503WithRetryAfter(@TempDir Path stateDir) throws Exception {
        KafkaStreams streams = closeables.add(notStarted(stateDir));
        assertThat(streams.state()).isEqualTo(KafkaStreams.State.CREATED);
        String base = serve(new QueryService(streams, new HostInfo("localhost", 1), Time.SYSTEM, new RenewalPolicy(new StreamsSettings.RenewalSettings())));
        for (String endpoint : ENDPOINTS) {
            assertUnavailable(get(base + endpoint), endpoint);
        }
        // what the dashboard asks first still answers, saying why the rest does not
        HttpResponse<String> info = get(base + "/v1/info");
        assertThat(info.statusCode()).isEqualTo(200);
        assertThat(AvroJson.MAPPER.readTree(info.body()).get("state").asText()).isEqualTo("CREATED");
        assertThat(AvroJson.MAPPER.readTree(info.body()).get("ready").asBoolean()).isFalse();
    }

    @Test
    void theDashboardsParametersAreCheckedAndNamedWhenWrong() throws Exception {
        String base = serve(harness().queries());
        Map<String, String> bad = new java.util.LinkedHashMap<>();
        bad.put("/v1/certificates?state=broken", "'state'");
        bad.put("/v1/certificates?renewal=LATE", "'renewal'");
        bad.put("/v1/certificates?kind=acme", "'kind'");
        bad.put("/v1/certificates?sort=colour", "'sort'");
        bad.put("/v1/certificates?owner=pay%20ments", "'owner'");
        bad.put("/v1/summary?owner=%2Ateam", "'owner'");
        bad.put("/v1/certificates?order=up", "'order'");
        bad.put("/v1/certificates?size=0", "'size'");
        bad.put("/v1/certificates?after=%25%25", "'after'");
        bad.put("/v1/certificates?expiresFrom=tomorrow", "'expiresFrom'");
        bad.put("/v1/timeline?by=colour", "'by'");
        bad.put("/v1/timeline?days=x", "'days'");
        bad.put("/v1/alerts?kind=LOUD", "'kind'");
        for (Map.Entry<String, String> e : bad.entrySet()) {
            HttpResponse<String> r = get(base + e.getKey());
            assertThat(r.statusCode()).as(e.getKey() + ": " + r.body()).isEqualTo(400);
            assertThat(AvroJson.MAPPER.readTree(r.body()).get("error").asText()).as(e.getKey()).contains(e.getValue());
        }
        for (String ok : List.of("/v1/certificates?sort=owner", "/v1/certificates?owner=payments", "/v1/certificates?owner=-",
                "/v1/timeline?by=owner", "/v1/summary?owner=-")) {
            assertThat(get(base + ok).statusCode()).as(ok).isEqualTo(200); // owners are part of the API (answered 400 before them)
        }
        HttpResponse<String> page = get(base + "/");
        assertThat(page.statusCode()).isEqualTo(200);
        assertThat(page.body()).contains("<main").contains("/assets/chart.umd.js").doesNotContain("http://").doesNotContain("https://");
        HttpResponse<String> chart = get(base + "/assets/chart.umd.js");
        assertThat(chart.statusCode()).isEqualTo(200);
        assertThat(chart.body()).contains("Chart.js v" + Dashboard.chartJsVersion());
        assertThat(get(base + "/assets/chart.js-LICENSE.md").body()).contains("MIT");
        assertThat(get(base + "/nothing-here").statusCode()).isEqualTo(404);
    }

    @Test
    void aStoreThatStopsBeingReadableMidAnswerGives503WithRetryAfter() throws Exception {
        // what a rebalance does: the store handle was obtained, then a read throws
        HostInfo self = new HostInfo("localhost", 1);
        QueryService.StreamsState migrating = new QueryService.StreamsState() {
            @Override
            @SuppressWarnings("unchecked")
            public <K, V> ReadOnlyKeyValueStore<K, V> store(String name) {
                return (ReadOnlyKeyValueStore<K, V>) Proxy.newProxyInstance(getClass().getClassLoader(), new Class<?>[]{ReadOnlyKeyValueStore.class},
                        (proxy, method, args) -> {
                            throw new InvalidStateStoreException("The state store, " + name + ", may have migrated to another instance.");
                        });
            }

            @Override
            public KeyQueryMetadata metadataForKey(String store, String key) {
                return new KeyQueryMetadata(self, Set.of(), 0);
            }

            @Override
            public Collection<StreamsMetadata> metadataForStore(String store) {
                return List.of();
            }

            @Override
            public String state() {
                return "REBALANCING";
            }
        };
        String base = serve(new QueryService(migrating, self, Time.SYSTEM, new RenewalPolicy(new StreamsSettings.RenewalSettings())));
        for (String endpoint : ENDPOINTS) {
            assertUnavailable(get(base + endpoint), endpoint);
        }
    }

    /** A Kafka Streams client of the real topology, created but never started (its broker is never contacted). */
    static KafkaStreams notStarted(Path stateDir) {
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = "127.0.0.1:9";
        kafka.schemaRegistryUrl = "mock://" + UUID.randomUUID();
        StreamsSettings settings = new StreamsSettings();
        settings.applicationId = "not-started-" + UUID.randomUUID();
        settings.stateDir = stateDir.toString();
        CertflowMetrics metrics = new CertflowMetrics(null);
        Properties props = StreamsProperties.of(kafka, settings, "localhost:1", metrics);
        KafkaStreams streams = new KafkaStreams(CertflowTopology.buildTopology(kafka.topics(), settings, metrics), props) {
            @Override
            public void close() {
                close(Duration.ofSeconds(10));
            }
        };
        return streams;
    }

    private static void assertUnavailable(HttpResponse<String> r, String endpoint) throws Exception {
        assertThat(r.statusCode()).as(endpoint + ": " + r.body()).isEqualTo(503);
        assertThat(r.headers().firstValue("Retry-After")).as(endpoint).hasValueSatisfying(v -> assertThat(Long.parseLong(v)).isPositive());
        assertThat(r.headers().firstValue("Content-Type")).hasValue("application/json");
        assertThat(AvroJson.MAPPER.readTree(r.body()).get("error").asText()).as(endpoint).isNotBlank();
    }
}
