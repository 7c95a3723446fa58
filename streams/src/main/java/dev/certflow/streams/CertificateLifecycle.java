package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateName;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.RenewalStatus;
import dev.certflow.runtime.owners.OwnerRules;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.LongSupplier;

/**
 * One certificate's state at an instant, and what follows from it: its expiring-table row, its
 * expiry, overdue and not-deployed alerts, its next transition in the {@link TimeIndex}, and its
 * entries in the name index. Shared by every processor of the certificate's task (a new
 * certificate, an attempt, a name match and the tick all end in {@link #evaluate}).
 */
final class CertificateLifecycle {
    /**
     * What every processor of a certificate's task needs to open its lifecycle in {@code init}.
     *
     * @param clock "now" in epoch milliseconds, or null for Kafka Streams' own wall clock (the punctuator's)
     */
    record Setup(ExpiryRules rules, RenewalPolicy policy, CertflowMetrics metrics, LongSupplier clock, OwnerRules owners) {
        CertificateLifecycle open(ProcessorContext<String, Object> ctx) {
            return new CertificateLifecycle(ctx, rules, policy, metrics, owners);
        }

        /** The instant a record or a tick is evaluated at. */
        long now(ProcessorContext<?, ?> ctx) {
            return clock == null ? ctx.currentSystemTimeMs() : clock.getAsLong();
        }
    }

    private final ProcessorContext<String, Object> ctx;
    private final ExpiryRules rules;
    private final RenewalPolicy policy;
    private final TimeIndex time;
    private final Alerts alerts;
    private final KeyValueStore<String, Certificate> certificates;
    private final KeyValueStore<String, Generation> generations;
    private final KeyValueStore<String, CertificateNameMatch> matches;
    private final KeyValueStore<String, ExpiringCertificate> expiring;
    private final KeyValueStore<String, dev.certflow.events.FailedRenewal> failed;
    private final FleetIndex fleet;
    private final CertificateHistory history;
    private final KeyValueStore<String, CertificateRenewal> renewals;
    private final OwnerRules owners;

    CertificateLifecycle(ProcessorContext<String, Object> ctx, ExpiryRules rules, RenewalPolicy policy, CertflowMetrics metrics,
                         OwnerRules owners) {
        this.ctx = ctx;
        this.owners = owners;
        this.rules = rules;
        this.policy = policy;
        this.time = new TimeIndex(ctx);
        this.fleet = new FleetIndex(ctx, owners);
        this.history = new CertificateHistory(ctx);
        this.alerts = new Alerts(ctx.getStateStore(Names.CERTIFICATE_ALERT_STORE), metrics, Names.CERTIFICATE_ALERTS_SINK, owners, (a, at) -> {
            history.alert(a, at);
            fleet.alerts(a.getKind(), a.getStatus() == dev.certflow.events.AlertStatus.FIRING ? 1 : -1);
        });
        this.certificates = ctx.getStateStore(Names.CERTIFICATE_STORE);
        this.generations = ctx.getStateStore(Names.GENERATION_STORE);
        this.matches = ctx.getStateStore(Names.MATCH_STORE);
        this.expiring = ctx.getStateStore(Names.EXPIRING_STORE);
        this.failed = ctx.getStateStore(Names.FAILED_STORE);
        this.renewals = ctx.getStateStore(Names.RENEWAL_ROW_STORE);
    }

    FleetIndex fleet() {
        return fleet;
    }

    CertificateHistory history() {
        return history;
    }

    TimeIndex time() {
        return time;
    }

    Alerts alerts() {
        return alerts;
    }

    RenewalPolicy policy() {
        return policy;
    }

    OwnerRules owners() {
        return owners;
    }

    /** Re-evaluates one certificate at {@code now}: table row, alerts, next scheduled transition. */
    void evaluate(String key, long now) {
        Certificate c = certificates.get(key);
        if (c != null) {
            evaluate(key, c, now);
        }
    }

