package dev.certflow.streams;

import dev.certflow.events.AlertKind;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.util.concurrent.TimeUnit;

/**
 * The application's own meters (Kafka Streams' metrics are bound separately):
 * {@code certflow.streams.alerts.fired} / {@code .resolved} (tag kind),
 * {@code certflow.streams.dead.letters} (tag stage), {@code certflow.streams.tick.duration},
 * {@code certflow.streams.tick.transitions}, each with a description (the Prometheus HELP text); what
 * restarts restore, {@code certflow.streams.restored.records} (tag store), is {@link RestoreMetrics}'.
 * Under exactly-once, a counter can count work of a transaction that later aborts and is redone;
 * the topics are exact, the counters are not.
 */
public final class CertflowMetrics {
    private final MeterRegistry registry;
    private final Timer tick;
    private final Counter transitions;
    private volatile long lastBusyTickNanos = -1;
    private volatile int lastBusyTickTransitions;

    public CertflowMetrics(MeterRegistry registry) {
        this.registry = registry == null ? new SimpleMeterRegistry() : registry;
        this.tick = Timer.builder("certflow.streams.tick.duration")
                .description("Time of one expiry punctuation").register(this.registry);
        this.transitions = Counter.builder("certflow.streams.tick.transitions")
                .description("Certificates re-evaluated by expiry punctuations").register(this.registry);
    }

    public MeterRegistry registry() {
        return registry;
    }

    void alertFired(AlertKind kind) {
        Counter.builder("certflow.streams.alerts.fired").description("Alerts fired (FIRING transitions written to certificate-alerts)")
                .tag("kind", kind.name()).register(registry).increment();
    }

    void alertResolved(AlertKind kind) {
        Counter.builder("certflow.streams.alerts.resolved").description("Alerts resolved (RESOLVED transitions written to certificate-alerts)")
                .tag("kind", kind.name()).register(registry).increment();
    }

    void deadLettered(String stage) {
        Counter.builder("certflow.streams.dead.letters").description("Input records sent to the dead-letter topic, or skipped by a tick, by stage")
                .tag("stage", stage).register(registry).increment();
    }

    void tick(long nanos, int changed) {
        tick.record(nanos, TimeUnit.NANOSECONDS);
        transitions.increment(changed);
        if (changed > 0) {
            lastBusyTickTransitions = changed;
            lastBusyTickNanos = nanos;
        }
    }

    /** Duration of the last tick that re-evaluated at least one certificate, in nanoseconds; -1 before any. */
    public long lastBusyTickNanos() {
        return lastBusyTickNanos;
    }

    /** Certificates re-evaluated by that tick. */
    public int lastBusyTickTransitions() {
        return lastBusyTickTransitions;
    }
}
