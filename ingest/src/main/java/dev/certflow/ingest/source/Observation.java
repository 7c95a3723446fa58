package dev.certflow.ingest.source;

import dev.certflow.events.Certificate;
import dev.certflow.events.RenewalAttempt;

import java.time.Instant;
import java.util.List;

/**
 * One certificate as a poll saw it, normalised and redacted, with the attempts first seen in this
 * poll and the checkpoint values to store with them (null = keep the stored one).
 */
public record Observation(Certificate certificate, List<RenewalAttempt> newAttempts,
                          String lastAttemptId, Instant lastAttemptStartedAt, String lastStatus) {
    public static Observation of(Certificate certificate) {
        return new Observation(certificate, List.of(), null, null, null);
    }
}