    /** As {@link #evaluate(String, long)} with the certificate just stored for {@code key} (no store read and decode). */
    void evaluate(String key, Certificate c, long now) {
        boolean known = ExpiryRules.hasKnownExpiry(c);
        ExpiryRules.Evaluation ev = rules.evaluate(c, now);
        ExpiryRules.Bucket bucket = ev.bucket();
        long next = ev.nextTransition();
        RenewalStatus status = RenewalStatus.UNKNOWN;
        RenewalPolicy.Plan plan = null;
        String replacedBy = null;
        String renewedReason = !policy.enabled() ? "renewal policy disabled"
                : known ? "renewed, expiry " + c.getNotAfter() : "expiry no longer known";
        CertificateNameMatch m = null;
        Generation g = null;
        boolean superseded = false;
        if (policy.enabled() && known) {
            m = matches.get(key);
            g = generations.get(key);
            RenewalPolicy.Assessment a = policy.assess(c, g, m, now);
            plan = a.plan();
            status = a.status();
            replacedBy = a.replacedBy();
            renewedReason = a.renewedReason();
            superseded = a.superseded();
            if (superseded) {
                // the floors stop while a valid replacement covers every name; they resume when it expires
                bucket = null;
                next = Math.min(next, a.supersededUntil());
            }
            next = Math.min(next, after(now, plan.expectedAt()));
            next = Math.min(next, after(now, plan.overdueAt()));
            if (m != null && m.getNewerHolder() != null) {
                next = Math.min(next, after(now, m.getNewerHolderNotAfter().toEpochMilli()));
                next = Math.min(next, after(now, deployGraceEnds(m)));
            }
        }
        updateRow(key, c, bucket, status, plan, replacedBy, now);
        if (policy.enabled()) {
            publishRenewal(key, c, status, plan, replacedBy, known ? g : generations.get(key), now);
        }

        String expirySlot = Alerts.slot(AlertKinds.EXPIRY_SLOT, key);
        if (bucket != null) {
            alerts.fire(ctx, expirySlot, AlertKinds.expiry(key, c, bucket, now), now, "moved to bucket " + bucket.label(),
                    Alerts.slot(AlertKinds.OVERDUE_SLOT, key));
        } else {
            alerts.resolve(ctx, expirySlot, now, superseded ? renewedReason : known ? "renewed, expiry " + c.getNotAfter() : "expiry no longer known");
        }
        String overdueSlot = Alerts.slot(AlertKinds.OVERDUE_SLOT, key);
        if (status == RenewalStatus.OVERDUE) {
            alerts.fire(ctx, overdueSlot, AlertKinds.renewalOverdue(key, c, plan, now), now, "superseded", expirySlot);
        } else {
            alerts.resolve(ctx, overdueSlot, now, renewedReason);
        }
        notDeployed(key, c, plan, status, m, now);
        time.reschedule(key, next);
        fleet.update(key, c, bucket == null ? null : bucket.label(), status, failed.get(key) != null, now);
    }

    private void notDeployed(String key, Certificate c, RenewalPolicy.Plan plan, RenewalStatus status, CertificateNameMatch m, long now) {
        String slot = Alerts.slot(AlertKinds.NOT_DEPLOYED_SLOT, key);
        boolean inWindow = status == RenewalStatus.DUE || status == RenewalStatus.OVERDUE;
        if (plan != null && plan.mode() == RenewalPolicy.Mode.MANUAL && inWindow && m != null && m.getNewerHolder() != null) {
            long holderNotAfter = m.getNewerHolderNotAfter().toEpochMilli();
            if (holderNotAfter > c.getNotAfter().toEpochMilli() && holderNotAfter > now && now >= deployGraceEnds(m)) {
                alerts.fire(ctx, slot, AlertKinds.renewedNotDeployed(key, c, m.getNewerHolder(), holderNotAfter, now), now,
                        "a newer certificate for the same names appeared");
                return;
            }
        }
        Alert active = alerts.activeIn(slot);
        if (active != null) {
            Certificate then = active.getCertificate();
            boolean updated = then != null && !Objects.equals(then.getNotAfter(), c.getNotAfter());
            alerts.resolve(ctx, slot, now, updated ? "holder updated, expiry now " + c.getNotAfter()
                    : status == RenewalStatus.RENEWED ? "holder renewed" : "no newer certificate for the same names elsewhere any more");
        }
    }

