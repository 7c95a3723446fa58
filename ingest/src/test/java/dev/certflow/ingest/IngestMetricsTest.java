package dev.certflow.ingest;

import dev.certflow.events.PollOutcome;
import dev.certflow.runtime.ops.OpsServer;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

class IngestMetricsTest {
    @Test
    void everyIngestMeterIsScrapedWithAHelpText() {
        PrometheusMeterRegistry registry = OpsServer.newRegistry();
        IngestMetrics metrics = new IngestMetrics(registry, Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));
        metrics.register("smoxy-acme", () -> 3);
        metrics.progress("smoxy-acme").add(3, 2, 1, 4);
        metrics.poll("smoxy-acme", PollOutcome.SUCCESS, Duration.ofMillis(20));
        metrics.error("smoxy-acme", "timeout");
        metrics.itemError("smoxy-acme", "expiresAt", "bad");
        String scrape = registry.scrape();

        Matcher types = Pattern.compile("(?m)^# TYPE (certflow_ingest_\\w+) ").matcher(scrape);
        List<String> families = types.results().map(m -> m.group(1)).toList();
        assertThat(families).contains("certflow_ingest_certificates_seen_total", "certflow_ingest_certificates_changed_total",
                "certflow_ingest_certificates_removed_total", "certflow_ingest_attempts_published_total", "certflow_ingest_polls_total",
                "certflow_ingest_errors_total", "certflow_ingest_poll_duration_seconds", "certflow_ingest_last_success_age_seconds",
                "certflow_ingest_certificates_known");
        for (String family : families) {
            assertThat(scrape).as("HELP of " + family).containsPattern("(?m)^# HELP " + family + " \\S.*$");
        }
    }
}
