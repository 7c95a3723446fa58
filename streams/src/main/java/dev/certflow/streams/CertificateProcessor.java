package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.Severity;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.PunctuationType;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Keeps the certificate state, the expiring table, EXPIRY_UNKNOWN and the expiry alerts. New input
 * is evaluated at once; the passing of time is handled by a wall-clock punctuator that scans the
 * time-ordered index only up to {@code now}, so one tick costs O(certificates whose bucket changes).
 */
final class CertificateProcessor implements Processor<String, Certificate, String, Object> {
    private static final Logger LOG = LoggerFactory.getLogger(CertificateProcessor.class);
    static final byte[] EMPTY = new byte[0];
    static final String EXPIRY_SLOT = "EXPIRY";
    static final String UNKNOWN_SLOT = "EXPIRY_UNKNOWN";
    static final String RENEWAL_SLOT = "RENEWAL_FAILED";

    private final ExpiryRules rules;
    private final Duration tickInterval;
    private final int maxPerTick;
    private final CertflowMetrics metrics;

    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, Certificate> certificates;
    private KeyValueStore<String, Long> schedule;
    private KeyValueStore<Bytes, byte[]> index;
    private KeyValueStore<Bytes, byte[]> expiryOrder;
    private KeyValueStore<String, ExpiringCertificate> expiring;
    private KeyValueStore<String, Certificate> unknown;
    private KeyValueStore<String, RenewalState> renewalStates;
    private KeyValueStore<String, FailedRenewal> failed;
    private Alerts alerts;
    /**
     * Everything before this instant has been handled by a tick of this task, so the next tick
     * starts its range scan here instead of at the beginning: it never walks over the deleted
     * entries of earlier ticks (RocksDB tombstones). In memory only; after a restart the first
     * tick starts from the beginning. Lowered when an entry is scheduled before it (clock skew).
     */
    private long scannedUpTo = Long.MIN_VALUE;

    CertificateProcessor(ExpiryRules rules, Duration tickInterval, int maxPerTick, CertflowMetrics metrics) {
        this.rules = rules;
        this.tickInterval = tickInterval;
        this.maxPerTick = maxPerTick;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        this.ctx = context;
        certificates = context.getStateStore(Names.CERTIFICATE_STORE);
        schedule = context.getStateStore(Names.SCHEDULE_STORE);
        index = context.getStateStore(Names.INDEX_STORE);
        expiryOrder = context.getStateStore(Names.EXPIRY_ORDER_STORE);
        expiring = context.getStateStore(Names.EXPIRING_STORE);
        unknown = context.getStateStore(Names.UNKNOWN_EXPIRY_STORE);
        renewalStates = context.getStateStore(Names.RENEWAL_STATE_STORE);
        failed = context.getStateStore(Names.FAILED_STORE);
        alerts = new Alerts(context.getStateStore(Names.CERTIFICATE_ALERT_STORE), metrics, Names.CERTIFICATE_ALERTS_SINK);
        context.schedule(tickInterval, PunctuationType.WALL_CLOCK_TIME, this::tick);
    }