    /** When the newer holder has been held long enough for a copy not updated since to count as not deployed. */
    private long deployGraceEnds(CertificateNameMatch m) {
        long seen = m.getNewerHolderSeenAt() == null ? Long.MIN_VALUE / 2 : m.getNewerHolderSeenAt().toEpochMilli();
        return seen + policy.deployGrace();
    }

    private void updateRow(String key, Certificate c, ExpiryRules.Bucket bucket, RenewalStatus status, RenewalPolicy.Plan plan,
                           String replacedBy, long now) {
        ExpiringCertificate row = expiring.get(key);
        boolean inWindow = status == RenewalStatus.DUE || status == RenewalStatus.OVERDUE;
        if (bucket == null && !inWindow) {
            if (row != null) {
                expiring.delete(key);
                ctx.forward(new Record<>(key, null, now), Names.EXPIRING_SINK);
            }
            return;
        }
        String label = bucket != null ? bucket.label() : status == RenewalStatus.DUE ? "renewal-due" : "renewal-overdue";
        Instant expected = plan == null ? null : Instant.ofEpochMilli(plan.expectedAt());
        Instant overdue = plan == null ? null : Instant.ofEpochMilli(plan.overdueAt());
        String policyLabel = plan == null ? null : plan.label();
        String owner = Owners.of(owners, c.getKey(), c);
        if (row != null && Objects.equals(row.getOwner(), owner) && row.getBucket().equals(label) && row.getCertificate().equals(c) && row.getRenewalStatus() == status
                && Objects.equals(row.getExpectedRenewalAt(), expected) && Objects.equals(row.getRenewalPolicy(), policyLabel)
                && Objects.equals(row.getReplacedBy(), replacedBy)) {
            return;
        }
        ExpiringCertificate next = ExpiringCertificate.newBuilder()
                .setCertificate(c)
                .setDaysLeft(ExpiryRules.daysLeft(c.getNotAfter().toEpochMilli(), now))
                .setBucket(label)
                .setThresholdDays(bucket == null ? null : bucket.thresholdDays())
                .setEvaluatedAt(Instant.ofEpochMilli(now))
                .setRenewalStatus(status)
                .setExpectedRenewalAt(expected)
                .setRenewalOverdueAt(overdue)
                .setRenewalPolicy(policyLabel)
                .setReplacedBy(replacedBy)
                .setOwner(owner)
                .build();
        expiring.put(key, next);
        ctx.forward(new Record<>(key, next, now), Names.EXPIRING_SINK);
    }

