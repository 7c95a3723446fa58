package dev.certflow.simulator;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.time.Instant;
import java.util.Iterator;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;

/** JDK HttpClient helpers for the simulator tests. */
final class TestHttp {
    static final ObjectMapper MAPPER = new ObjectMapper();
    static final Instant START = Instant.parse("2026-03-01T08:00:00Z");
    private static final HttpClient CLIENT = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private TestHttp() {
    }

    /** A clock whose real time only moves when the test says so. */
    static final class ManualTicker {
        final AtomicLong nanos = new AtomicLong();

        SimClock clock(double speed) {
            return new SimClock(START, speed, nanos::get);
        }

        void advanceReal(Duration d) {
            nanos.addAndGet(d.toNanos());
        }
    }

    /** The renewal year's simulator on a clock that moves only when the test jumps it. */
    static Simulator year(int size) throws IOException {
        return Simulator.start(new SimulatorOptions().clock(new ManualTicker().clock(1)).size(size).profile(Profile.YEAR));
    }

    /** The scripted certificate of a source with this script. */
    static FleetCertificate scripted(Fleet fleet, String sourceName, Script script) {
        return fleet.scenario().stream().filter(c -> c.sourceName().equals(sourceName) && c.script() == script)
                .findFirst().orElseThrow();
    }

    record Response(int status, HttpResponse<String> raw, JsonNode json) {
        String header(String name) {
            return raw.headers().firstValue(name).orElse(null);
        }
    }

    static Response get(String url, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30)).GET();
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    static Response post(String url, String body, String... headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(30))
                .POST(HttpRequest.BodyPublishers.ofString(body)).header("Content-Type", "application/json");
        for (int i = 0; i < headers.length; i += 2) {
            b.header(headers[i], headers[i + 1]);
        }
        return send(b.build());
    }

    static Response send(HttpRequest request) {
        try {
            HttpResponse<String> r = CLIENT.send(request, HttpResponse.BodyHandlers.ofString());
            JsonNode json = null;
            String ct = r.headers().firstValue("Content-Type").orElse("");
            if (ct.contains("json")) {
                json = MAPPER.readTree(r.body());
            }
            return new Response(r.statusCode(), r, json);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static JsonNode sample(String name) {
        try (InputStream in = TestHttp.class.getResourceAsStream("/seeds/" + name)) {
            return MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Set<String> fields(JsonNode node) {
        Set<String> names = new TreeSet<>();
        for (Iterator<String> it = node.fieldNames(); it.hasNext(); ) {
            names.add(it.next());
        }
        return names;
    }
}
