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
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/** SOURCE_DOWN: fires once after N consecutive FAILED polls of a source, resolves on its next good poll. */
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
            alerts.resolve(ctx, slot, now, "poll " + s.getOutcome().name().toLowerCase(Locale.ROOT));
        } else if (failures >= downAfter && alerts.activeIn(slot) == null) {
            String error = (s.getErrorKind() == null ? "unknown" : s.getErrorKind())
                    + (s.getErrorMessage() == null ? "" : ": " + Alerts.abbreviate(s.getErrorMessage(), 200));
            String summary = "Source " + source + " (" + s.getSourceKind().name().toLowerCase(Locale.ROOT) + ") failed "
                    + failures + " consecutive polls since " + Instant.ofEpochMilli(firstFailure) + "; last error " + error;
            Map<String, String> labels = new LinkedHashMap<>();
            labels.put("source", s.getSourceKind().name().toLowerCase(Locale.ROOT));
            labels.put("instance", source);
            alerts.fire(ctx, slot, Alerts.build(Alerts.id(AlertKind.SOURCE_DOWN, source, Long.toString(firstFailure)),
                    AlertKind.SOURCE_DOWN, Severity.ERROR, downAfter + "-failed-polls", summary, null, null, now, labels),
                    now, "superseded");
        }
    }
}