    @Override
    public void process(Record<String, Certificate> record) {
        String key = record.key();
        if (key == null) {
            throw new IllegalArgumentException("certificates record without a key");
        }
        long now = ctx.currentSystemTimeMs();
        Certificate c = record.value();
        if (c == null) {
            remove(key, now);
            return;
        }
        String valueKey = CertificateKeys.format(c.getKey());
        if (!valueKey.equals(key)) {
            throw new IllegalArgumentException("certificates record key '" + key + "' differs from field key '" + valueKey + "'");
        }
        if (c.getExpiryStatus() == dev.certflow.events.ExpiryStatus.KNOWN && c.getNotAfter() == null) {
            throw new IllegalArgumentException("certificate '" + key + "' has expiryStatus KNOWN but no notAfter");
        }
        Certificate prev = certificates.get(key);
        certificates.put(key, c);
        reindexExpiryOrder(key, prev, c);
        if (ExpiryRules.hasKnownExpiry(c)) {
            if (unknown.get(key) != null) {
                unknown.delete(key);
            }
            alerts.resolve(ctx, Alerts.slot(UNKNOWN_SLOT, key), now, "expiry now known");
        } else {
            unknown.put(key, c);
            String raw = c.getNotAfterRaw() == null ? "" : ", source value '" + Alerts.abbreviate(c.getNotAfterRaw(), 64) + "'";
            String summary = "Certificate " + Alerts.displayName(c, c.getKey()) + " (" + key + ") has no usable expiry (" + c.getExpiryStatus() + raw + "); check it at the source";
            // one alert per episode of unknown expiry; the episode starts with this status
            Alert current = alerts.activeIn(Alerts.slot(UNKNOWN_SLOT, key));
            if (current == null) {
                alerts.fire(ctx, Alerts.slot(UNKNOWN_SLOT, key), Alerts.build(
                        Alerts.id(AlertKind.EXPIRY_UNKNOWN, key, Long.toString(c.getObservedAt().toEpochMilli())),
                        AlertKind.EXPIRY_UNKNOWN, Severity.WARNING, c.getExpiryStatus().name(), summary,
                        c.getKey(), c, now), now, "superseded");
            }
        }
        evaluate(key, c, now);
        FailedRenewal f = failed.get(key);
        if (f != null && !c.equals(f.getCertificate())) {
            // keep the failed-renewal row's certificate snapshot current
            FailedRenewal refreshed = FailedRenewal.newBuilder(f).setCertificate(c).build();
            failed.put(key, refreshed);
            ctx.forward(new Record<>(key, refreshed, now), Names.FAILED_SINK);
        }
    }

    /** Re-evaluates one certificate at {@code now}: table row, alerts, next scheduled transition. */
    private void evaluate(String key, Certificate c, long now) {
        ExpiryRules.Evaluation ev = rules.evaluate(c, now);
        ExpiringCertificate row = expiring.get(key);
        ExpiryRules.Bucket b = ev.bucket();
        if (b == null) {
            if (row != null) {
                expiring.delete(key);
                ctx.forward(new Record<>(key, null, now), Names.EXPIRING_SINK);
            }
            alerts.resolve(ctx, Alerts.slot(EXPIRY_SLOT, key), now,
                    ExpiryRules.hasKnownExpiry(c) ? "renewed, expiry " + c.getNotAfter() : "expiry no longer known");
        } else {
            boolean bucketChanged = row == null || !row.getBucket().equals(b.label())
                    || !Objects.equals(row.getCertificate().getNotAfter(), c.getNotAfter());
            if (bucketChanged || !row.getCertificate().equals(c)) {
                ExpiringCertificate next = ExpiringCertificate.newBuilder()
                        .setCertificate(c)
                        .setDaysLeft(ExpiryRules.daysLeft(c.getNotAfter().toEpochMilli(), now))
                        .setBucket(b.label())
                        .setThresholdDays(b.thresholdDays())
                        .setEvaluatedAt(Instant.ofEpochMilli(now))
                        .build();
                expiring.put(key, next);
                ctx.forward(new Record<>(key, next, now), Names.EXPIRING_SINK);
            }
            if (bucketChanged) {
                alerts.fire(ctx, Alerts.slot(EXPIRY_SLOT, key), expiryAlert(key, c, b, now), now, "moved to bucket " + b.label());
            }
        }
        reschedule(key, ev.nextTransition());
    }

    private Alert expiryAlert(String key, Certificate c, ExpiryRules.Bucket b, long now) {
        long notAfter = c.getNotAfter().toEpochMilli();
        AlertKind kind = b.expired() ? AlertKind.EXPIRED : AlertKind.EXPIRING;
        String name = Alerts.displayName(c, c.getKey());
        String summary = b.expired()
                ? "Certificate " + name + " (" + key + ") expired at " + c.getNotAfter() + "; replace it now"
                : "Certificate " + name + " (" + key + ") expires in " + ExpiryRules.daysLeft(notAfter, now)
                  + " days (" + c.getNotAfter() + ", threshold " + b.label() + "); renew it";
        // the episode is (bucket, notAfter): a renewal that changes notAfter starts new alerts
        return Alerts.build(Alerts.id(kind, key, b.label() + "@" + notAfter), kind, b.severity(), b.label(), summary,
                c.getKey(), c, now);
    }

