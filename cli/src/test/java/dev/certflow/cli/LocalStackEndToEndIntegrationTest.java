package dev.certflow.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.simulator.FleetCertificate;
import dev.certflow.simulator.Script;
import dev.certflow.simulator.ScriptEvent;
import dev.certflow.simulator.SimulatorOptions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole one-JVM stack against the scripted simulator with a fast clock: each scripted
 * certificate produces exactly the alerts its script implies (checked at a recording webhook
 * receiver), the PostgreSQL views hold the same alert history and the current certificates, and
 * the query API answers for them.
 */
class LocalStackEndToEndIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Simulated time by which every scripted event has happened (the 1-day certificates expire at +1d3h). */
    private static final Duration SCRIPT_END = Duration.ofHours(29);

    private HttpServer receiver;
    private final List<JsonNode> received = new CopyOnWriteArrayList<>();

    @BeforeEach
    void startReceiver() throws Exception {
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        receiver.createContext("/hook", exchange -> {
            received.add(JSON.readTree(exchange.getRequestBody()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        receiver.start();
    }

    @AfterEach
    void stopReceiver() {
        receiver.stop(0);
    }

    @Test
    void scriptedFleetProducesExactlyTheExpectedAlertsRowsAndAnswers() throws Exception {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("ops").put("port", 0).put("host", "127.0.0.1");
        ArrayNode channels = root.putObject("sink").putArray("channels");
        channels.addObject().put("name", "recorder").put("type", "webhook")
                .put("url", "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook").put("secret", "e2e-webhook-secret");
        LocalStack.Options options = new LocalStack.Options();
        options.config = ConfigLoader.fromTree(root, Map.of());
        options.simulator = new SimulatorOptions().size(150).seed(7).speed(1440);
        options.simulatedPollInterval = Duration.ofSeconds(1);
        options.console = null;

        try (LocalStack stack = LocalStack.start(options)) {
            var clock = stack.simulator().clock();
            Instant end = clock.start().plus(SCRIPT_END);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> clock.instant().isAfter(end));
            // the pipeline settles: every alert delivered and recorded in PostgreSQL, nothing new for a while
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(3)).until(() -> {
                int before = received.size();
                return before > 0 && alertHistory(stack.jdbcUrl()).size() == before;
            });

            // kept for whoever reads a failure: every alert the receiver got
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "e2e-alerts.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(received));
            List<FleetCertificate> scripted = stack.simulator().fleet().scenario();
            Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
            for (JsonNode alert : received) {
                String key = alert.path("certificateKey").isTextual() ? alert.get("certificateKey").asText()
                        : "source:" + alert.path("source").asText();
                byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(alert);
            }

            // one FIRING per alert id, at most one RESOLVED, never a RESOLVED without its FIRING
            Map<String, List<String>> statusesById = received.stream().collect(Collectors.groupingBy(a -> a.get("alertId").asText(),
                    Collectors.mapping(a -> a.get("status").asText(), Collectors.toList())));
            statusesById.forEach((id, statuses) -> assertThat(statuses).as(id).isIn(List.of("FIRING"), List.of("FIRING", "RESOLVED")));

            // besides the scripted certificates and the scripted outage, the background (renewed on schedule, with
            // 47- to 398-day lifetimes) may raise only what the old fixed thresholds raise for healthy certificates:
            // EXPIRING at 30 days, never a smaller bucket (every background renewal lands with more than 14 days
            // left), EXPIRED, a failure or an unknown expiry (issue 11; renewal-aware defaults raise none of these)
            Set<String> scriptedKeys = scripted.stream().map(FleetCertificate::key).collect(Collectors.toSet());
            byKey.forEach((k, alerts) -> {
                if (!scriptedKeys.contains(k) && !k.startsWith("source:")) {
                    assertThat(kindsAndStatuses(alerts)).as("background " + k).isSubsetOf("EXPIRING FIRING", "EXPIRING RESOLVED");
                    assertThat(alerts).as("background " + k).allSatisfy(a -> assertThat(a.get("threshold").asText()).isEqualTo("30d"));
                }
            });

            for (FleetCertificate c : scripted) {
                List<JsonNode> alerts = byKey.getOrDefault(c.key(), List.of());
                checkScript(c, alerts, clock.instant());
            }

            List<JsonNode> sourceAlerts = byKey.getOrDefault("source:pbx-newyork", List.of());
            assertThat(kindsAndStatuses(sourceAlerts)).as("scripted PBX outage").containsExactly("SOURCE_DOWN FIRING", "SOURCE_DOWN RESOLVED");

            // PostgreSQL holds the same alert history and the certificates present at the end
            Set<String> delivered = received.stream().map(a -> a.get("alertId").asText() + " " + a.get("status").asText()).collect(Collectors.toSet());
            assertThat(new HashSet<>(alertHistory(stack.jdbcUrl()))).isEqualTo(delivered);
            Set<String> rows = certificateKeys(stack.jdbcUrl());
            Instant now = clock.instant();
            for (FleetCertificate c : scripted) {
                assertThat(rows.contains(c.key())).as(c.script() + " " + c.key() + " row present").isEqualTo(c.presentAt(now));
            }

            // the query API answers for the scripted expiring certificates, earliest first
            JsonNode soon = get(stack.queryApiUrl() + "/v1/certificates/expiring-soon?days=30");
            List<String> keys = new ArrayList<>();
            List<Long> daysLeft = new ArrayList<>();
            soon.path("items").forEach(i -> {
                keys.add(i.get("key").asText());
                daysLeft.add(i.get("daysLeft").asLong());
            });
            assertThat(daysLeft).isSorted();
            for (FleetCertificate c : scripted) {
                if (c.script() == Script.CROSSES_7D || c.script() == Script.CROSSES_14D || c.script() == Script.CROSSES_30D) {
                    assertThat(keys).as(c.script() + " " + c.key()).contains(c.key());
                }
            }
        }
    }

    /** The alerts one scripted certificate must have produced. */
    private static void checkScript(FleetCertificate c, List<JsonNode> alerts, Instant now) {
        String what = c.script() + " " + c.key() + " got " + kindsAndStatuses(alerts);
        List<String> expiring = alerts.stream().filter(a -> a.get("kind").asText().matches("EXPIRING|EXPIRED") && a.get("status").asText().equals("FIRING"))
                .map(a -> a.get("kind").asText().equals("EXPIRED") ? "expired" : a.get("threshold").asText()).toList();
        switch (c.script()) {
            case CROSSES_30D, CROSSES_14D, CROSSES_7D, CROSSES_1D -> {
                // the buckets the certificate passes through; the first one may be missed only if it was first seen late
                List<String> chain = bucketChain(c, now);
                assertThat(expiring).as(what).isNotEmpty();
                assertThat(chain.subList(chain.size() - expiring.size(), chain.size())).as(what).isEqualTo(expiring);
                assertThat(unresolved(alerts)).as(what).containsExactly(chain.get(chain.size() - 1).equals("expired") ? "EXPIRED" : "EXPIRING");
            }
            case EXPIRED -> assertThat(kindsAndStatuses(alerts)).as(what).containsExactly("EXPIRED FIRING");
            case NO_EXPIRY, UNPARSEABLE_EXPIRY -> assertThat(kindsAndStatuses(alerts)).as(what).containsExactly("EXPIRY_UNKNOWN FIRING");
            case RENEWAL_FAILS_THEN_SUCCEEDS -> {
                assertThat(kindsAndStatuses(alerts).stream().filter(s -> s.startsWith("RENEWAL_FAILED")).toList())
                        .as(what).containsExactly("RENEWAL_FAILED FIRING", "RENEWAL_FAILED RESOLVED");
                assertThat(unresolved(alerts)).as(what + ": renewed, nothing left firing").isEmpty();
            }
            case REMOVED -> assertThat(unresolved(alerts)).as(what + ": removed, nothing left firing").isEmpty();
            case REPLACED -> assertThat(unresolved(alerts)).as(what + ": replaced by a later expiry").isEmpty();
            default -> assertThat(expiring).as(what).doesNotContain("expired");
        }
    }

    /** The buckets a certificate has entered by {@code now}, in order. */
    private static List<String> bucketChain(FleetCertificate c, Instant now) {
        List<String> chain = new ArrayList<>();
        for (ScriptEvent e : c.events()) {
            if (e.at().isAfter(now)) {
                continue;
            }
            if (e.type() == ScriptEvent.Type.THRESHOLD_CROSSED) {
                chain.add(e.days() + "d");
            } else if (e.type() == ScriptEvent.Type.EXPIRED) {
                chain.add("expired");
            }
        }
        return chain;
    }

    private static List<String> kindsAndStatuses(List<JsonNode> alerts) {
        return alerts.stream().map(a -> a.get("kind").asText() + " " + a.get("status").asText()).toList();
    }

    /** Kinds of alerts that fired and were not resolved. */
    private static List<String> unresolved(List<JsonNode> alerts) {
        Map<String, String> last = new LinkedHashMap<>();
        alerts.forEach(a -> last.put(a.get("alertId").asText(), a.get("kind").asText() + " " + a.get("status").asText()));
        return last.values().stream().filter(s -> s.endsWith("FIRING")).map(s -> s.split(" ")[0]).toList();
    }

    private static List<String> alertHistory(String jdbcUrl) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT alert_id, status FROM alert_history")) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2));
            }
        }
        return out;
    }

    private static Set<String> certificateKeys(String jdbcUrl) throws Exception {
        Set<String> out = new HashSet<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT cert_key FROM certificates")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as(url + " -> " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
