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
 */
record Generation(Long notAfter, long firstSeenAt, Long startAt, String startSource,
                  Long issuedNotAfter, Long issuedAt, String issuedBy) {

    /** True when an attempt issued a later expiry than the one the certificate still shows. */
    boolean renewalObserved() {
        return notAfter != null && issuedNotAfter != null && issuedNotAfter > notAfter;
    }

    Generation withStart(Long at, String source) {
        return new Generation(notAfter, firstSeenAt, at, source, issuedNotAfter, issuedAt, issuedBy);
    }

    Generation withIssued(long notAfterIssued, long at, String attemptId) {
        return new Generation(notAfter, firstSeenAt, startAt, startSource, notAfterIssued, at, attemptId);
    }

    /** The generation after seeing {@code c}: the same one while notAfter is unchanged, else a new one. */
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
        return new Generation(notAfter, c.getObservedAt().toEpochMilli(), start, source, issuedNotAfter, issuedAt, issuedBy);
    }

    /** The generation after a succeeded attempt that issued {@code issued} at {@code at}. */
    static Generation onIssued(Generation prev, long issued, long at, String attemptId) {
        if (prev == null) {
            return new Generation(null, at, null, null, issued, at, attemptId);
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
