package dev.certflow.local;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.AppenderBase;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.simulator.Fleet;
import dev.certflow.simulator.Simulator;
import dev.certflow.sink.delivery.Payloads;
import io.micrometer.core.instrument.search.Search;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.ListTopicsOptions;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Issue 14 row 10 through the whole one-JVM stack: one canary in every credential (the simulated
 * sources' tokens and client secrets, the tokens the PBXs hand out, the query API's write and read
 * tokens, the webhook's and the owner webhook's signing keys, the Slack URL, the PagerDuty routing
 * key, the database password), next to the simulator's markers in smoxy's {@code privateKeyData}
 * and the PBXs' {@code auth_info_list} secrets; upstreams that answer 429, 500, HTML and credential
 * refusals at random with error bodies echoing the request back, a Slack receiver that fails
 * echoing its URL, a PagerDuty receiver that refuses every other event echoing the body. Then no
 * canary and no marker may be in a log event (raw, before the masking layout), a byte of any record
 * on any topic (internal ones and aborted transactions included), a row of any PostgreSQL table,
 * what the channels received (PagerDuty's {@code routing_key}, which its API requires, aside), the
 * {@code /metrics} answer or an answer of any GET endpoint of the query API.
 */
class CanaryEndToEndIntegrationTest {
    private static final String CANARY = "CANARY" + UUID.randomUUID().toString().replace("-", "").substring(0, 12);
    private static final List<String> PLANTED = List.of(CANARY, Fleet.PRIVATE_KEY_MARKER, Fleet.DNS_SECRET_MARKER);
    private static final String READ_TOKEN = CANARY + "-read-token";
    private static final String OWNER_SECRET = CANARY + "-owner-hmac";

    /** What a receiver got: path, the signature header, the raw body. */
    record Received(String path, String signature, String body) {
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final AtomicInteger pagerDutyCalls = new AtomicInteger();
    private HttpServer receivers;
    private EndToEnd.Recorder recorder;
    private Capture logs;

    /** Every log event of the JVM, rendered as the code formatted it (no masking layout). */
    static final class Capture extends AppenderBase<ILoggingEvent> {
        final List<String> lines = new CopyOnWriteArrayList<>();

        @Override
        protected void append(ILoggingEvent e) {
            StringBuilder sb = new StringBuilder(e.getLoggerName()).append(": ").append(e.getFormattedMessage());
            if (e.getArgumentArray() != null) {
                for (Object a : e.getArgumentArray()) {
                    sb.append(" | ").append(a);
                }
            }
            e.getMDCPropertyMap().forEach((k, v) -> sb.append(" | ").append(k).append('=').append(v));
            for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                sb.append(" | ").append(t.getClassName()).append(": ").append(t.getMessage());
            }
            lines.add(sb.toString());
        }
    }

    @BeforeEach
    void start() throws IOException {
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        logs = new Capture();
        logs.setContext(ctx);
        logs.start();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).addAppender(logs);
        ctx.getLogger("dev.certflow").setLevel(Level.DEBUG);
        recorder = new EndToEnd.Recorder();
        receivers = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        // Slack: always 500, quoting the request line (the URL's path is the credential)
        receivers.createContext("/slack/", ex -> answer(ex, 500, "no_service: no route for POST " + ex.getRequestURI().getRawPath()));
        // PagerDuty: every other event refused with 400, quoting the event (routing key included)
        receivers.createContext("/pd", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received("/pd", null, body));
            if (pagerDutyCalls.incrementAndGet() % 2 == 0) {
                answer(ex, 400, "{\"status\":\"invalid event\",\"message\":\"Event object is invalid\",\"errors\":[" + EndToEnd.JSON.writeValueAsString(body) + "]}");
            } else {
                answer(ex, 202, "{\"status\":\"success\",\"message\":\"Event processed\"}");
            }
        });
        receivers.createContext("/owner", ex -> {
            String body = new String(ex.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
            received.add(new Received("/owner", ex.getRequestHeaders().getFirst("X-Certflow-Signature"), body));
            answer(ex, 200, "");
        });
        receivers.start();
    }

    @AfterEach
    void stop() {
        receivers.stop(0);
        recorder.close();
        LoggerContext ctx = (LoggerContext) LoggerFactory.getILoggerFactory();
        ctx.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME).detachAppender(logs);
        ctx.getLogger("dev.certflow").setLevel(null);
    }

    private static void answer(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            ex.getResponseBody().write(bytes);
        }
        ex.close();
    }

    private String receiver(String path) {
        return "http://127.0.0.1:" + receivers.getAddress().getPort() + path;
    }

    @Test
    void theCanaryReachesNoLogTopicTableAlertPayloadMetricOrApiAnswer() throws Exception {
        Map<String, String> env = new HashMap<>();
        env.put("E2E_WEBHOOK_SECRET", CANARY + "-hook-hmac");
        env.put("CANARY_SLACK_URL", receiver("/slack/services/T0000/B0000/" + CANARY + "-slack"));
        env.put("CANARY_PD_KEY", CANARY + "-pd-routing-key");
        env.put("CANARY_OWNER_HMAC", OWNER_SECRET);
        env.put("CANARY_DB_PASSWORD", CANARY + "-db-password");
        env.put("CANARY_WRITE_TOKEN", CANARY + "-write-token");
        env.put("CANARY_READ_TOKEN", READ_TOKEN);
        LocalStack.Options options = EndToEnd.options(recorder, 60, root -> {
            ObjectNode sink = (ObjectNode) root.get("sink");
            sink.put("password", "${CANARY_DB_PASSWORD}");
            sink.put("maxAttempts", 2).put("initialBackoff", "50ms").put("maxBackoff", "100ms");
            ArrayNode channels = (ArrayNode) sink.get("channels");
            ObjectNode slack = channels.addObject().put("name", "chat").put("type", "slack").put("webhookUrl", "${CANARY_SLACK_URL}");
            ObjectNode pd = channels.addObject().put("name", "pager").put("type", "pagerduty").put("url", receiver("/pd"))
                    .put("routingKey", "${CANARY_PD_KEY}");
            for (ObjectNode c : List.of(slack, pd)) {
                Simulator.LOOPBACK_NETWORKS.forEach(c.putArray("allowedNetworks")::add);
            }
            ObjectNode owners = root.putObject("owners");
            owners.put("default", "platform");
            ObjectNode team = owners.putArray("teams").addObject().put("name", "platform");
            team.putObject("webhook").put("url", receiver("/owner")).put("secret", "${CANARY_OWNER_HMAC}");
            team.putObject("digest").put("at", "00:00").put("every", "6h").put("sendEmpty", true);
            Simulator.LOOPBACK_NETWORKS.forEach(sink.putObject("ownerNetworks").putArray("allowedNetworks")::add);
            root.putObject("streams").putObject("api").put("writeToken", "${CANARY_WRITE_TOKEN}").put("readToken", "${CANARY_READ_TOKEN}");
        }, env);
        options.simulator.credential(CANARY + "-source").echoRequests(true).faults(0.03, 0.03, 0.01, 0).authErrors(0.03);

        try (LocalStack stack = LocalStack.start(options)) {
            var clock = stack.simulator().clock();
            var end = clock.start().plus(Duration.ofHours(14));
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(1)).until(() -> clock.instant().isAfter(end));
            HttpClient http = HttpClient.newHttpClient();
            String api = stack.queryApiUrl();

            // the credentials were used, so the test can fail: every source kind ingested, every channel was sent to
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> assertThat(rows(stack.jdbcUrl(), "SELECT DISTINCT source_kind FROM certificates"))
                    .containsExactlyInAnyOrder("LEEGALITY", "SMOXY", "YEASTAR"));
            await().atMost(Duration.ofMinutes(1)).untilAsserted(() -> {
                assertThat(recorder.received).as("webhook").isNotEmpty();
                assertThat(pagerDutyCalls.get()).as("PagerDuty, refused every other time").isGreaterThanOrEqualTo(2);
                assertThat(received).as("owner webhook").anyMatch(r -> r.path().equals("/owner"));
                assertThat(rows(stack.jdbcUrl(), "SELECT DISTINCT channel FROM delivery_attempts WHERE outcome <> 'DELIVERED'"))
                        .as("failed deliveries recorded with their (echoing) error").contains("chat", "pager");
            });
            Received owned = received.stream().filter(r -> r.path().equals("/owner")).findFirst().orElseThrow();
            assertThat(owned.signature()).as("signed with the planted key")
                    .isEqualTo(Payloads.signature(OWNER_SECRET, owned.body().getBytes(StandardCharsets.UTF_8)));
            assertThat(received).as("PagerDuty got the planted routing key").anyMatch(r -> r.body().contains(CANARY + "-pd-routing-key"));
            // the upstreams refused and failed, echoing what they were sent; certflow masked it
            // faults are drawn from one random sequence shared by every source's requests, so which source gets an
            // auth error depends on how their requests interleave: wait for Leegality's while the stack runs on
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> assertThat(logs.lines)
                    .as("an echoed Leegality error came back").anyMatch(l -> l.contains("[you sent X-Auth-Token: ")));
            for (String kind : List.of("auth", "http_5xx")) {
                assertThat(Search.in(stack.ops().registry()).name("certflow.ingest.errors").tag("kind", kind).counters())
                        .as("failed polls of kind %s", kind).isNotEmpty();
            }

            // the write token works (and the read token is required)
            JsonNode alerts = EndToEnd.JSON.readTree(get(http, api + "/v1/alerts?size=5", READ_TOKEN).body());
            assertThat(alerts.path("items").size()).as("firing alerts").isPositive();
            HttpResponse<String> ack = http.send(HttpRequest.newBuilder(URI.create(api + "/v1/alerts/"
                            + URLEncoder.encode(alerts.path("items").get(0).get("alertId").asText(), StandardCharsets.UTF_8) + "/ack"))
                    .header("Authorization", "Bearer " + CANARY + "-write-token").header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString("{\"acknowledgedBy\": \"canary\"}")).build(), HttpResponse.BodyHandlers.ofString());
            assertThat(ack.statusCode()).as(ack.body()).isEqualTo(201);
            assertThat(get(http, api + "/v1/info", null).statusCode()).as("reads need the read token").isEqualTo(401);

            // every GET answer of the query API, /metrics, /health, /ready and the dashboard's page
            Map<String, String> answers = new LinkedHashMap<>();
            for (String path : List.of("/v1/info", "/v1/summary", "/v1/timeline?days=3650&bin=30", "/v1/timeline?by=owner", "/v1/timeline?by=source",
                    "/v1/certificates/expiring-soon?days=3650", "/v1/certificates/renewal-overdue", "/v1/certificates/expiry-unknown",
                    "/v1/renewals/failed", "/v1/sources", "/v1/silences", "/v1/silences?active=true", "/v1/alerts?kind=SOURCE_DOWN",
                    "/metrics", "/health", "/ready", "/")) {
                answers.put(path, get(http, api + path, READ_TOKEN).body());
            }
            answers.put("/v1/info (wrong token)", get(http, api + "/v1/info", CANARY + "-wrong").body());
            pages(http, api + "/v1/certificates?size=50", answers);
            pages(http, api + "/v1/alerts?size=50", answers);
            List<String> keys = rows(stack.jdbcUrl(), "SELECT cert_key FROM certificates");
            assertThat(keys).hasSizeGreaterThan(30);
            for (String key : keys) {
                answers.put("/v1/certificates/" + key, get(http, api + "/v1/certificates/" + URLEncoder.encode(key, StandardCharsets.UTF_8), READ_TOKEN).body());
            }
            assertThat(answers.get("/metrics")).contains("certflow_ingest_polls_total");
            answers.forEach((path, body) -> assertNothingPlanted("GET " + path, body));

            // what the channels received (PagerDuty's routing_key aside: its API takes the key in the body)
            for (JsonNode body : recorder.received) {
                assertNothingPlanted("webhook body", body.toString());
            }
            for (Received r : received) {
                JsonNode body = EndToEnd.JSON.readTree(r.body());
                if (r.path().equals("/pd")) {
                    ((ObjectNode) body).remove("routing_key");
                }
                assertNothingPlanted(r.path() + " body", body.toString());
                assertNothingPlanted(r.path() + " signature", String.valueOf(r.signature()));
            }

            // every row of every table
            int rowCount = 0;
            for (String table : rows(stack.jdbcUrl(), "SELECT quote_ident(table_schema) || '.' || quote_ident(table_name) FROM information_schema.tables"
                    + " WHERE table_schema NOT IN ('pg_catalog', 'information_schema')")) {
                for (String row : rows(stack.jdbcUrl(), "SELECT t::text FROM " + table + " t")) {
                    rowCount++;
                    assertNothingPlanted("a row of " + table, row);
                }
            }
            assertThat(rowCount).as("rows in the tables").isGreaterThan(100);

            // every byte of every record on every topic
            int records = assertNothingPlantedOnTopics(stack);
            assertThat(records).as("records on the topics").isGreaterThan(1000);
        }
        // the logs of the whole run, the stack's shutdown included
        assertThat(logs.lines).hasSizeGreaterThan(100);
        for (String line : logs.lines) {
            assertNothingPlanted("log event", line);
        }
    }

    private static void assertNothingPlanted(String where, String text) {
        for (String planted : PLANTED) {
            assertThat(text).as("%s holds %s", where, planted).doesNotContain(planted);
        }
    }

    private static HttpResponse<String> get(HttpClient http, String url, String token) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Follows a list's {@code next} cursor to its end, keeping every page's answer. */
    private static void pages(HttpClient http, String first, Map<String, String> answers) throws Exception {
        String url = first;
        for (int page = 0; url != null && page < 100; page++) {
            HttpResponse<String> r = get(http, url, READ_TOKEN);
            assertThat(r.statusCode()).as(url + ": " + r.body()).isEqualTo(200);
            answers.put(url.substring(url.indexOf("/v1/")), r.body());
            JsonNode next = EndToEnd.JSON.readTree(r.body()).path("next");
            url = next.isTextual() ? first + "&after=" + URLEncoder.encode(next.asText(), StandardCharsets.UTF_8) : null;
        }
    }

    private static List<String> rows(String jdbcUrl, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    /** Reads every topic of the broker (internal ones too) from the start, aborted records included; returns the records read. */
    private static int assertNothingPlantedOnTopics(LocalStack stack) throws Exception {
        List<String> names;
        try (Admin admin = Admin.create(stack.kafka().admin("canary-admin"))) {
            names = List.copyOf(admin.listTopics(new ListTopicsOptions().listInternal(true)).names().get(30, TimeUnit.SECONDS));
        }
        assertThat(names).contains(stack.kafka().topics().certificates().name(), "__consumer_offsets");
        Map<String, Object> config = new HashMap<>(stack.kafka().consumer("canary-reader", "canary-reader"));
        config.put(ConsumerConfig.ISOLATION_LEVEL_CONFIG, "read_uncommitted");
        config.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, false);
        List<byte[]> planted = PLANTED.stream().map(p -> p.getBytes(StandardCharsets.UTF_8)).toList();
        int records = 0;
        try (var consumer = new KafkaConsumer<>(config, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> partitions = new ArrayList<>();
            names.forEach(n -> consumer.partitionsFor(n).forEach(p -> partitions.add(new TopicPartition(n, p.partition()))));
            consumer.assign(partitions);
            consumer.seekToBeginning(partitions);
            Map<TopicPartition, Long> ends = consumer.endOffsets(partitions);
            long deadline = System.nanoTime() + Duration.ofSeconds(120).toNanos();
            while (partitions.stream().anyMatch(tp -> consumer.position(tp) < ends.get(tp))) {
                assertThat(System.nanoTime()).as("read every topic to its end within 120 s").isLessThan(deadline);
                for (ConsumerRecord<byte[], byte[]> r : consumer.poll(Duration.ofMillis(200))) {
                    records++;
                    for (byte[] p : planted) {
                        assertThat(indexOf(r.key(), p)).as("key on %s", r.topic()).isNegative();
                        assertThat(indexOf(r.value(), p)).as("value on %s at offset %d", r.topic(), r.offset()).isNegative();
                        for (Header h : r.headers()) {
                            assertThat(indexOf(h.value(), p)).as("header %s on %s", h.key(), r.topic()).isNegative();
                        }
                    }
                }
            }
        }
        return records;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        if (haystack == null) {
            return -1;
        }
        outer:
        for (int i = 0; i + needle.length <= haystack.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (haystack[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}
