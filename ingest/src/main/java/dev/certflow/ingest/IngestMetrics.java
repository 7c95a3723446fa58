package dev.certflow.ingest;

import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.publish.Publisher;
import dev.certflow.ingest.source.ItemCounter;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.IntSupplier;

/**
 * Per-source meters, all tagged {@code source}:
 * {@code certflow_ingest_polls_total{outcome}}, {@code certflow_ingest_poll_duration_seconds},
 * {@code certflow_ingest_certificates_seen_total}, {@code ..._changed_total}, {@code ..._removed_total},
 * {@code certflow_ingest_attempts_published_total} (these four move during a poll, see {@link #progress}),
 * {@code certflow_ingest_errors_total{kind}},
 * {@code certflow_ingest_last_success_age_seconds} (since start until the first success) and
 * {@code certflow_ingest_certificates_known}.
 */
public final class IngestMetrics implements ItemCounter {
    private final MeterRegistry registry;
    private final Clock clock;
    private final Map<String, AtomicReference<Instant>> lastSuccess = new ConcurrentHashMap<>();

    public IngestMetrics(MeterRegistry registry, Clock clock) {
        this.registry = registry;
        this.clock = clock;
    }

    /** Registers the gauges and counters of one source, so each is scraped (with its HELP) from the start. */
    public void register(String source, IntSupplier known) {
        AtomicReference<Instant> ref = lastSuccess.computeIfAbsent(source, s -> new AtomicReference<>(clock.instant()));
        Gauge.builder("certflow.ingest.last.success.age", ref, r -> Duration.between(r.get(), clock.instant()).toMillis() / 1000.0)
                .description("Seconds since the source's last successful (or partial) poll; since start before the first one")
                .baseUnit("seconds").tag("source", source).strongReference(true).register(registry);
        Gauge.builder("certflow.ingest.certificates.known", known, k -> k.getAsInt())
                .description("Certificates ingest currently holds for the source").tag("source", source).strongReference(true).register(registry);
        progress(source); // the counters exist (at 0, with their HELP) before the first poll
    }

    /** The counters a poll moves while it runs (see {@link Publisher.Progress}). */
    public Publisher.Progress progress(String source) {
        Counter seen = counter("certflow.ingest.certificates.seen", "Certificates read from the source, counted per page as a poll reads them", source);
        Counter changed = counter("certflow.ingest.certificates.changed",
                "Certificates published because they are new or changed, counted per committed transaction", source);
        Counter removed = counter("certflow.ingest.certificates.removed",
                "Tombstones published for certificates a complete listing no longer has", source);
        Counter attempts = counter("certflow.ingest.attempts.published", "Renewal attempts published, counted per committed transaction", source);
        return (s, c, r, a) -> {
            add(seen, s);
            add(changed, c);
            add(removed, r);
            add(attempts, a);
        };
    }

    /** A poll ended (its certificate and attempt counts were already reported through {@link #progress}). */
    public void poll(String source, PollOutcome outcome, Duration took) {
        Counter.builder("certflow.ingest.polls").description("Polls by outcome").tag("source", source)
                .tag("outcome", outcome.name().toLowerCase(Locale.ROOT)).register(registry).increment();
        Timer.builder("certflow.ingest.poll.duration").description("Duration of one poll").tag("source", source)
                .register(registry).record(took);
        if (outcome != PollOutcome.FAILED) {
            lastSuccess.computeIfAbsent(source, s -> new AtomicReference<>()).set(clock.instant());
        }
    }

    public void error(String source, String kind) {
        Counter.builder("certflow.ingest.errors").description("Errors by kind (poll failures and bad items)")
                .tag("source", source).tag("kind", kind).register(registry).increment();
    }

    private Counter counter(String name, String description, String source) {
        return Counter.builder(name).description(description).tag("source", source).register(registry);
    }

    private static void add(Counter c, int n) {
        if (n > 0) {
            c.increment(n);
        }
    }

    @Override
    public void itemError(String source, String field, String message) {
        error(source, "bad_item");
    }

    @Override
    public void itemWarning(String source, String field) {
        error(source, "unparseable_" + field.toLowerCase(Locale.ROOT));
    }
}
