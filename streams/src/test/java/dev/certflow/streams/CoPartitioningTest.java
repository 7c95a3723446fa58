package dev.certflow.streams;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;

/** Which topics the topology reads together, found from the topology itself, and the message for a mismatch. */
class CoPartitioningTest {

    @Test
    void theTopologyReadsCertificatesRenewalAttemptsAndNameMatchesTogetherAndNothingElse() {
        try (Harness h = new Harness()) {
            List<CoPartitioning.Group> groups = CoPartitioning.groups(CertflowTopology.buildTopology(h.topics, h.settings, h.metrics).describe());
            assertThat(groups).hasSize(1);
            assertThat(groups.get(0).topics()).containsExactlyInAnyOrder(h.topics.certificates().name(), h.topics.renewalAttempts().name(),
                    h.topics.certificateNameMatches().name());
            assertThat(groups.get(0).processors()).containsExactlyInAnyOrder(Names.CERTIFICATE_PROCESSOR, Names.RENEWAL_PROCESSOR,
                    Names.MATCH_PROCESSOR);
        }
    }

    @Test
    void onlyExistingTopicsWithDifferentCountsAreProblems() {
        CoPartitioning.Group g = new CoPartitioning.Group(0, new java.util.TreeSet<>(Set.of("certificates", "renewal-attempts")),
                new java.util.TreeSet<>(Set.of("certificate-processor", "renewal-processor")));
        assertThat(CoPartitioning.problems(List.of(g), Map.of("certificates", 6, "renewal-attempts", 6))).isEmpty();
        assertThat(CoPartitioning.problems(List.of(g), Map.of("certificates", 6))).isEmpty(); // the other one is created later
        assertThat(CoPartitioning.problems(List.of(g), Map.of("certificates", 6, "renewal-attempts", 4))).singleElement().asString()
                .contains("certificates (6 partitions) and renewal-attempts (4 partitions)")
                .contains("certificate-processor, renewal-processor");
    }
}
