package dev.certflow.streams;

import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;

/**
 * The failed-renewal aggregate ({@link RenewalState#apply}: attempts ordered by their own time,
 * duplicates and anything not newer than the last success ignored) published as a row while
 * failures follow the newest success (a tombstone once they do not), with one RENEWAL_FAILED alert
 * per streak. A succeeded attempt that issued a later expiry is also a renewal observed before the
 * certificate shows it: the certificate's generation records it and the certificate is re-evaluated.
 */
final class RenewalProcessor implements Processor<String, RenewalAttempt, String, Object> {
    private final CertificateLifecycle.Setup setup;
    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, RenewalState> states;
    private KeyValueStore<String, FailedRenewal> failed;
    private KeyValueStore<String, Certificate> certificates;
    private KeyValueStore<String, Generation> generations;
    private CertificateLifecycle lifecycle;

    RenewalProcessor(CertificateLifecycle.Setup setup) {
        this.setup = setup;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        ctx = context;
        states = context.getStateStore(Names.RENEWAL_STATE_STORE);
        failed = context.getStateStore(Names.FAILED_STORE);
        certificates = context.getStateStore(Names.CERTIFICATE_STORE);
        generations = context.getStateStore(Names.GENERATION_STORE);
        lifecycle = setup.open(context);
    }

    static long attemptTime(RenewalAttempt a) {
        Instant t = a.getFinishedAt() != null ? a.getFinishedAt() : a.getStartedAt() != null ? a.getStartedAt() : a.getObservedAt();
        return t.toEpochMilli();
    }

    @Override
    public void process(Record<String, RenewalAttempt> record) {
        String key = record.key();
        RenewalAttempt a = record.value();
        if (key == null) {
            throw new IllegalArgumentException("renewal-attempts record without a key");
        }
        if (a == null) {
            return; // nothing to undo: attempts are events, a tombstone carries no attempt
        }
        String valueKey = CertificateKeys.format(a.getCertificateKey());
        if (!valueKey.equals(key)) {
            throw new IllegalArgumentException("renewal-attempts record key '" + key + "' differs from field certificateKey '" + valueKey + "'");
        }
        long now = setup.now(ctx);
        lifecycle.history().attempt(key, a);
        if (setup.policy().enabled() && a.getStatus() == AttemptStatus.SUCCEEDED && a.getIssuedNotAfter() != null) {
            Generation g = generations.get(key);
            Generation next = Generation.onIssued(g, a.getIssuedNotAfter().toEpochMilli(), attemptTime(a), a.getAttemptId());
            if (!next.equals(g)) {
                generations.put(key, next);
                lifecycle.evaluate(key, now);
            }
        }
        RenewalState state = states.get(key);
        if (state == null) {
            state = RenewalState.empty();
        }
        RenewalState next = state.apply(a);
        if (next.equals(state)) {
            return;
        }
        states.put(key, next);
        publish(key, a, next, now);
    }

    private void publish(String key, RenewalAttempt a, RenewalState state, long now) {
        FailedRenewal current = failed.get(key);
        String slot = Alerts.slot(AlertKinds.RENEWAL_SLOT, key);
        Certificate c = certificates.get(key);
        FailedRenewal row = state.row(a.getCertificateKey(), c);
        if (row != null) {
            row.setOwner(Owners.of(lifecycle.owners(), a.getCertificateKey(), c));
        }
        if (row == null) {
            if (current != null) {
                failed.delete(key);
                ctx.forward(new Record<>(key, null, now), Names.FAILED_SINK);
            }
            // the final count goes into the RESOLVED text: it is the last row the table held
            lifecycle.alerts().resolve(ctx, slot, now, current == null ? "renewal succeeded"
                    : "renewal succeeded after " + current.getConsecutiveFailures() + " consecutive failure(s)");
            lifecycle.fleet().failing(key, false, now);
            return;
        }
        lifecycle.fleet().failing(key, true, now);
        if (!row.equals(current)) {
            failed.put(key, row);
            ctx.forward(new Record<>(key, row, now), Names.FAILED_SINK);
        }
        if (lifecycle.alerts().activeIn(slot) == null) {
            lifecycle.alerts().fire(ctx, slot, AlertKinds.renewalFailed(key, a.getCertificateKey(), c, state.failures().get(0), now),
                    now, "superseded");
        }
    }
}
