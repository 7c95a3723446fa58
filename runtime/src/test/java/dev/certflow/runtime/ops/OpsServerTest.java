package dev.certflow.runtime.ops;

import org.junit.jupiter.api.Test;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.atomic.AtomicBoolean;

import static org.assertj.core.api.Assertions.assertThat;

class OpsServerTest {
    private final HttpClient http = HttpClient.newHttpClient();

    private HttpResponse<String> get(OpsServer ops, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create(ops.url() + path)).build(), HttpResponse.BodyHandlers.ofString());
    }

    @Test
    void servesHealthReadinessAndPrometheusMetrics() throws Exception {
        AtomicBoolean ready = new AtomicBoolean(false);
        try (OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry())) {
            ops.addHealthCheck("worker", () -> true);
            ops.addReadyCheck("kafka", ready::get);
            ops.registry().counter("certflow_test_events").increment(3);

            assertThat(get(ops, "/health").statusCode()).isEqualTo(200);
            HttpResponse<String> notReady = get(ops, "/ready");
            assertThat(notReady.statusCode()).isEqualTo(503);
            assertThat(notReady.body()).contains("\"kafka\":\"DOWN\"");
            ready.set(true);
            assertThat(get(ops, "/ready").statusCode()).isEqualTo(200);

            HttpResponse<String> metrics = get(ops, "/metrics");
            assertThat(metrics.statusCode()).isEqualTo(200);
            assertThat(metrics.body()).contains("certflow_test_events_total 3.0").contains("jvm_memory_used_bytes");
        }
    }

    @Test
    void aThrowingCheckCountsAsDown() throws Exception {
        try (OpsServer ops = OpsServer.start("127.0.0.1", 0, OpsServer.newRegistry())) {
            ops.addHealthCheck("broken", () -> {
                throw new IllegalStateException("boom");
            });
            assertThat(get(ops, "/health").statusCode()).isEqualTo(503);
        }
    }
}
