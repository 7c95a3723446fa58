package dev.certflow.simulator;

/**
 * What a scripted certificate is there to exercise. The first group plays out in the first simulated
 * day ({@link Profile#DAY}); the renewal group over a year ({@link Profile#YEAR}), with instants
 * days apart so a clock at 100,000x (a day in under a second) still shows each step to a poller.
 * {@link #BACKGROUND} certificates renew on schedule and should never alert.
 *
 * <p>Times of the renewal group are offsets from the fleet start {@code S} (plus the unit's stagger);
 * automatically renewed ones live 90 days, so smoxy's 30-day point, one third of the lifetime and a
 * 30-day lead time all expect the renewal at the same instant, {@code notAfter - 30d}.
 */
public enum Script {
    /** Crosses the 30-day threshold 6 hours after the fleet start. */
    CROSSES_30D,
    /** Crosses the 14-day threshold 9 hours after the start. */
    CROSSES_14D,
    /** Crosses the 7-day threshold 12 hours after the start. */
    CROSSES_7D,
    /** Crosses the 1-day threshold 3 hours after the start and expires a day later. */
    CROSSES_1D,
    /** Expired 10 days before the start. */
    EXPIRED,
    /** No expiry: Leegality sends null, smoxy a pending certificate without expiresAt, Yeastar {@code -} while issuing. */
    NO_EXPIRY,
    /** Leegality only: an expiry string that no parser accepts. */
    UNPARSEABLE_EXPIRY,
    /** smoxy/Yeastar: a renewal fails 2 hours after the start and succeeds 8 hours after it. */
    RENEWAL_FAILS_THEN_SUCCEEDS,
    /** Leegality only: the certificate is replaced 8 hours after the start (new expiry). */
    REPLACED,
    /** Disappears from the source 12 hours after the start (Leegality: disabled). */
    REMOVED,
    /** Appears 6 hours after the start. */
    ADDED,

    /**
     * smoxy {@code auto_managed} / Yeastar {@code apply} + {@code auto_renewal=1}, expiring at S+60d: the
     * renewal silently stops (no attempt at all) at its point S+30d. smoxy renews late at S+56d (after
     * the 7-day floor); the PBX at S+65d, five days after the certificate expired. Then on schedule.
     */
    RENEWAL_STOPS,
    /**
     * smoxy / Yeastar auto-renewed, expiring at S+80d: from S+50.5d every daily attempt fails (smoxy
     * {@code failed} with {@code acme_error}, Yeastar {@code issuance_fail} with {@code apply_tip_code}),
     * six in a row; the seventh, at S+56.5d, succeeds. Then on schedule.
     */
    RENEWAL_FAILS,
    /**
     * A pair for the name {@code shop.<organisation>.example}, both expiring at S+60d: smoxy renews it on
     * schedule at S+30.5d; PBX number {@code i} holds an uploaded copy ({@code ca_type=upload}, last on the
     * PBX's list) that stays old until S+40d, when the new certificate is deployed to it, and is deleted
     * at S+80d, before smoxy's next renewal.
     */
    RENEWED_NOT_DEPLOYED,
    /** smoxy, expiring at S+40d: the on-schedule renewal at S+10.5d drops the {@code www.} SAN; the next, at S+71d, restores it. */
    SAN_DROPPED,
    /**
     * Leegality, 398 days, expiring at S+40d: nobody replaces it in time (due S+10d); at S+36d a new
     * certificate with a new id and the same name is uploaded; the old one stays enabled, through its
     * 1-day floor and expiry, until S+45d.
     */
    SUPERSEDED,

    /** Filler that renews on schedule ({@link RenewalMode}), generated on demand. */
    BACKGROUND
}
