package dev.certflow.simulator;

import java.time.Duration;
import java.util.List;

/**
 * How a simulated certificate is renewed, and the window of remaining lifetime it is renewed in.
 *
 * <p>A certificate of lifetime {@code L} renewed in mode {@code m} is renewed when between
 * {@link #renewalWindow(Duration)}{@code [0]} and {@code [1]} of its lifetime remain (exclusive):
 * <ul>
 *   <li>{@link #SMOXY_AUTO}: smoxy {@code auto_managed}; smoxy documents that automatic renewal starts 30 days
 *       before expiry, so it lands 1 to 13 hours later, with between 29 days 11 hours and 29 days 23 hours left;</li>
 *   <li>{@link #ONE_THIRD}: Yeastar {@code ca_type=apply} with {@code auto_renewal=1}, an ACME client
 *       renewing at one third of the lifetime remaining (certbot, Let's Encrypt ARI), 1 to 13 hours after
 *       that point;</li>
 *   <li>{@link #MANUAL}: uploaded certificates (smoxy {@code custom}, Yeastar {@code upload}) replaced in place
 *       by hand, 1 to 10 days before the manual lead time ({@link #MANUAL_LEAD}, at most half the lifetime);</li>
 *   <li>{@link #MANUAL_NEW_ID}: Leegality signing certificates: a new certificate (new id, same name) is
 *       uploaded 38 to 45 days before the old one expires, and the old one is disabled
 *       ({@link #NEW_ID_OVERLAP}) a week later, so both are listed for a week;</li>
 *   <li>{@link #NONE}: Yeastar trusted CA certificates, valid for years and not renewed.</li>
 * </ul>
 * Every window ends before the point issue 11's renewal policy expects the renewal plus its 2-day grace,
 * and far above the 7- and 1-day floors, so a healthy fleet never looks overdue or near expiry. The
 * automatic ones leave at least 35 hours of the grace: at 100,000x a pipeline that sees a change a
 * simulated day late still sees the renewal in time.
 */
public enum RenewalMode {
    SMOXY_AUTO,
    ONE_THIRD,
    MANUAL,
    MANUAL_NEW_ID,
    NONE;

    /** The manual lead time the simulated administrators renew before (the renewal policy's default). */
    public static final Duration MANUAL_LEAD = Duration.ofDays(30);
    /** How long an old Leegality certificate stays enabled after its replacement was uploaded. */
    public static final Duration NEW_ID_OVERLAP = Duration.ofDays(7);

    /** Lifetimes (days) of automatically renewed certificates and their weights: the SC-081 schedule, skewed to 47 days. */
    static final int[][] AUTO_MIX = {{47, 4}, {100, 3}, {200, 2}, {398, 1}};
    /** Lifetimes of uploaded certificates (commercial CAs: 398 days until March 2026, then 200, then 100). */
    static final int[][] MANUAL_MIX = {{100, 3}, {200, 4}, {398, 3}};
    /** Lifetimes of Leegality document-signing certificates (not public TLS: one or two renewals a year). */
    static final int[][] SIGNING_MIX = {{200, 3}, {398, 7}};
    /** Trusted CA certificates. */
    static final int CA_DAYS = 3650;

    /** The lifetime mix of this mode as (days, weight) pairs; weights add up to 10. */
    public List<int[]> lifetimeMix() {
        int[][] mix = switch (this) {
            case SMOXY_AUTO, ONE_THIRD -> AUTO_MIX;
            case MANUAL -> MANUAL_MIX;
            case MANUAL_NEW_ID -> SIGNING_MIX;
            case NONE -> new int[][]{{CA_DAYS, 10}};
        };
        return List.of(mix);
    }

    /** Picks a lifetime from the mix with a uniform draw {@code u} in 0..9. */
    Duration lifetime(int u) {
        int acc = 0;
        for (int[] entry : lifetimeMix()) {
            acc += entry[1];
            if (u < acc) {
                return Duration.ofDays(entry[0]);
            }
        }
        throw new IllegalArgumentException("draw " + u + " outside 0..9");
    }

    /** Whether the source runs the renewal itself (and smoxy / Yeastar show attempts for it). */
    public boolean automatic() {
        return this == SMOXY_AUTO || this == ONE_THIRD;
    }

    /** The most lifetime left when the renewal lands ({@code B}); every renewal lands within {@link #jitter()} x 2 below it. */
    Duration renewBefore(Duration lifetime) {
        return switch (this) {
            case SMOXY_AUTO -> Duration.ofDays(30).minusHours(1);
            case ONE_THIRD -> lifetime.dividedBy(3).minusHours(1);
            case MANUAL -> manualLead(lifetime).plusDays(10);
            case MANUAL_NEW_ID -> Duration.ofDays(45);
            case NONE -> throw new IllegalStateException("not renewed");
        };
    }

    /** Half the width of the renewal window ({@code J}). */
    Duration jitter() {
        return switch (this) {
            case SMOXY_AUTO, ONE_THIRD -> Duration.ofHours(6);
            case MANUAL -> Duration.ofHours(108);
            case MANUAL_NEW_ID -> Duration.ofHours(84);
            case NONE -> throw new IllegalStateException("not renewed");
        };
    }

    /** The manual lead time for a lifetime: 30 days, at most half the lifetime (never due at issuance). */
    static Duration manualLead(Duration lifetime) {
        Duration half = lifetime.dividedBy(2);
        return half.compareTo(MANUAL_LEAD) < 0 ? half : MANUAL_LEAD;
    }

    /**
     * The lifetime left when a certificate of this mode is renewed: {@code [least, most]}, both exclusive
     * except that the very first renewal of a schedule may land exactly {@code J} below the top.
     */
    public Duration[] renewalWindow(Duration lifetime) {
        Duration b = renewBefore(lifetime);
        return new Duration[]{b.minus(jitter().multipliedBy(2)), b};
    }
}
