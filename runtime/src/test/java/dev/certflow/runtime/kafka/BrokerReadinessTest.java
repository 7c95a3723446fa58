package dev.certflow.runtime.kafka;

import org.junit.jupiter.api.Test;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The readiness rule, one check at a time: DOWN until the first answer, DOWN after N failures in a row, UP at the next answer. */
class BrokerReadinessTest {

    /** A probe that answers (1 node) or fails as scripted. */
    private static BrokerReadiness scripted(int failures, Deque<Boolean> answers) {
        return new BrokerReadiness("test", () -> {
            if (!answers.removeFirst()) {
                throw new org.apache.kafka.common.errors.TimeoutException("Timed out waiting for a node assignment. Call: describeCluster");
            }
            return 1;
        }, failures, () -> { });
    }

    private static List<Boolean> states(BrokerReadiness r, int checks) {
        List<Boolean> out = new java.util.ArrayList<>();
        for (int i = 0; i < checks; i++) {
            r.check();
            out.add(r.ready());
        }
        return out;
    }

    @Test
    void notReadyUntilTheFirstAnswerThenDownOnlyAfterTheConfiguredFailuresInARow() throws Exception {
        var answers = new ArrayDeque<>(List.of(false, true, false, true, false, false, false, true));
        try (BrokerReadiness r = scripted(2, answers)) {
            assertThat(r.ready()).isFalse();
            // never answered: down; answers: up; one failure: still up; answers; two failures: down; a third: down; answers: up
            assertThat(states(r, 8)).containsExactly(false, true, true, true, true, false, false, true);
        }
    }

    @Test
    void oneFailureIsEnoughWhenConfiguredSo() throws Exception {
        try (BrokerReadiness r = scripted(1, new ArrayDeque<>(List.of(true, false, true)))) {
            assertThat(states(r, 3)).containsExactly(true, false, true);
        }
    }

    @Test
    void aClusterWithoutBrokersIsNotAnAnswer() throws Exception {
        try (BrokerReadiness r = new BrokerReadiness("test", () -> 0, 1, () -> { })) {
            r.check();
            assertThat(r.ready()).isFalse();
        }
    }

    @Test
    void refusesFewerThanOneFailure() {
        assertThatThrownBy(() -> new BrokerReadiness("test", () -> 1, 0, () -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("failures must be at least 1, was 0");
    }
}
