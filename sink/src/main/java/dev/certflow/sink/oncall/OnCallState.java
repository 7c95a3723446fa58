package dev.certflow.sink.oncall;

import dev.certflow.events.Acknowledgement;

import java.util.Collection;
import java.util.List;

/** The silences and acknowledgements {@link OnCall} applies ({@link OnCallFeed} reads them from their topics). */
public interface OnCallState {
    /** Every silence known, in force or not. */
    Collection<SilenceRules> silences();

    /** The acknowledgement of an incident, or null. */
    Acknowledgement acknowledgement(String incidentId);

    /** Acknowledgements that arrived since the last call, oldest first. */
    List<Acknowledgement> drainNewAcknowledgements();
}
