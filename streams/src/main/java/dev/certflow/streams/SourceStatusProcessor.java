package dev.certflow.streams;

import dev.certflow.events.AlertKind;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceStatus;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.time.Instant;
import java.util.Locale;

/**
 * SOURCE_DOWN: fires once after N consecutive FAILED polls of a source, resolves on its next good poll.
 * The alert carries the same source fields and labels as certificate alerts: source = the source
 * instance name (the record key), source_kind = its kind; it has no tenant.
 */
final class SourceStatusProcessor implements Processor<String, SourceStatus, String, Object> {
    private final int downAfter;
    private final CertflowMetrics metrics;
    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, SourceState> states;
    private Alerts alerts;

    SourceStatusProcessor(int downAfter, CertflowMetrics metrics) {
        this.downAfter = downAfter;
        this.metrics = metrics;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        ctx = context;
        states = context.getStateStore(Names.SOURCE_STATE_STORE);
        alerts = new Alerts(context.getStateStore(Names.SOURCE_ALERT_STORE), metrics, Names.SOURCE_ALERTS_SINK);
    }

    @Override
    public void process(Record<String, SourceStatus> record) {
        long now = ctx.currentSystemTimeMs();
        SourceStatus s = record.value();
        String source = record.key() != null ? record.key() : s == null ? null : s.getSourceName();
        if (source == null) {
            throw new IllegalArgumentException("source-status record without a key or sourceName");
        }
        String slot = Alerts.slot("SOURCE_DOWN", source);
        if (s == null) {
            states.delete(source);
            alerts.resolve(ctx, slot, now, "source removed");
            return;
        }
        long started = s.getPollStartedAt().toEpochMilli();
        SourceState prev = states.get(source);
        if (prev != null && started <= prev.lastPollStartedAt()) {
            return; // repeated or older poll
        }
        boolean failedPoll = s.getOutcome() == PollOutcome.FAILED;
        int failures = failedPoll ? (prev == null ? 0 : prev.consecutiveFailures()) + 1 : 0;
        long firstFailure = failedPoll ? (failures == 1 ? started : prev.firstFailureAt()) : 0L;
        states.put(source, new SourceState(started, failures, firstFailure));
        if (!failedPoll) {
            alerts.resolve(ctx, slot, now, "poll " + s.getOutcome().name().toLowerCase(Locale.ROOT)
                    + (prev == null || prev.consecutiveFailures() == 0 ? "" : " after " + prev.consecutiveFailures() + " failed polls"));
        } else if (failures >= downAfter && alerts.activeIn(slot) == null) {
            String error = (s.getErrorKind() == null ? "unknown" : s.getErrorKind())
                    + (s.getErrorMessage() == null ? "" : ": " + Alerts.abbreviate(s.getErrorMessage(), 200));
            // fired once per outage: the text says what stays true until it resolves; source_status keeps the count
            String summary = "Source " + source + " (" + s.getSourceKind().name().toLowerCase(Locale.ROOT) + ") is down: every poll since "
                    + Instant.ofEpochMilli(firstFailure) + " failed (" + failures + " in a row when this alert fired, the last with "
                    + error + ")";
            alerts.fire(ctx, slot, Alerts.buildForSource(Alerts.id(AlertKind.SOURCE_DOWN, source, Long.toString(firstFailure)),
                    AlertKind.SOURCE_DOWN, Severity.ERROR, downAfter + "-failed-polls", summary, s.getSourceKind(), source, now),
                    now, "superseded");
        }
    }
}
