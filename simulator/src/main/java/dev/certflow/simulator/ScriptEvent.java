package dev.certflow.simulator;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * One expected event of a scripted certificate, at a simulated instant (may lie before the fleet
 * start: a threshold already crossed when the simulation begins).
 *
 * <p>Two vocabularies share the list. <b>Facts</b> say what happens at the source ({@link Type#ADDED}
 * .. {@link Type#SUPERSEDED}), including the crossings of the old fixed thresholds
 * ({@link FleetCertificate#THRESHOLD_DAYS}). <b>Conclusions</b> ({@link Type#FIRING}, {@link Type#RESOLVED})
 * say which alert streams must fire or resolve under issue 11's renewal-aware defaults
 * ({@link #GRACE}, {@link #DEPLOY_GRACE}, {@link #FLOOR_DAYS}, smoxy 30 days, one third of the lifetime, manual lead 30 days);
 * they are declared for the renewal scripts of {@link Profile#YEAR} and never for a healthy certificate.
 * A FIRING is due at exactly its instant (streams' own clock; the certificate was observed before);
 * a RESOLVED at the instant the source changes, so streams sees it up to one poll later.
 *
 * @param at       when it happens in simulated time
 * @param type     what happens
 * @param days     the threshold in days for {@link Type#THRESHOLD_CROSSED} and an {@link Alert#EXPIRING} conclusion, else null
 * @param expiry   the expiry concerned: for thresholds/expiry the expiry in force, for renewals the new one, for a
 *                 conclusion the {@code notAfter} its alert id is made of (overdue and not-deployed: the old
 *                 certificate's; drift: the renewed one's)
 * @param alert    for a conclusion, the alert kind (named as the {@code AlertKind} symbol); else null
 * @param otherKey the other certificate: the replacement of {@link Type#SUPERSEDED}, the renewed holder of
 *                 {@link Alert#RENEWED_NOT_DEPLOYED}; else null
 * @param detail   what a conclusion is about in words (the dropped SAN of {@link Alert#RENEWAL_DRIFT}); else null
 */
public record ScriptEvent(Instant at, Type type, Integer days, Instant expiry, Alert alert, String otherKey, String detail) {

    /** Grace after the expected renewal point before RENEWAL_OVERDUE fires (the policy default). */
    public static final Duration GRACE = Duration.ofDays(2);
    /**
     * How long a renewed certificate must have been held elsewhere before a copy still holding the old one is
     * RENEWED_NOT_DEPLOYED (the policy default {@code renewal.deployGrace}).
     */
    public static final Duration DEPLOY_GRACE = Duration.ofDays(1);
    /** The renewal-aware floors that always page (the policy default), besides EXPIRED. */
    public static final List<Integer> FLOOR_DAYS = List.of(7, 1);

    /** A fact without an alert. */
    public ScriptEvent(Instant at, Type type, Integer days, Instant expiry) {
        this(at, type, days, expiry, null, null, null);
    }

    static ScriptEvent firing(Instant at, Alert alert, Integer days, Instant expiry, String otherKey, String detail) {
        return new ScriptEvent(at, Type.FIRING, days, expiry, alert, otherKey, detail);
    }

    static ScriptEvent resolved(Instant at, Alert alert, Integer days, Instant expiry, String otherKey) {
        return new ScriptEvent(at, Type.RESOLVED, days, expiry, alert, otherKey, null);
    }

    /** Whether this is a conclusion (an alert fired or resolved) rather than a fact. */
    public boolean conclusion() {
        return type == Type.FIRING || type == Type.RESOLVED;
    }

    /** Kinds of scripted events. */
    public enum Type {
        /** The certificate appears in the source listing. */
        ADDED,
        /** Less than {@code days} days remain before the expiry (the old fixed thresholds). */
        THRESHOLD_CROSSED,
        /** The expiry instant passes. */
        EXPIRED,
        /** A renewal attempt fails (smoxy attempt {@code failed}, Yeastar {@code issuance_fail}). */
        RENEWAL_FAILED,
        /** A renewal succeeds and the certificate carries a new expiry (smoxy attempt, Yeastar issuance). */
        RENEWAL_SUCCEEDED,
        /** The certificate is replaced in place by one with a new expiry, no attempt shown (Leegality, a PBX upload). */
        EXPIRY_REPLACED,
        /** The certificate leaves the source listing. */
        REMOVED,
        /** The renewal policy's expected renewal point passes without a renewal: state DUE, no notification. */
        RENEWAL_DUE,
        /** A new certificate {@code otherKey} with the same name (new id) replaces it (Leegality). */
        SUPERSEDED,
        /** Conclusion: streams fires {@code alert}. */
        FIRING,
        /** Conclusion: streams resolves {@code alert}. */
        RESOLVED
    }

    /** Alert kinds a conclusion names, spelled as the {@code AlertKind} symbols. */
    public enum Alert {
        EXPIRING, EXPIRED, RENEWAL_FAILED, RENEWAL_OVERDUE, RENEWED_NOT_DEPLOYED, RENEWAL_DRIFT
    }
}
