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

    /** A success at {@code at}: forgets failures before it (later ones, which arrived early, stay). */
    RenewalState withSuccess(String attemptId, long at) {
        List<Failure> later = failures.stream().filter(f -> f.at() > at).toList();
        return new RenewalState(at, attemptId, later, 0);
    }
}
