package dev.certflow.streams;

import dev.certflow.events.PollOutcome;
import dev.certflow.events.SourceStatus;
import dev.certflow.runtime.owners.OwnerRules;
import org.apache.kafka.streams.processor.api.Processor;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.util.function.LongSupplier;

/**
 * SOURCE_DOWN: fires once after N consecutive FAILED polls of a source, resolves on its next good poll.
 * The alert carries the same source fields and labels as certificate alerts: source = the source
 * instance name (the record key), source_kind = its kind; it has no tenant.
 */
final class SourceStatusProcessor implements Processor<String, SourceStatus, String, Object> {
    private final int downAfter;
    private final CertflowMetrics metrics;
    private final LongSupplier clock;
    private final OwnerRules owners;
    private ProcessorContext<String, Object> ctx;
    private KeyValueStore<String, SourceState> states;
    private KeyValueStore<String, SourceStatus> polls;
    private Alerts alerts;

    /** @param clock "now", or null for Kafka Streams' wall clock */
    SourceStatusProcessor(int downAfter, CertflowMetrics metrics, LongSupplier clock, OwnerRules owners) {
        this.downAfter = downAfter;
        this.owners = owners;
        this.metrics = metrics;
        this.clock = clock;
    }

    @Override
    public void init(ProcessorContext<String, Object> context) {
        ctx = context;
        states = context.getStateStore(Names.SOURCE_STATE_STORE);
        polls = context.getStateStore(Names.SOURCE_POLL_STORE);
        alerts = new Alerts(context.getStateStore(Names.SOURCE_ALERT_STORE), metrics, Names.SOURCE_ALERTS_SINK, owners);
    }

    @Override
    public void process(Record<String, SourceStatus> record) {
        long now = clock == null ? ctx.currentSystemTimeMs() : clock.getAsLong();
        SourceStatus s = record.value();
        String source = record.key() != null ? record.key() : s == null ? null : s.getSourceName();
        if (source == null) {
            throw new IllegalArgumentException("source-status record without a key or sourceName");
        }
        String slot = Alerts.slot("SOURCE_DOWN", source);
        if (s == null) {
            states.delete(source);
            polls.delete(source);
            alerts.resolve(ctx, slot, now, "source removed", dev.certflow.events.AlertResolution.REMOVED);
            return;
        }
        SourceState prev = states.get(source);
        SourceState state = SourceState.after(prev, s);
        if (state == prev) {
            return; // repeated or older poll
        }
        states.put(source, state);
        polls.put(source, s);
        boolean failedPoll = s.getOutcome() == PollOutcome.FAILED;
        int failures = state.consecutiveFailures();
        long firstFailure = state.firstFailureAt();
        if (!failedPoll) {
            alerts.resolve(ctx, slot, now, AlertKinds.sourceUp(s.getOutcome(), prev == null ? 0 : prev.consecutiveFailures()));
        } else if (failures >= downAfter && alerts.activeIn(slot) == null) {
            alerts.fire(ctx, slot, AlertKinds.sourceDown(source, s, failures, firstFailure, downAfter, now), now, "superseded");
        }
    }
}
