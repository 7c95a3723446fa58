package dev.certflow.simulator;

/** What a scripted certificate is there to exercise. {@link #BACKGROUND} certificates are static filler. */
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
    /** Static filler, expiring 60 days or more after the start. */
    BACKGROUND
}
