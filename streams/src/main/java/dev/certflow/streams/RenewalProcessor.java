package dev.certflow.streams;

import dev.certflow.events.AlertKind;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.Severity;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.List;

/**
 * The failed-renewal aggregation: orders attempts by their own time (finishedAt, else startedAt,
 * else observedAt), ignores duplicates by attempt id and anything not newer than the last success,
 * and publishes a row while failures follow the newest success (a tombstone once they do not).
 * One RENEWAL_FAILED alert per episode, however many attempts fail; its text names the attempt that
 * opened it (true for good) and leaves the running count to the row, and its RESOLVED text gives the final count.
 */
final class RenewalProcessor implements Processor<String, RenewalAttempt, String, Object> {
    private final CertflowMetrics metrics;
    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, RenewalState> states;
    private KeyValueStore<String, FailedRenewal> failed;
    private KeyValueStore<String, Certificate> certificates;
    private Alerts alerts;

    RenewalProcessor(CertflowMetrics metrics) {
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        ctx = context;
        states = context.getStateStore(Names.RENEWAL_STATE_STORE);
        failed = context.getStateStore(Names.FAILED_STORE);
        certificates = context.getStateStore(Names.CERTIFICATE_STORE);
        alerts = new Alerts(context.getStateStore(Names.CERTIFICATE_ALERT_STORE), metrics, Names.CERTIFICATE_ALERTS_SINK);
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
        boolean failure = a.getStatus() == AttemptStatus.FAILED;
        if (!failure && a.getStatus() != AttemptStatus.SUCCEEDED) {
            return; // pending, running, cancelled, unknown: no verdict yet
        }
        long now = ctx.currentSystemTimeMs();
        long at = attemptTime(a);
        RenewalState state = states.get(key);
        if (state == null) {
            state = RenewalState.empty();
        }
        if (state.seen(a.getAttemptId()) || (state.lastSuccessAt() != null && at <= state.lastSuccessAt())) {
            return; // duplicate, or older than the newest success: never undoes newer state
        }
        state = failure
                ? state.withFailure(new RenewalState.Failure(a.getAttemptId(), at, a.getErrorCode(), a.getErrorMessage(), a.getAttemptType()))
                : state.withSuccess(a.getAttemptId(), at);
        states.put(key, state);
        publish(key, a, state, now);
    }

    private void publish(String key, RenewalAttempt a, RenewalState state, long now) {
        FailedRenewal current = failed.get(key);
        String slot = Alerts.slot(CertificateProcessor.RENEWAL_SLOT, key);
        if (state.failures().isEmpty()) {
            if (current != null) {
                failed.delete(key);
                ctx.forward(new Record<>(key, null, now), Names.FAILED_SINK);
            }
            // the final count goes into the RESOLVED text: it is the last row the table held
            alerts.resolve(ctx, slot, now, current == null ? "renewal succeeded"
                    : "renewal succeeded after " + current.getConsecutiveFailures() + " consecutive failure(s)");
            return;
        }
        List<RenewalState.Failure> fs = state.failures();
        RenewalState.Failure first = fs.get(0);
        RenewalState.Failure last = fs.get(fs.size() - 1);
        Certificate c = certificates.get(key);
        FailedRenewal row = FailedRenewal.newBuilder()
                .setCertificateKey(a.getCertificateKey())
                .setCertificate(c)
                .setConsecutiveFailures(fs.size() + state.droppedFailures())
                .setFirstFailureAt(Instant.ofEpochMilli(first.at()))
                .setLastFailureAt(Instant.ofEpochMilli(last.at()))
                .setLastErrorCode(last.errorCode())
                .setLastErrorMessage(last.errorMessage())
                .setLastAttemptType(last.attemptType())
                .setLastAttemptId(last.attemptId())
                .build();
        if (!row.equals(current)) {
            failed.put(key, row);
            ctx.forward(new Record<>(key, row, now), Names.FAILED_SINK);
        }
        if (alerts.activeIn(slot) == null) {
            // fired once per streak and never re-sent, so the text states only what stays true: which
            // attempt started the alert; the row (consecutiveFailures, last error) is the current count
            String name = Alerts.displayName(c, a.getCertificateKey());
            String error = first.errorCode() == null && first.errorMessage() == null ? "no error given"
                    : (first.errorCode() == null ? "" : first.errorCode() + ": ")
                      + (first.errorMessage() == null ? "" : Alerts.abbreviate(first.errorMessage(), 200));
            String summary = "Renewal of certificate " + name + " (" + key + ") is failing: attempt " + first.attemptId()
                    + " failed at " + Instant.ofEpochMilli(first.at()) + " (" + error + ")"
                    + "; the failed_renewals row keeps the current count and last error";
            alerts.fire(ctx, slot, Alerts.build(Alerts.id(AlertKind.RENEWAL_FAILED, key, first.attemptId()),
                    AlertKind.RENEWAL_FAILED, Severity.ERROR, "renewal-failed", summary, a.getCertificateKey(), c, now),
                    now, "superseded");
        }
    }
}
