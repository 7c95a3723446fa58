package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.FailedRenewal;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * Takes each new certificate state: keeps it, tracks its generation (a new expiry is a renewal),
 * raises EXPIRY_UNKNOWN and RENEWAL_DRIFT, and hands the rest to {@link CertificateLifecycle}.
 * Owns the wall-clock tick, which re-evaluates only what the {@link TimeIndex} says is due, so one
 * tick costs O(certificates whose state changes).
 */
final class CertificateProcessor implements Processor<String, Certificate, String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateProcessor.class);

    private final CertificateLifecycle.Setup setup;
    private final Duration tickInterval;
    private final int maxPerTick;

    private ProcessorContext<String, Object> ctx;
    private CertificateLifecycle lifecycle;
    private KeyValueStore<String, Certificate> certificates;
    private KeyValueStore<String, Certificate> unknown;
    private KeyValueStore<String, Generation> generations;
    private KeyValueStore<String, FailedRenewal> failed;
    /** Whether this task's dashboard index was checked against {@link FleetIndex#LAYOUT} (once, at the first tick). */
    private boolean indexUpgraded;

    CertificateProcessor(CertificateLifecycle.Setup setup, Duration tickInterval, int maxPerTick) {
        this.setup = setup;
        this.tickInterval = tickInterval;
        this.maxPerTick = maxPerTick;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.ctx = context;
        lifecycle = setup.open(context);
        certificates = context.getStateStore(Names.CERTIFICATE_STORE);
        unknown = context.getStateStore(Names.UNKNOWN_EXPIRY_STORE);
        generations = context.getStateStore(Names.GENERATION_STORE);
        failed = context.getStateStore(Names.FAILED_STORE);
        context.schedule(tickInterval, PunctuationType.WALL_CLOCK_TIME, t -> tick(setup.now(ctx)));
    }

    @Override
    public void process(Record<String, Certificate> record) {
        String key = record.key();
        if (key == null) {
            throw new IllegalArgumentException("certificates record without a key");
        }
        long now = setup.now(ctx);
        Certificate c = record.value();
        if (c == null) {
            remove(key, now);
            return;
        }
        String valueKey = CertificateKeys.format(c.getKey());
        if (!valueKey.equals(key)) {
            throw new IllegalArgumentException("certificates record key '" + key + "' differs from field key '" + valueKey + "'");
        }
        if (c.getExpiryStatus() == ExpiryStatus.KNOWN && c.getNotAfter() == null) {
            throw new IllegalArgumentException("certificate '" + key + "' has expiryStatus KNOWN but no notAfter");
        }
        Certificate prev = certificates.get(key);
        certificates.put(key, c);
        if (prev == null || !java.util.Objects.equals(notAfter(prev), notAfter(c))) {
            lifecycle.history().expiry(key, notAfter(prev), notAfter(c), now);
        }
        lifecycle.time().reorder(key, notAfter(prev), notAfter(c));
        Alerts alerts = lifecycle.alerts();
        String unknownSlot = Alerts.slot(AlertKinds.UNKNOWN_SLOT, key);
        if (ExpiryRules.hasKnownExpiry(c)) {
            if (unknown.get(key) != null) {
                unknown.delete(key);
            }
            alerts.resolve(ctx, unknownSlot, now, "expiry now known");
        } else {
            unknown.put(key, c);
            // one alert per episode of unknown expiry; the episode starts with this status
            if (alerts.activeIn(unknownSlot) == null) {
                alerts.fire(ctx, unknownSlot, AlertKinds.expiryUnknown(key, c, now), now, "superseded");
            }
        }
        if (setup.policy().enabled()) {
            Generation g = generations.get(key);
            Generation next = Generation.observe(g, c);
            Long before = notAfter(prev);
            Long after = notAfter(c);
            if (before != null && after != null && after > before) {
                // a renewal of the same key: when it came against when the previous generation expected it
                RenewalPolicy.Plan was = setup.policy().plan(prev, g == null ? null : g.startAt(),
                        g == null ? prev.getObservedAt().toEpochMilli() : g.firstSeenAt());
                next = next.withRenewal(new Generation.Renewal(before, was.expectedAt(), next.issuedOrSeenAt()));
                drift(key, prev, c, now);
            }
            if (!next.equals(g)) {
                generations.put(key, next);
            }
        }
        lifecycle.publishNames(key, prev, c, now);
        lifecycle.evaluate(key, c, now);
        FailedRenewal f = failed.get(key);
        if (f != null && (!c.equals(f.getCertificate()) || !java.util.Objects.equals(f.getOwner(), Owners.of(lifecycle.owners(), c.getKey(), c)))) {
            // keep the failed-renewal row's certificate snapshot and owner current
            FailedRenewal refreshed = FailedRenewal.newBuilder(f).setCertificate(c).setOwner(Owners.of(lifecycle.owners(), c.getKey(), c)).build();
            failed.put(key, refreshed);
            ctx.forward(new Record<>(key, refreshed, now), Names.FAILED_SINK);
        }
    }

    /** A renewal of the same key: RENEWAL_DRIFT when the new certificate lost a name or changed issuer; else the last one resolves. */
    private void drift(String key, Certificate prev, Certificate c, long now) {
        List<String> dropped = dropped(DomainNames.of(prev), DomainNames.of(c));
        String oldIssuer = issuerChanged(prev.getIssuer(), c.getIssuer()) ? prev.getIssuer() : null;
        String slot = Alerts.slot(AlertKinds.DRIFT_SLOT, key);
        if (!dropped.isEmpty() || oldIssuer != null) {
            lifecycle.alerts().fire(ctx, slot, AlertKinds.drift(key, c, dropped, oldIssuer, c.getIssuer(), null,
                    c.getNotAfter().toEpochMilli(), now),
                    now, "renewed again");
        } else {
            lifecycle.alerts().resolve(ctx, slot, now, "renewed again, expiry " + c.getNotAfter() + ", with every name and the same issuer");
        }
    }

    /** The names of {@code before} that no name of {@code after} covers. */
    static List<String> dropped(List<String> before, List<String> after) {
        List<String> out = new ArrayList<>();
        for (String n : before) {
            if (!DomainNames.coversAll(after, List.of(n))) {
                out.add(n);
            }
        }
        return out;
    }

    static boolean issuerChanged(String before, String after) {
        return before != null && after != null && !before.trim().equalsIgnoreCase(after.trim());
    }

    private static Long notAfter(Certificate c) {
        return c != null && ExpiryRules.hasKnownExpiry(c) ? c.getNotAfter().toEpochMilli() : null;
    }

    private void remove(String key, long now) {
        Certificate prev = certificates.get(key);
        if (prev != null) {
            certificates.delete(key);
            lifecycle.time().reorder(key, notAfter(prev), null);
        }
        if (unknown.get(key) != null) {
            unknown.delete(key);
        }
        lifecycle.time().reschedule(key, ExpiryRules.NEVER);
        KeyValueStore<String, Object> expiring = ctx.getStateStore(Names.EXPIRING_STORE);
        if (expiring.get(key) != null) {
            expiring.delete(key);
            ctx.forward(new Record<>(key, null, now), Names.EXPIRING_SINK);
        }
        if (failed.get(key) != null) {
            failed.delete(key);
            ctx.forward(new Record<>(key, null, now), Names.FAILED_SINK);
        }
        KeyValueStore<String, Object> renewals = ctx.getStateStore(Names.RENEWAL_ROW_STORE);
        if (renewals.get(key) != null) {
            renewals.delete(key);
            ctx.forward(new Record<>(key, null, now), Names.RENEWALS_SINK);
        }
        for (String store : new String[]{Names.RENEWAL_STATE_STORE, Names.GENERATION_STORE, Names.MATCH_STORE}) {
            KeyValueStore<String, Object> s = ctx.getStateStore(store);
            if (s.get(key) != null) {
                s.delete(key);
            }
        }
        for (String slot : AlertKinds.SLOTS) {
            lifecycle.alerts().resolve(ctx, Alerts.slot(slot, key), now, "certificate removed", dev.certflow.events.AlertResolution.REMOVED);
        }
        lifecycle.publishNames(key, prev, null, now);
        lifecycle.fleet().update(key, null, null, null, false, now);
        lifecycle.history().remove(key);
    }

    /** The wall-clock tick: re-evaluates only the certificates whose next transition is due. */
    void tick(long now) {
        long start = System.nanoTime();
        if (!indexUpgraded) {
            long n = lifecycle.fleet().upgrade();
            indexUpgraded = true;
            if (n > 0) {
                LOG.info("Dashboard index of task {} brought up to layout {}: {} certificates", ctx.taskId(), FleetIndex.LAYOUT, n);
            }
        }
        TimeIndex.Due due = lifecycle.time().takeDue(now, maxPerTick);
        for (String key : due.keys()) {
            try {
                lifecycle.evaluate(key, now);
            } catch (RuntimeException e) {
                if (DeadLetterHandlers.infrastructure(e)) {
                    throw e; // store, producer or registry trouble: let Kafka Streams abort and retry the task
                }
                // one certificate the rules cannot evaluate must not stop every other transition;
                // it is re-evaluated when its next record arrives
                LOG.error("Expiry tick could not evaluate certificate {}: {}", key, e.getClass().getName());
                setup.metrics().deadLettered("punctuation");
            }
        }
        setup.metrics().tick(System.nanoTime() - start, due.keys().size());
    }
}
