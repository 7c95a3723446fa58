package dev.certflow.ingest;

import dev.certflow.events.PollOutcome;

import java.time.Duration;

/** What one poll did; the same numbers go to {@code source-status} and the meters. */
public record PollResult(String source, PollOutcome outcome, String errorKind, String errorMessage, Duration retryAfter,
                         int seen, int changed, int removed, int attemptsPublished, int itemErrors, Duration took) {
}
