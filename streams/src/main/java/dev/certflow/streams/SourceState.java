package dev.certflow.streams;

/**
 * Per-source poll history for SOURCE_DOWN: consecutive failed polls counted by this application
 * (ordered by poll start; older or repeated polls are ignored) and when the failing run began.
 */
record SourceState(long lastPollStartedAt, int consecutiveFailures, long firstFailureAt) {
}
