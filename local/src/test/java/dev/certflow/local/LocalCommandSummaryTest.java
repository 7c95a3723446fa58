package dev.certflow.local;

import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.IngestMetrics;
import dev.certflow.testkit.MutableClock;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The console summary of {@code certflow local}, from meters in known states (the clock is injected). */
class LocalCommandSummaryTest {
    static final Instant START = Instant.parse("2026-11-22T10:00:00Z");

    @Test
    void aLongFirstPollShowsItsProgressAndASourceWithoutSuccessSaysNever() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        MutableClock clock = new MutableClock(START);
        IngestMetrics metrics = new IngestMetrics(registry, clock);
        metrics.register("smoxy-acme", () -> 0);
        metrics.register("pbx-berlin", () -> 0);
        metrics.register("lg-badtoken", () -> 0);

        // smoxy-acme: its first poll is still running and has read 250,000 certificates so far
        metrics.progress("smoxy-acme").add(250_000, 240_000, 0, 90_000);
        // pbx-berlin: one successful poll, 420 s ago
        metrics.progress("pbx-berlin").add(300, 300, 0, 0);
        metrics.poll("pbx-berlin", PollOutcome.SUCCESS, Duration.ofSeconds(2));
        // lg-badtoken: only failed polls
        metrics.poll("lg-badtoken", PollOutcome.FAILED, Duration.ofMillis(30));
        metrics.poll("lg-badtoken", PollOutcome.FAILED, Duration.ofMillis(30));
        clock.set(START.plusSeconds(420));

        String summary = LocalCommand.summary(registry, clock.instant(), START, null);

        assertThat(summary).contains("   smoxy-acme       polls ok 0    failed 0    certificates read 250000  last success never");
        assertThat(summary).contains("   pbx-berlin       polls ok 1    failed 0    certificates read 300     last success  420s ago");
        assertThat(summary).contains("   lg-badtoken      polls ok 0    failed 2    certificates read 0       last success never");
        assertThat(summary).endsWith("ingest 250300 certificates read (596/s)");
        assertThat(summary).startsWith("-- 2026-11-22T10:07:00Z\n");
    }

    @Test
    void tableSizesAndAlertsAreSummedFromTheStreamsMeters() {
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        Counter.builder("certflow.streams.alerts.fired").tag("kind", "EXPIRING").register(registry).increment(3);
        Counter.builder("certflow.streams.alerts.fired").tag("kind", "EXPIRED").register(registry).increment(2);
        Counter.builder("certflow.streams.alerts.resolved").tag("kind", "EXPIRING").register(registry).increment(1);
        Gauge.builder("certflow.streams.table.size", () -> 1200).tag("store", "certificate-store").strongReference(true).register(registry);

        String summary = LocalCommand.summary(registry, START.plusSeconds(10), START, "2026-12-01T00:00Z");

        assertThat(summary).startsWith("-- 2026-11-22T10:00:10Z (simulated 2026-12-01T00:00Z)\n");
        assertThat(summary).contains("   tables: certificate-store=1200\n");
        assertThat(summary).endsWith("alerts fired 5, resolved 1; ingest 0 certificates read (0/s)");
    }
}
