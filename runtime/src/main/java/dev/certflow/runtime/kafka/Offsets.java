package dev.certflow.runtime.kafka;

import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/** How far a consumer group is behind: the topics' end offsets against the group's committed offsets. */
public final class Offsets {
    private static final long TIMEOUT_SECONDS = 10;

    private Offsets() {
    }

    /** The end offset of every partition of {@code topics}. */
    public static Map<TopicPartition, Long> ends(Admin admin, Collection<String> topics)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetSpec> latest = new HashMap<>();
        admin.describeTopics(topics).allTopicNames().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).forEach((name, d) ->
                d.partitions().forEach(p -> latest.put(new TopicPartition(name, p.partition()), OffsetSpec.latest())));
        Map<TopicPartition, Long> ends = new HashMap<>();
        admin.listOffsets(latest).all().get(TIMEOUT_SECONDS, TimeUnit.SECONDS).forEach((tp, info) -> ends.put(tp, info.offset()));
        return ends;
    }

    /** Records up to {@code ends} that {@code group} has not committed: 0 once it has consumed all of them. */
    public static long behind(Admin admin, String group, Map<TopicPartition, Long> ends)
            throws ExecutionException, InterruptedException, TimeoutException {
        Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group)
                .partitionsToOffsetAndMetadata().get(TIMEOUT_SECONDS, TimeUnit.SECONDS);
        long behind = 0;
        for (var e : ends.entrySet()) {
            OffsetAndMetadata c = committed.get(e.getKey());
            behind += Math.max(0, e.getValue() - (c == null ? 0 : c.offset()));
        }
        return behind;
    }
}