    private void reschedule(String key, long next) {
        Long old = schedule.get(key);
        if (old != null && old == next) {
            return;
        }
        if (old != null) {
            index.delete(TimeIndex.key(old, key));
        }
        if (next == ExpiryRules.NEVER) {
            if (old != null) {
                schedule.delete(key);
            }
        } else {
            index.put(TimeIndex.key(next, key), EMPTY);
            schedule.put(key, next);
            if (next <= scannedUpTo) {
                scannedUpTo = next - 1;
            }
        }
    }

    private void reindexExpiryOrder(String key, Certificate prev, Certificate c) {
        Long before = prev != null && ExpiryRules.hasKnownExpiry(prev) ? prev.getNotAfter().toEpochMilli() : null;
        Long after = c != null && ExpiryRules.hasKnownExpiry(c) ? c.getNotAfter().toEpochMilli() : null;
        if (Objects.equals(before, after)) {
            return;
        }
        if (before != null) {
            expiryOrder.delete(TimeIndex.key(before, key));
        }
        if (after != null) {
            expiryOrder.put(TimeIndex.key(after, key), EMPTY);
        }
    }

    private void remove(String key, long now) {
        Certificate prev = certificates.get(key);
        if (prev != null) {
            certificates.delete(key);
            reindexExpiryOrder(key, prev, null);
        }
        if (unknown.get(key) != null) {
            unknown.delete(key);
        }
        reschedule(key, ExpiryRules.NEVER);
        if (expiring.get(key) != null) {
            expiring.delete(key);
            ctx.forward(new Record<>(key, null, now), Names.EXPIRING_SINK);
        }
        if (failed.get(key) != null) {
            failed.delete(key);
            ctx.forward(new Record<>(key, null, now), Names.FAILED_SINK);
        }
        if (renewalStates.get(key) != null) {
            renewalStates.delete(key);
        }
        alerts.resolve(ctx, Alerts.slot(EXPIRY_SLOT, key), now, "certificate removed");
        alerts.resolve(ctx, Alerts.slot(UNKNOWN_SLOT, key), now, "certificate removed");
        alerts.resolve(ctx, Alerts.slot(RENEWAL_SLOT, key), now, "certificate removed");
    }

    /** The wall-clock tick: re-evaluates only the certificates whose next transition is due. */
    void tick(long now) {
        long start = System.nanoTime();
        List<Bytes> due = new ArrayList<>();
        boolean truncated;
        Bytes from = scannedUpTo == Long.MIN_VALUE ? TimeIndex.first() : TimeIndex.from(scannedUpTo + 1);
        try (KeyValueIterator<Bytes, byte[]> it = index.range(from, TimeIndex.upTo(now))) {
            while (it.hasNext() && due.size() < maxPerTick) {
                KeyValue<Bytes, byte[]> e = it.next();
                due.add(e.key);
            }
            truncated = it.hasNext();
        }
        for (Bytes k : due) {
            String key = TimeIndex.certificateKey(k);
            index.delete(k);
            schedule.delete(key);
            Certificate c = certificates.get(key);
            if (c == null) {
                continue;
            }
            try {
                evaluate(key, c, now);
            } catch (StreamsException e) {
                throw e; // store or producer trouble: let Kafka Streams abort and retry the task
            } catch (RuntimeException e) {
                // one certificate the rules cannot evaluate must not stop every other transition;
                // it is re-evaluated when its next record arrives
                LOG.error("Expiry tick could not evaluate certificate {}: {}", key, e.getClass().getName());
                metrics.deadLettered("punctuation");
            }
        }
        if (!truncated) {
            scannedUpTo = Math.max(scannedUpTo, now);
        } // else: the rest is still due; the next tick scans from the same place

        metrics.tick(System.nanoTime() - start, due.size());
    }
}
