package dev.certflow.sink.oncall;

import dev.certflow.events.Alert;

import java.time.Duration;

/** What {@link OnCall} asks the delivery to send once it has recorded (and claimed) a decision. */
public interface Notifier {
    /** A held alert whose silences ended: to every channel whose routes take it; {@code done} once each has an outcome. */
    void release(Alert alert, Runnable done);

    /**
     * An unacknowledged CRITICAL alert escalates to the channels of {@code targetName} (not
     * acknowledged within {@code after}); {@code done} once each has an outcome. False when the
     * target has no channel.
     */
    boolean escalate(Alert alert, String targetName, Duration after, Runnable done);

    /**
     * The incident was acknowledged: Alertmanager stops re-sending its alerts; with {@code notify}
     * (this instance claimed the acknowledgement) the PagerDuty channels that took {@code latest}
     * get an {@code acknowledge} event.
     */
    void acknowledged(String incidentId, Alert latest, boolean notify);
}
