package dev.certflow.simulator;

import java.time.Instant;

/**
 * One expected event of a scripted certificate, at a simulated instant (may lie before the fleet
 * start: a threshold already crossed when the simulation begins).
 *
 * @param at     when it happens in simulated time
 * @param type   what happens
 * @param days   the threshold in days for {@link Type#THRESHOLD_CROSSED}, else null
 * @param expiry the expiry concerned (for thresholds/expiry the expiry in force, for renewals the new one)
 */
public record ScriptEvent(Instant at, Type type, Integer days, Instant expiry) {

    /** Kinds of scripted events. */
    public enum Type {
        /** The certificate appears in the source listing. */
        ADDED,
        /** Less than {@code days} days remain before the expiry. */
        THRESHOLD_CROSSED,
        /** The expiry instant passes. */
        EXPIRED,
        /** A renewal attempt fails (smoxy attempt {@code failed}, Yeastar {@code issuance_fail}). */
        RENEWAL_FAILED,
        /** A renewal succeeds and the certificate carries a new expiry. */
        RENEWAL_SUCCEEDED,
        /** Leegality: the certificate is replaced by one with a new expiry (no attempt API there). */
        EXPIRY_REPLACED,
        /** The certificate leaves the source listing. */
        REMOVED
    }
}
