package dev.certflow.streams;

import java.util.ArrayList;
import java.util.List;

/**
 * Per-certificate renewal history kept by the failed-renewal aggregation: the newest success seen
 * and every distinct failure after it, ordered by the attempts' own times, so late, duplicate and
 * out-of-order attempts give the same table as in-order ones.
 *
 * @param lastSuccessAt  time of the newest successful attempt, or null
 * @param lastSuccessId  its attempt id
 * @param failures       failures newer than the last success, oldest first (at most {@link #MAX_FAILURES})
 * @param droppedFailures failures no longer listed because of the cap, still counted
 */
record RenewalState(Long lastSuccessAt, String lastSuccessId, List<Failure> failures, int droppedFailures) {
    static final int MAX_FAILURES = 200;

    /** One failed attempt. */
    record Failure(String attemptId, long at, String errorCode, String errorMessage, String attemptType) {
    }

    static RenewalState empty() {
        return new RenewalState(null, null, List.of(), 0);
    }

    boolean seen(String attemptId) {
        if (attemptId.equals(lastSuccessId)) {
            return true;
        }
        for (Failure f : failures) {
            if (f.attemptId().equals(attemptId)) {
                return true;
            }
        }
        return false;
    }

    RenewalState withFailure(Failure f) {
        List<Failure> list = new ArrayList<>(failures);
        int pos = 0;
        while (pos < list.size() && (list.get(pos).at() < f.at()
                || (list.get(pos).at() == f.at() && list.get(pos).attemptId().compareTo(f.attemptId()) < 0))) {
            pos++;
        }
        list.add(pos, f);
        int dropped = droppedFailures;
        while (list.size() > MAX_FAILURES) {
            list.remove(0);
            dropped++;
        }
        return new RenewalState(lastSuccessAt, lastSuccessId, List.copyOf(list), dropped);
    }

    /**
     * The aggregation step: this state after one attempt (ordered by the attempt's own time). The
     * same state (equal) when the attempt is no verdict, a duplicate, or not newer than the last success.
     */
    RenewalState apply(dev.certflow.events.RenewalAttempt a) {
        boolean failure = a.getStatus() == dev.certflow.events.AttemptStatus.FAILED;
        if (!failure && a.getStatus() != dev.certflow.events.AttemptStatus.SUCCEEDED) {
            return this; // pending, running, cancelled, unknown: no verdict yet
        }
        long at = RenewalProcessor.attemptTime(a);
        if (seen(a.getAttemptId()) || (lastSuccessAt != null && at <= lastSuccessAt)) {
            return this; // duplicate, or older than the newest success: never undoes newer state
        }
        return failure
                ? withFailure(new Failure(a.getAttemptId(), at, a.getErrorCode(), a.getErrorMessage(), a.getAttemptType()))
                : withSuccess(a.getAttemptId(), at);
    }

    /** The failed-renewals row this state stands for, or null when no failure follows the last success. */
    dev.certflow.events.FailedRenewal row(dev.certflow.events.CertificateKey key, dev.certflow.events.Certificate c) {
        if (failures.isEmpty()) {
            return null;
        }
        Failure first = failures.get(0);
        Failure last = failures.get(failures.size() - 1);
        return dev.certflow.events.FailedRenewal.newBuilder()
                .setCertificateKey(key)
                .setCertificate(c)
                .setConsecutiveFailures(failures.size() + droppedFailures)
                .setFirstFailureAt(java.time.Instant.ofEpochMilli(first.at()))
                .setLastFailureAt(java.time.Instant.ofEpochMilli(last.at()))
                .setLastErrorCode(last.errorCode())
                .setLastErrorMessage(last.errorMessage())
                .setLastAttemptType(last.attemptType())
                .setLastAttemptId(last.attemptId())
                .build();
    }

    /** A success at {@code at}: forgets failures before it (later ones, which arrived early, stay). */
    RenewalState withSuccess(String attemptId, long at) {
        List<Failure> later = failures.stream().filter(f -> f.at() > at).toList();
        return new RenewalState(at, attemptId, later, 0);
    }
}
