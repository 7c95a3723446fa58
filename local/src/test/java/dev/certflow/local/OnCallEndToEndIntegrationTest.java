package dev.certflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.simulator.SimClock;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * On-call through the whole one-JVM stack: an owner per source kind (Leegality, smoxy, Yeastar) and a
 * default owner, each with its own webhook; a silence over one owner's maintenance window written
 * through the query API; an acknowledgement; digests every six simulated hours. Checks that each
 * owner hears only its own alerts, nothing silenced is paged during the window (what still fires at
 * its end is paged once after it), the acknowledgement reaches the views, and each owner gets exactly
 * one digest per period.
 */
class OnCallEndToEndIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> TEAMS = List.of("signing", "web", "voice");
    private static final Map<String, String> TEAM_OF_KIND = Map.of("leegality", "signing", "smoxy", "web", "yeastar", "voice");
    private static final Duration MAINTENANCE = Duration.ofHours(8);
    private static final Duration RUN = Duration.ofHours(20);

    /** What one owner's webhook received, with the simulated instant it arrived at. */
    record Received(String path, JsonNode body, Instant at) {
    }

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private HttpServer server;
    private volatile SimClock clock;
    private EndToEnd.Recorder recorder;

    @BeforeEach
    void startReceivers() throws Exception {
        recorder = new EndToEnd.Recorder();
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
        server.createContext("/owner/", exchange -> {
            JsonNode body = JSON.readTree(exchange.getRequestBody());
            SimClock c = clock;
            received.add(new Received(exchange.getRequestURI().getPath(), body, c == null ? Instant.EPOCH : c.instant()));
            exchange.sendResponseHeaders(200, -1);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stopReceivers() {
        server.stop(0);
        recorder.close();
    }

    private String ownerUrl(String team) {
        return "http://127.0.0.1:" + server.getAddress().getPort() + "/owner/" + team;
    }

    @Test
    void ownersHearTheirOwnAlertsSilencesHoldPagesAcknowledgementsLandAndDigestsComeOncePerPeriod() throws Exception {
        LocalStack.Options options = EndToEnd.options(recorder, 150, root -> {
            EndToEnd.fixedThresholds(root);
            ObjectNode owners = root.putObject("owners");
            owners.put("default", "platform");
            ArrayNode teams = owners.putArray("teams");
            for (String team : List.of("signing", "web", "voice", "platform")) {
                ObjectNode t = teams.addObject().put("name", team);
                t.putObject("webhook").put("url", ownerUrl(team)).put("secret", "${E2E_WEBHOOK_SECRET}");
                t.putObject("digest").put("at", "00:00").put("every", "6h").put("sendEmpty", true);
            }
            ArrayNode rules = owners.putArray("rules");
            TEAM_OF_KIND.forEach((kind, team) -> rules.addObject().put("owner", team).putArray("sourceKinds").add(kind));
            ObjectNode networks = ((ObjectNode) root.get("sink")).putObject("ownerNetworks");
            dev.certflow.simulator.Simulator.LOOPBACK_NETWORKS.forEach(networks.putArray("allowedNetworks")::add);
        });

        try (LocalStack stack = LocalStack.start(options)) {
            clock = stack.simulator().clock();
            assertThat(stack.writeTokenFile()).as("the one-JVM stack made a write token").isNotNull();
            String token = Files.readString(stack.writeTokenFile()).trim();
            HttpClient http = HttpClient.newHttpClient();

            // voice's maintenance window, from now
            HttpResponse<String> created = post(http, stack.queryApiUrl() + "/v1/silences", token,
                    "{\"matchers\": [{\"name\": \"owner\", \"value\": \"voice\"}], \"duration\": \"" + MAINTENANCE.toHours() + "h\","
                            + " \"createdBy\": \"e2e\", \"comment\": \"PBX maintenance\"}");
            assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
            JsonNode silence = JSON.readTree(created.body());
            String silenceId = silence.get("silenceId").asText();
            Instant silenceStart = Instant.parse(silence.get("startsAt").asText());
            Instant silenceEnd = Instant.parse(silence.get("endsAt").asText());

            // an acknowledgement of one of web's firing alerts
            String[] acked = new String[1];
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(1)).untilAsserted(() -> {
                HttpResponse<String> alerts = http.send(HttpRequest.newBuilder(URI.create(stack.queryApiUrl() + "/v1/alerts?owner=web&size=20")).build(),
                        HttpResponse.BodyHandlers.ofString());
                JsonNode items = JSON.readTree(alerts.body()).path("items");
                assertThat(items.size()).as("web's firing alerts").isPositive();
                String id = items.get(0).get("alertId").asText();
                HttpResponse<String> ack = post(http, stack.queryApiUrl() + "/v1/alerts/" + id + "/ack", token,
                        "{\"acknowledgedBy\": \"e2e\", \"comment\": \"on it\"}");
                assertThat(ack.statusCode()).as(ack.body()).isEqualTo(201);
                acked[0] = id;
            });

            Instant end = clock.start().plus(RUN);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> clock.instant().isAfter(end));
            // settled: nothing new at the receivers or in alert_history for two polls in a row (silenced
            // transitions are recorded but never sent, so the counts are not compared with each other)
            int[] last = {-1, -1};
            await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(4)).until(() -> {
                int[] now = {received.size() + recorder.received.size(), EndToEnd.alertHistory(stack.jdbcUrl()).size()};
                boolean same = now[0] == last[0] && now[1] == last[1];
                last[0] = now[0];
                last[1] = now[1];
                return same && now[1] > 0;
            });
            Files.writeString(java.nio.file.Path.of("target", "e2e-oncall.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(received.stream().map(r -> Map.of("path", r.path(),
                            "at", r.at().toString(), "body", r.body())).toList()));

            List<Received> alerts = received.stream().filter(r -> r.body().has("alertId")).toList();
            List<Received> digests = received.stream().filter(r -> r.body().has("digestId")).toList();

            // pages: each owner hears only its own alerts, and every owner hears some
            for (Received r : alerts) {
                assertThat(r.path()).as(r.body().toString()).isEqualTo("/owner/" + r.body().path("owner").asText("platform"));
            }
            for (String team : TEAMS) {
                assertThat(alerts).as(team + "'s pages").anyMatch(r -> r.path().equals("/owner/" + team));
            }
            // every owned FIRING the global channel got (the stack's own record of what fired) reached its owner once,
            // unless its owner was silenced or acknowledged
            Map<String, Long> pagesPerTransition = alerts.stream().collect(Collectors.groupingBy(
                    r -> r.body().get("alertId").asText() + " " + r.body().get("status").asText(), Collectors.counting()));
            assertThat(pagesPerTransition).as("each transition paged at most once per owner channel").allSatisfy((k, n) -> assertThat(n).as(k).isEqualTo(1L));

            // the silence: nothing of voice's that fired inside the window was paged before it ended
            List<Received> voice = alerts.stream().filter(r -> r.path().equals("/owner/voice")).toList();
            for (Received r : voice) {
                Instant fired = Instant.parse(r.body().get("firedAt").asText());
                if (!fired.isBefore(silenceStart) && fired.isBefore(silenceEnd)) {
                    assertThat(r.at()).as("voice's " + r.body().get("alertId").asText() + " paged during the silence").isAfterOrEqualTo(silenceEnd);
                }
            }
            Map<String, String> decisions = decisions(stack.jdbcUrl());
            Set<String> heldByTheSilence = decisions.entrySet().stream().filter(e -> silenceId.equals(e.getValue())).map(Map.Entry::getKey)
                    .collect(Collectors.toSet());
            assertThat(heldByTheSilence).as("alert_history rows the silence held").isNotEmpty();
            // what fired and resolved inside the window was never paged to voice
            Set<String> pagedToVoice = voice.stream().map(r -> r.body().get("alertId").asText()).collect(Collectors.toSet());
            for (String alertId : resolvedInside(stack.jdbcUrl(), silenceId, silenceEnd)) {
                assertThat(pagedToVoice).as(alertId + " fired and resolved inside the silence").doesNotContain(alertId);
            }

            // the acknowledgement reached the views
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> assertThat(acknowledged(stack.jdbcUrl())).contains(acked[0]));

            // digests: one per owner and period, each period boundary at 00, 06, 12, 18 UTC
            Map<String, List<String>> periodsByOwner = new HashMap<>();
            for (Received d : digests) {
                String owner = d.body().get("owner").asText();
                assertThat(d.path()).isEqualTo("/owner/" + owner);
                periodsByOwner.computeIfAbsent(owner, o -> new java.util.ArrayList<>()).add(d.body().get("periodStart").asText());
            }
            assertThat(periodsByOwner.keySet()).as("owners with digests").containsExactlyInAnyOrder("signing", "web", "voice", "platform");
            periodsByOwner.forEach((owner, periods) -> {
                assertThat(periods).as(owner + "'s digest periods").doesNotHaveDuplicates().hasSizeGreaterThanOrEqualTo(2);
                assertThat(periods).allSatisfy(p -> assertThat(Instant.parse(p).atZone(java.time.ZoneOffset.UTC).getHour() % 6).isZero());
            });
        }
    }

    private static HttpResponse<String> post(HttpClient http, String url, String token, String body) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(url)).header("Authorization", "Bearer " + token)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
    }

    /** alert_history: "alert_id status" -> silenced_by, for every row. */
    private static Map<String, String> decisions(String jdbcUrl) throws Exception {
        Map<String, String> out = new HashMap<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT alert_id, status, silenced_by FROM alert_history")) {
            while (rs.next()) {
                out.put(rs.getString(1) + " " + rs.getString(2), rs.getString(3) == null ? "" : rs.getString(3));
            }
        }
        return out;
    }

    /** Alerts the silence held whose RESOLVED came before it ended. */
    private static List<String> resolvedInside(String jdbcUrl, String silenceId, Instant silenceEnd) throws Exception {
        List<String> out = new java.util.ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres");
             var ps = c.prepareStatement("SELECT f.alert_id FROM alert_history f JOIN alert_history r ON r.alert_id = f.alert_id AND r.status = 'RESOLVED'"
                     + " WHERE f.status = 'FIRING' AND f.silenced_by = ? AND r.resolved_at < ?")) {
            ps.setString(1, silenceId);
            ps.setTimestamp(2, java.sql.Timestamp.from(silenceEnd));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.add(rs.getString(1));
                }
            }
        }
        return out;
    }

    private static Set<String> acknowledged(String jdbcUrl) throws Exception {
        Set<String> out = new java.util.HashSet<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT alert_id FROM alert_history WHERE acknowledged")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