    /**
     * Writes the certificate's renewal state to {@code certificate-renewals} when it changed: every
     * certificate has one, not only those in the expiring table. The latest renewal is this generation's
     * own while RENEWED (an attempt issued a later expiry, or a newer certificate superseded it), else the
     * one that started this generation.
     */
    private void publishRenewal(String key, Certificate c, RenewalStatus status, RenewalPolicy.Plan plan, String replacedBy,
                                Generation g, long now) {
        CertificateRenewal last = renewals.get(key);
        Long renewedAt = null;
        Long renewedOf = null;
        Long renewedExpected = null;
        if (status == RenewalStatus.RENEWED) {
            renewedOf = c.getNotAfter().toEpochMilli();
            renewedExpected = plan.expectedAt();
            if (g != null && g.renewalObserved() && replacedBy.equals(g.issuedBy())) {
                renewedAt = g.issuedAt();
            } else if (last != null && last.getRenewalStatus() == RenewalStatus.RENEWED && replacedBy.equals(last.getReplacedBy())
                    && c.getNotAfter().equals(last.getNotAfter()) && last.getLastRenewedAt() != null) {
                renewedAt = last.getLastRenewedAt().toEpochMilli();
            } else {
                renewedAt = now; // superseded: seen now
            }
        } else if (g != null && g.renewal() != null) {
            renewedOf = g.renewal().ofNotAfter();
            renewedExpected = g.renewal().expectedAt();
            renewedAt = g.renewal().at();
        }
        boolean known = plan != null;
        CertificateRenewal next = CertificateRenewal.newBuilder()
                .setCertificateKey(c.getKey())
                .setNotAfter(known ? c.getNotAfter() : null)
                .setRenewalStatus(status)
                .setRenewalMode(known ? plan.mode().name().toLowerCase(Locale.ROOT) : null)
                .setExpectedRenewalAt(known ? Instant.ofEpochMilli(plan.expectedAt()) : null)
                .setRenewalOverdueAt(known ? Instant.ofEpochMilli(plan.overdueAt()) : null)
                .setRenewalPolicy(known ? plan.label() : null)
                .setReplacedBy(replacedBy)
                .setIssuedAt(known && g != null && g.startAt() != null ? Instant.ofEpochMilli(g.startAt()) : null)
                .setLastRenewedAt(renewedAt == null ? null : Instant.ofEpochMilli(renewedAt))
                .setLastRenewalOfNotAfter(renewedOf == null ? null : Instant.ofEpochMilli(renewedOf))
                .setLastRenewalExpectedAt(renewedExpected == null ? null : Instant.ofEpochMilli(renewedExpected))
                .setOwner(Owners.of(owners, c.getKey(), c))
                .setEvaluatedAt(last == null ? Instant.ofEpochMilli(now) : last.getEvaluatedAt())
                .build();
        if (next.equals(last)) {
            return;
        }
        next.setEvaluatedAt(Instant.ofEpochMilli(now));
        renewals.put(key, next);
        ctx.forward(new Record<>(key, next, now), Names.RENEWALS_SINK);
    }

    private static long after(long now, long boundary) {
        return boundary > now ? boundary : ExpiryRules.NEVER;
    }

    /**
     * Publishes the certificate's names to the name index when what the index knows of it changed
     * (names, expiry, renewal mode, issuer): one record per name, keyed by the name's parent domain,
     * and a removal for each name it no longer has. {@code next} null: the certificate was removed.
     */
    void publishNames(String key, Certificate prev, Certificate next, long now) {
        if (!policy.enabled()) {
            return;
        }
        CertificateName before = prev == null ? null : nameEntry(prev);
        CertificateName after = next == null ? null : nameEntry(next);
        if (Objects.equals(before, after)) {
            return;
        }
        List<String> oldNames = before == null ? List.of() : before.getNames();
        List<String> newNames = after == null ? List.of() : after.getNames();
        for (String n : newNames) {
            CertificateName e = CertificateName.newBuilder(after).setName(n).build();
            ctx.forward(new Record<>(DomainNames.parent(n), e, now), Names.NAMES_SINK);
        }
        for (String n : oldNames) {
            if (!newNames.contains(n)) {
                CertificateName e = CertificateName.newBuilder(before).setName(n).setRemoved(true).build();
                ctx.forward(new Record<>(DomainNames.parent(n), e, now), Names.NAMES_SINK);
            }
        }
    }

    /** The certificate as the name index sees it (name left empty: one copy per name). */
    private CertificateName nameEntry(Certificate c) {
        return CertificateName.newBuilder()
                .setName("")
                .setCertificateKey(c.getKey())
                .setRemoved(false)
                .setNames(DomainNames.of(c))
                .setPrimaryName(DomainNames.primary(c))
                .setNotAfter(ExpiryRules.hasKnownExpiry(c) ? c.getNotAfter() : null)
                .setManualRenewal(policy.mode(c) == RenewalPolicy.Mode.MANUAL)
                .setIssuer(c.getIssuer())
                .build();
    }
}
