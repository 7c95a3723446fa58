package dev.certflow.ingest;

import dev.certflow.events.PollOutcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

class SchedulingTest {
    static final Duration INTERVAL = Duration.ofMinutes(5);
    static final Duration FIRST = Duration.ofSeconds(15);

    static PollResult result(PollOutcome outcome, Duration retryAfter) {
        return new PollResult("s", outcome, outcome == PollOutcome.FAILED ? "http_5xx" : null, null, retryAfter, 0, 0, 0, 0, 0, Duration.ZERO);
    }

    @Test
    void successWaitsTheInterval() {
        assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 0, result(PollOutcome.SUCCESS, null))).isEqualTo(INTERVAL);
        assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 0, result(PollOutcome.PARTIAL, null))).isEqualTo(INTERVAL);
    }

    @Test
    void failuresBackOffExponentiallyWithJitterUpToTheInterval() {
        for (int i = 0; i < 50; i++) {
            assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 1, result(PollOutcome.FAILED, null))).isBetween(Duration.ofMillis(7500), FIRST);
            assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 3, result(PollOutcome.FAILED, null))).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(60));
            assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 20, result(PollOutcome.FAILED, null))).isBetween(INTERVAL.dividedBy(2), INTERVAL);
        }
    }

    @Test
    void retryAfterIsHonouredEvenBeyondTheBackoff() {
        assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 1, result(PollOutcome.FAILED, Duration.ofMinutes(10)))).isEqualTo(Duration.ofMinutes(10));
        assertThat(SourceWorker.nextDelay(INTERVAL, FIRST, 1, result(PollOutcome.FAILED, Duration.ofSeconds(1)))).isBetween(Duration.ofMillis(7500), FIRST);
    }
}
