package dev.certflow.streams;

import dev.certflow.events.Certificate;

import java.util.Objects;

/**
 * What streams knows about the current generation (one notAfter) of one certificate, beyond the
 * certificate itself: when it was first seen with this expiry, when it was issued where that can be
 * told, and a renewal reported by a succeeded attempt before the certificate itself shows it.
 *
 * @param notAfter       the generation's expiry (null: no usable expiry seen yet)
 * @param firstSeenAt    when a record with this expiry was first seen (its observedAt)
 * @param startAt        issuance time where known (notBefore, createdAt, a succeeded attempt, or the
 *                       observation that replaced the previous expiry), else null
 * @param startSource    which of those: notBefore, createdAt, attempt, observed-renewal
 * @param issuedNotAfter the expiry a succeeded attempt issued, when later than notAfter (renewal observed)
 * @param issuedAt       that attempt's time
 * @param issuedBy       that attempt's id
 * @param renewal        the latest renewal seen of this certificate (the one that started this generation or an
 *                       earlier one), null until one is seen
 */
record Generation(Long notAfter, long firstSeenAt, Long startAt, String startSource,
                  Long issuedNotAfter, Long issuedAt, String issuedBy, Renewal renewal) {

    /**
     * One renewal seen: the expiry it replaced, when the policy expected it, when it happened.
     *
     * @param ofNotAfter the replaced expiry
     * @param expectedAt the replaced generation's expected renewal point
     * @param at         the new generation's issuance where known, else when it was first seen
     */
    record Renewal(long ofNotAfter, long expectedAt, long at) {
    }

    /** This generation, recording that it replaced {@code renewal}. */
    Generation withRenewal(Renewal r) {
        return new Generation(notAfter, firstSeenAt, startAt, startSource, issuedNotAfter, issuedAt, issuedBy, r);
    }

    /** True when an attempt issued a later expiry than the one the certificate still shows. */
    boolean renewalObserved() {
        return notAfter != null && issuedNotAfter != null && issuedNotAfter > notAfter;
    }

    Generation withStart(Long at, String source) {
        return new Generation(notAfter, firstSeenAt, at, source, issuedNotAfter, issuedAt, issuedBy, renewal);
    }

    Generation withIssued(long notAfterIssued, long at, String attemptId) {
        return new Generation(notAfter, firstSeenAt, startAt, startSource, notAfterIssued, at, attemptId, renewal);
    }

    /** When this generation was issued, where that can be told (its {@code startAt}), else when it was first seen. */
    long issuedOrSeenAt() {
        return startAt != null ? startAt : firstSeenAt;
    }

    /** The generation after seeing {@code c}: the same one while notAfter is unchanged, else a new one (keeping the last renewal). */
    static Generation observe(Generation prev, Certificate c) {
        Long notAfter = ExpiryRules.hasKnownExpiry(c) ? c.getNotAfter().toEpochMilli() : null;
        Long start = c.getNotBefore() != null ? (Long) c.getNotBefore().toEpochMilli()
                : c.getCreatedAt() != null ? (Long) c.getCreatedAt().toEpochMilli() : null;
        String source = c.getNotBefore() != null ? "notBefore" : c.getCreatedAt() != null ? "createdAt" : null;
        if (prev != null && Objects.equals(prev.notAfter(), notAfter)) {
            // the same generation; a start the source now gives beats one derived from attempts or observation
            return start != null && !start.equals(prev.startAt()) ? prev.withStart(start, source) : prev;
        }
        Long issuedNotAfter = null;
        Long issuedAt = null;
        String issuedBy = null;
        if (prev != null && prev.issuedNotAfter() != null && notAfter != null) {
            if (prev.issuedNotAfter().equals(notAfter) && start == null) {
                start = prev.issuedAt();
                source = "attempt";
            } else if (prev.issuedNotAfter() > notAfter) {
                issuedNotAfter = prev.issuedNotAfter();
                issuedAt = prev.issuedAt();
                issuedBy = prev.issuedBy();
            }
        }
        if (start == null && prev != null && prev.notAfter() != null && notAfter != null && notAfter > prev.notAfter()) {
            // we saw the previous expiry, so this one was issued since: at this observation, within a poll interval
            start = c.getObservedAt().toEpochMilli();
            source = "observed-renewal";
        }
        return new Generation(notAfter, c.getObservedAt().toEpochMilli(), start, source, issuedNotAfter, issuedAt, issuedBy,
                prev == null ? null : prev.renewal());
    }

    /** The generation after a succeeded attempt that issued {@code issued} at {@code at}. */
    static Generation onIssued(Generation prev, long issued, long at, String attemptId) {
        if (prev == null) {
            return new Generation(null, at, null, null, issued, at, attemptId, null);
        }
        if (prev.notAfter() != null && issued == prev.notAfter()) {
            return prev.startAt() == null || "observed-renewal".equals(prev.startSource()) ? prev.withStart(at, "attempt") : prev;
        }
        if ((prev.notAfter() == null || issued > prev.notAfter()) && (prev.issuedNotAfter() == null || issued >= prev.issuedNotAfter())) {
            return prev.withIssued(issued, at, attemptId);
        }
        return prev;
    }
}
