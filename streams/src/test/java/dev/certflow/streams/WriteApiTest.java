package dev.certflow.streams;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.fasterxml.jackson.databind.JsonNode;
import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.Silence;
import dev.certflow.events.SilenceMatchOp;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.runtime.owners.OwnersConfig;
import org.apache.kafka.streams.TestInputTopic;
import org.junit.jupiter.api.AutoClose;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.Fixtures.cert;
import static dev.certflow.streams.Fixtures.k;
import static dev.certflow.streams.Fixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

/** Silences, acknowledgements, the owner filter and the token checks of the query API, over HTTP on a TopologyTestDriver. */
class WriteApiTest {
    private static final String WRITE = "write-token-" + "0123456789abcdef";
    private static final String READ = "read-token-" + "fedcba9876543210";

    @AutoClose
    private final Closeables closeables = new Closeables();
    private final HttpClient http = HttpClient.newHttpClient();
    /** What the API wrote, in order; silences and acknowledgements are also fed to the driver's topics, as Kafka would. */
    private final List<Object> written = new ArrayList<>();

    private Harness h;
    private String base;

    private void serve(StreamsSettings settings, Secret write, Secret read) throws Exception {
        h = new Harness(settings);
        closeables.add(h);
        TestInputTopic<String, Silence> silences = h.driver.createInputTopic(h.topics.alertSilences().name(),
                h.topics.alertSilences().keySerde().serializer(), h.topics.alertSilences().valueSerde().serializer());
        TestInputTopic<String, Acknowledgement> acks = h.driver.createInputTopic(h.topics.alertAcknowledgements().name(),
                h.topics.alertAcknowledgements().keySerde().serializer(), h.topics.alertAcknowledgements().valueSerde().serializer());
        QueryService queries = h.queries();
        settings.api.writeToken = write;
        settings.api.readToken = read;
        ApiAuth auth = new ApiAuth(settings.api);
        WriteApi.Publisher publisher = new WriteApi.Publisher() {
            @Override
            public void silence(Silence s) {
                written.add(s);
                silences.pipeInput(s.getSilenceId(), s);
            }

            @Override
            public void acknowledgement(Acknowledgement ack) {
                written.add(ack);
                acks.pipeInput(ack.getIncidentId(), ack);
            }
        };
        OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry());
        closeables.add(ops);
        StreamsApp.mountQueryApi(ops, queries, settings, auth, publisher);
        base = ops.url();
    }

    private void serve() throws Exception {
        serve(Harness.fixedThresholds(), Secret.of(WRITE), null);
    }

    private HttpResponse<String> send(String method, String path, String token, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path))
                .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return AvroJson.MAPPER.readTree(r.body());
    }

    private static final String SILENCE = """
            {"matchers": [{"name": "kind", "value": "EXPIRING"}, {"name": "owner", "value": "pay.*", "op": "REGEX"}],
             "duration": "2h", "createdBy": "alice", "comment": "maintenance window"}""";

    @Test
    void aSilenceIsWrittenListedByEveryReaderOfTheStoreAndExpiredByDelete() throws Exception {
        serve();
        HttpResponse<String> created = send("POST", "/v1/silences", WRITE, SILENCE);
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode s = json(created);
        String id = s.path("silenceId").asText();
        assertThat(s.path("startsAt").asText()).isEqualTo(START.toString());
        assertThat(s.path("endsAt").asText()).isEqualTo(START.plus(Duration.ofHours(2)).toString());
        assertThat(s.path("state").asText()).isEqualTo("active");
        Silence stored = (Silence) written.get(0);
        assertThat(stored.getMatchers()).hasSize(2);
        assertThat(stored.getMatchers().get(0).getOp()).isEqualTo(SilenceMatchOp.EQUAL);
        assertThat(stored.getMatchers().get(1).getOp()).isEqualTo(SilenceMatchOp.REGEX);
        assertThat(stored.getCreatedBy()).isEqualTo("alice");

        JsonNode list = json(send("GET", "/v1/silences", null, null));
        assertThat(list.path("count").asInt()).isEqualTo(1);
        assertThat(list.path("items").get(0).path("silenceId").asText()).isEqualTo(id);

        HttpResponse<String> expired = send("DELETE", "/v1/silences/" + id, WRITE, null);
        assertThat(expired.statusCode()).as(expired.body()).isEqualTo(200);
        assertThat(json(expired).path("endsAt").asText()).isEqualTo(START.toString());
        assertThat(json(expired).path("state").asText()).isEqualTo("expired");
        // history kept: the silence is written again, never a tombstone
        assertThat(written).hasSize(2);
        assertThat(((Silence) written.get(1)).getSilenceId()).isEqualTo(id);
        assertThat(json(send("GET", "/v1/silences?active=true", null, null)).path("count").asInt()).isZero();
        assertThat(json(send("GET", "/v1/silences", null, null)).path("count").asInt()).isEqualTo(1);
        assertThat(send("DELETE", "/v1/silences/no-such-id", WRITE, null).statusCode()).isEqualTo(404);
    }

    @Test
    void badSilencesAreRefusedWith400NamingTheField() throws Exception {
        serve();
        record Case(String body, String field) {
        }
        List<Case> cases = List.of(
                new Case("{\"duration\": \"2h\", \"createdBy\": \"a\"}", "'matchers'"),
                new Case("{\"matchers\": [], \"duration\": \"2h\", \"createdBy\": \"a\"}", "'matchers'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\", \"op\": \"LIKE\"}], \"duration\": \"2h\", \"createdBy\": \"a\"}", "'matchers[0].op'"),
                new Case("{\"matchers\": [{\"name\": \"ki nd\", \"value\": \"X\"}], \"duration\": \"2h\", \"createdBy\": \"a\"}", "'matchers[0].name'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"(\", \"op\": \"REGEX\"}], \"duration\": \"2h\", \"createdBy\": \"a\"}", "'matchers[0].value'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"createdBy\": \"a\"}", "'endsAt' or field 'duration'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"duration\": \"soon\", \"createdBy\": \"a\"}", "'duration'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"endsAt\": \"tomorrow\", \"createdBy\": \"a\"}", "'endsAt'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"endsAt\": \"2025-01-01T00:00:00Z\", \"createdBy\": \"a\"}", "'endsAt'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"duration\": \"2h\"}", "'createdBy'"),
                new Case("{\"matchers\": [{\"name\": \"kind\", \"value\": \"X\"}], \"duration\": \"2h\", \"createdBy\": \"a\", \"author\": \"b\"}", "'author'"),
                new Case("[1, 2]", "JSON object"),
                new Case("{not json", "not valid JSON"));
        for (Case c : cases) {
            HttpResponse<String> r = send("POST", "/v1/silences", WRITE, c.body());
            assertThat(r.statusCode()).as(c.body()).isEqualTo(400);
            assertThat(json(r).path("error").asText()).as(c.body()).contains(c.field());
        }
        assertThat(written).isEmpty();
    }

    @Test
    void writesNeedTheWriteTokenAndAreRefusedWhenNoneIsConfigured() throws Exception {
        String canary = "CANARY-" + java.util.UUID.randomUUID();
        ch.qos.logback.classic.Logger root = (ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        root.addAppender(logs);
        closeables.add(() -> root.detachAppender(logs));
        serve(Harness.fixedThresholds(), Secret.of(canary), null);

        HttpResponse<String> missing = send("POST", "/v1/silences", null, SILENCE);
        assertThat(missing.statusCode()).isEqualTo(401);
        assertThat(missing.headers().firstValue("WWW-Authenticate")).hasValue(ApiAuth.CHALLENGE);
        HttpResponse<String> wrong = send("POST", "/v1/silences", canary + "x", SILENCE);
        assertThat(wrong.statusCode()).isEqualTo(401);
        assertThat(wrong.body()).doesNotContain(canary);
        assertThat(send("DELETE", "/v1/silences/x", "nope", null).statusCode()).isEqualTo(401);
        assertThat(send("POST", "/v1/alerts/x/ack", null, null).statusCode()).isEqualTo(401);
        HttpResponse<String> basic = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/silences"))
                .header("Authorization", "Basic " + canary).POST(HttpRequest.BodyPublishers.ofString(SILENCE)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(basic.statusCode()).isEqualTo(401);
        assertThat(written).isEmpty();
        assertThat(send("POST", "/v1/silences", canary, SILENCE).statusCode()).isEqualTo(201);
        // reads stay open without a read token
        assertThat(send("GET", "/v1/silences", null, null).statusCode()).isEqualTo(200);
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).anyMatch(m -> m.contains("Refused POST /v1/silences"));
        assertThat(logs.list).extracting(ILoggingEvent::getFormattedMessage).noneMatch(m -> m.contains(canary));

        serve(Harness.fixedThresholds(), null, null);
        HttpResponse<String> disabled = send("POST", "/v1/silences", canary, SILENCE);
        assertThat(disabled.statusCode()).isEqualTo(403);
        assertThat(json(disabled).path("error").asText()).contains("streams.api.writeToken");
    }

    @Test
    void aReadTokenClosesReadsToEveryoneWithoutAToken() throws Exception {
        serve(Harness.fixedThresholds(), Secret.of(WRITE), Secret.of(READ));
        for (String path : List.of("/v1/silences", "/v1/alerts", "/v1/certificates/expiring-soon", "/v1/renewals/failed")) {
            HttpResponse<String> r = send("GET", path, null, null);
            assertThat(r.statusCode()).as(path).isEqualTo(401);
            assertThat(r.headers().firstValue("WWW-Authenticate")).as(path).hasValue(ApiAuth.CHALLENGE);
            assertThat(send("GET", path, "wrong", null).statusCode()).as(path).isEqualTo(401);
            assertThat(send("GET", path, READ, null).statusCode()).as(path).isEqualTo(200);
            assertThat(send("GET", path, WRITE, null).statusCode()).as(path).isEqualTo(200);
        }
        // the read token does not write
        assertThat(send("POST", "/v1/silences", READ, SILENCE).statusCode()).isEqualTo(401);
    }

    @Test
    void anAcknowledgementNamesTheIncidentOfAFiringAlert() throws Exception {
        serve();
        CertificateKey key = key("acme", "1");
        h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(5))));
        Alert firing = h.alerts.readValue();

        HttpResponse<String> r = send("POST", "/v1/alerts/" + firing.getAlertId() + "/ack", WRITE,
                "{\"acknowledgedBy\": \"bob\", \"comment\": \"on it\"}");
        assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
        Acknowledgement ack = (Acknowledgement) written.get(0);
        assertThat(ack.getIncidentId()).isEqualTo(firing.getIncidentId());
        assertThat(ack.getAlertId()).isEqualTo(firing.getAlertId());
        assertThat(ack.getAcknowledgedBy()).isEqualTo("bob");
        assertThat(ack.getComment()).isEqualTo("on it");
        assertThat(ack.getAcknowledgedAt()).isEqualTo(START);
        assertThat(json(r).path("incidentId").asText()).isEqualTo(firing.getIncidentId());
        // the alert list marks it, and only it, acknowledged (from the global acknowledgement store)
        CertificateKey other = key("acme", "2");
        h.certificates.pipeInput(k(other), cert(other, START.plus(Duration.ofDays(6))));
        JsonNode items = json(send("GET", "/v1/alerts", null, null)).path("items");
        assertThat(items.size()).isEqualTo(2);
        for (JsonNode a : items) {
            boolean mine = a.path("alertId").asText().equals(firing.getAlertId());
            assertThat(a.path("acknowledgedBy").isNull()).as(a.toString()).isEqualTo(!mine);
            if (mine) {
                assertThat(a.path("acknowledgedBy").asText()).isEqualTo("bob");
                assertThat(a.path("acknowledgedAt").asText()).isEqualTo(START.toString());
                assertThat(a.path("acknowledgementComment").asText()).isEqualTo("on it");
            }
        }

        assertThat(send("POST", "/v1/alerts/expiring-0000/ack", WRITE, null).statusCode()).isEqualTo(404);
        HttpResponse<String> bad = send("POST", "/v1/alerts/" + firing.getAlertId() + "/ack", WRITE, "{\"by\": \"x\"}");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).path("error").asText()).contains("'by'");
        assertThat(written).hasSize(1);
    }

    @Test
    void listsFilterByOwnerAndDashSelectsTheUnowned() throws Exception {
        OwnersConfig owners = new OwnersConfig();
        OwnersConfig.Team payments = new OwnersConfig.Team();
        payments.name = "payments";
        owners.teams = List.of(payments);
        OwnersConfig.Rule rule = new OwnersConfig.Rule();
        rule.owner = "payments";
        rule.tenants = List.of("acme");
        owners.rules = List.of(rule);
        serve(Harness.fixedThresholds().withOwners(owners), Secret.of(WRITE), null);
        CertificateKey owned = key("acme", "1");
        CertificateKey unowned = key("globex", "2");
        h.certificates.pipeInput(k(owned), cert(owned, START.plus(Duration.ofDays(5))));
        h.certificates.pipeInput(k(unowned), cert(unowned, START.plus(Duration.ofDays(6))));

        JsonNode mine = json(send("GET", "/v1/certificates/expiring-soon?days=30&owner=payments", null, null));
        assertThat(mine.path("count").asInt()).isEqualTo(1);
        assertThat(mine.path("items").get(0).path("key").asText()).isEqualTo(k(owned));
        JsonNode none = json(send("GET", "/v1/certificates/expiring-soon?days=30&owner=-", null, null));
        assertThat(none.path("count").asInt()).isEqualTo(1);
        assertThat(none.path("items").get(0).path("key").asText()).isEqualTo(k(unowned));
        assertThat(json(send("GET", "/v1/certificates/expiring-soon?days=30", null, null)).path("count").asInt()).isEqualTo(2);

        JsonNode alerts = json(send("GET", "/v1/alerts?owner=payments", null, null));
        assertThat(alerts.path("count").asInt()).isEqualTo(1);
        assertThat(alerts.path("items").get(0).path("owner").asText()).isEqualTo("payments");
        assertThat(json(send("GET", "/v1/alerts?owner=-", null, null)).path("items").get(0).path("tenant").asText())
                .isEqualTo("globex");
        assertThat(json(send("GET", "/v1/alerts", null, null)).path("count").asInt()).isEqualTo(2);
    }
}
