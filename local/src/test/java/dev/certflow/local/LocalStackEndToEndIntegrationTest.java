package dev.certflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.simulator.FleetCertificate;
import dev.certflow.simulator.Script;
import dev.certflow.simulator.ScriptEvent;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The whole one-JVM stack against the scripted simulator with a fast clock: each scripted
 * certificate produces exactly the alerts its script implies (checked at a recording webhook
 * receiver), the PostgreSQL views hold the same alert history and the current certificates, and
 * the query API answers for them. It runs the old fixed thresholds, which the scripts' threshold
 * events are written in; the renewal policy has its own simulated-year test in streams.
 */
class LocalStackEndToEndIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Simulated time by which every scripted event has happened (the 1-day certificates expire at +1d3h). */
    private static final Duration SCRIPT_END = Duration.ofHours(29);

    private EndToEnd.Recorder recorder;
    private List<JsonNode> received;

    @BeforeEach
    void startReceiver() throws Exception {
        recorder = new EndToEnd.Recorder();
        received = recorder.received;
    }

    @AfterEach
    void stopReceiver() {
        recorder.close();
    }

    @Test
    void scriptedFleetProducesExactlyTheExpectedAlertsRowsAndAnswers() throws Exception {
        // the scripted fleet's CROSSES_30D/14D/7D/1D certificates are threshold crossings of the old fixed
        // thresholds, so this test runs them: 30, 14, 7, 1 days and no renewal policy (streams.renewal.enabled false)
        LocalStack.Options options = EndToEnd.options(recorder, 150, EndToEnd::fixedThresholds);

        try (LocalStack stack = LocalStack.start(options)) {
            // no sink.jdbcUrl configured: the stack started a PostgreSQL and handed the sink its URL
            assertThat(stack.postgres()).isNotNull();
            assertThat(stack.jdbcUrl()).isEqualTo(stack.postgres().jdbcUrl("postgres"));
            var clock = stack.simulator().clock();
            Instant end = clock.start().plus(SCRIPT_END);
            await().atMost(Duration.ofMinutes(4)).pollInterval(Duration.ofSeconds(1)).until(() -> clock.instant().isAfter(end));
            // the pipeline settles: every alert delivered and recorded in PostgreSQL, nothing new for a while
            EndToEnd.awaitDeliveredAndRecorded(stack, recorder);

            // kept for whoever reads a failure: every alert the receiver got
            java.nio.file.Files.writeString(java.nio.file.Path.of("target", "e2e-alerts.json"),
                    JSON.writerWithDefaultPrettyPrinter().writeValueAsString(received));
            List<FleetCertificate> scripted = stack.simulator().fleet().scenario();
            Map<String, List<JsonNode>> byKey = EndToEnd.byKey(received);

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
                    assertThat(EndToEnd.kindsAndStatuses(alerts)).as("background " + k).isSubsetOf("EXPIRING FIRING", "EXPIRING RESOLVED");
                    assertThat(alerts).as("background " + k).allSatisfy(a -> assertThat(a.get("threshold").asText()).isEqualTo("30d"));
                }
            });

            for (FleetCertificate c : scripted) {
                List<JsonNode> alerts = byKey.getOrDefault(c.key(), List.of());
                checkScript(c, alerts, clock.instant());
            }

            List<JsonNode> sourceAlerts = byKey.getOrDefault("source:pbx-newyork", List.of());
            assertThat(EndToEnd.kindsAndStatuses(sourceAlerts)).as("scripted PBX outage").containsExactly("SOURCE_DOWN FIRING", "SOURCE_DOWN RESOLVED");

            // PostgreSQL holds the same alert history and the certificates present at the end
            Set<String> delivered = received.stream().map(a -> a.get("alertId").asText() + " " + a.get("status").asText()).collect(Collectors.toSet());
            assertThat(new HashSet<>(EndToEnd.notifiedHistory(stack.jdbcUrl()))).isEqualTo(delivered);
            Set<String> rows = EndToEnd.certificateKeys(stack.jdbcUrl());
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

            // the dashboard is served at / of the same port, and its overview counts what the lists hold
            HttpResponse<String> page = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(stack.queryApiUrl() + "/")).build(),
                    HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            assertThat(page.statusCode()).isEqualTo(200);
            assertThat(page.body()).contains("<title>certflow: certificate fleet</title>");
            await().atMost(Duration.ofSeconds(30)).untilAsserted(() -> { // the fleet may still move between the two requests
                JsonNode summary = get(stack.queryApiUrl() + "/v1/summary");
                assertThat(summary.path("counts").path("total").asLong()).isPositive();
                assertThat(summary.path("counts").path("expiry-unknown").asLong())
                        .isEqualTo(get(stack.queryApiUrl() + "/v1/certificates/expiry-unknown").path("count").asLong());
            });
        }
    }

    /** The alerts one scripted certificate must have produced. */
    private static void checkScript(FleetCertificate c, List<JsonNode> alerts, Instant now) {
        String what = c.script() + " " + c.key() + " got " + EndToEnd.kindsAndStatuses(alerts);
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
            case EXPIRED -> assertThat(EndToEnd.kindsAndStatuses(alerts)).as(what).containsExactly("EXPIRED FIRING");
            case NO_EXPIRY, UNPARSEABLE_EXPIRY -> assertThat(EndToEnd.kindsAndStatuses(alerts)).as(what).containsExactly("EXPIRY_UNKNOWN FIRING");
            case RENEWAL_FAILS_THEN_SUCCEEDS -> {
                assertThat(EndToEnd.kindsAndStatuses(alerts).stream().filter(s -> s.startsWith("RENEWAL_FAILED")).toList())
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

    /**
     * Kinds of alerts that fired and were neither resolved nor escalated (a later step of the incident
     * names them in {@code escalatedFrom}; their RESOLVED is recorded, not notified).
     */
    private static List<String> unresolved(List<JsonNode> alerts) {
        Map<String, String> last = new LinkedHashMap<>();
        Set<String> escalated = new HashSet<>();
        alerts.forEach(a -> {
            last.put(a.get("alertId").asText(), a.get("kind").asText() + " " + a.get("status").asText());
            if (a.path("escalatedFrom").isTextual()) {
                escalated.add(a.get("escalatedFrom").asText());
            }
        });
        return last.entrySet().stream().filter(e -> e.getValue().endsWith("FIRING") && !escalated.contains(e.getKey()))
                .map(e -> e.getValue().split(" ")[0]).toList();
    }

    private static JsonNode get(String url) throws Exception {
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        assertThat(response.statusCode()).as(url + " -> " + response.body()).isEqualTo(200);
        return JSON.readTree(response.body());
    }
}
