package dev.certflow.sink.delivery;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The committable offsets: never past an unfinished delivery, and offered again until a commit succeeds. */
class OffsetTrackerTest {
    private static final TopicPartition TP = new TopicPartition("certificate-alerts", 0);

    @Test
    void anOffsetWhoseCommitFailedIsOfferedAgain() {
        OffsetTracker t = new OffsetTracker();
        t.register(TP, 0, 1);
        t.register(TP, 1, 1);
        assertThat(t.committable()).containsEntry(TP, new OffsetAndMetadata(0)); // nothing has an outcome yet
        t.complete(TP, 0);
        Map<TopicPartition, OffsetAndMetadata> first = t.committable();
        assertThat(first).containsEntry(TP, new OffsetAndMetadata(1));
        // the commit timed out (the broker away a minute): the same offset again next round
        assertThat(t.committable()).isEqualTo(first);
        t.committed(first);
        assertThat(t.committable()).isEmpty();
        t.complete(TP, 1);
        assertThat(t.committable()).containsEntry(TP, new OffsetAndMetadata(2));
        // a partition revoked meanwhile is not marked
        t.forget(List.of(TP));
        t.committed(Map.of(TP, new OffsetAndMetadata(2)));
        t.register(TP, 5, 0);
        assertThat(t.committable()).containsEntry(TP, new OffsetAndMetadata(6));
    }
}
