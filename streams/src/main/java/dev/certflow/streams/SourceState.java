package dev.certflow.streams;

/**
 * Per-source poll history for SOURCE_DOWN: consecutive failed polls counted by this application
 * (ordered by poll start; older or repeated polls are ignored) and when the failing run began.
 */
record SourceState(long lastPollStartedAt, int consecutiveFailures, long firstFailureAt) {
    /** The aggregation step: the state after one poll; {@code prev} itself when the poll is repeated or older. */
    static SourceState after(SourceState prev, dev.certflow.events.SourceStatus s) {
        long started = s.getPollStartedAt().toEpochMilli();
        if (prev != null && started <= prev.lastPollStartedAt()) {
            return prev;
        }
        boolean failed = s.getOutcome() == dev.certflow.events.PollOutcome.FAILED;
        int failures = failed ? (prev == null ? 0 : prev.consecutiveFailures()) + 1 : 0;
        long firstFailure = failed ? (failures == 1 ? started : prev.firstFailureAt()) : 0L;
        return new SourceState(started, failures, firstFailure);
    }
}
