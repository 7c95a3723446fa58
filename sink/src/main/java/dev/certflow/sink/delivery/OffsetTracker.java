package dev.certflow.sink.delivery;

import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Which records have an outcome on every channel they went to. The committable offset of a
 * partition is the first record still waiting (or one past the last record), so an offset is
 * never committed past an alert whose delivery is not recorded, however the channels interleave.
 */
final class OffsetTracker {
    /** Per partition: offset -> channels still working on it. */
    private final Map<TopicPartition, TreeMap<Long, Integer>> pending = new HashMap<>();
    private final Map<TopicPartition, Long> highest = new HashMap<>();
    private final Map<TopicPartition, Long> committed = new HashMap<>();
    private int open;

    synchronized void register(TopicPartition tp, long offset, int tasks) {
        highest.merge(tp, offset, Math::max);
        if (tasks > 0) {
            pending.computeIfAbsent(tp, k -> new TreeMap<>()).put(offset, tasks);
            open++;
        }
    }

    synchronized void complete(TopicPartition tp, long offset) {
        TreeMap<Long, Integer> p = pending.get(tp);
        if (p == null || !p.containsKey(offset)) {
            return; // partition revoked meanwhile: the new owner redelivers
        }
        int left = p.get(offset) - 1;
        if (left == 0) {
            p.remove(offset);
            open--;
        } else {
            p.put(offset, left);
        }
    }

    /** Offsets that advanced since the last call. */
    synchronized Map<TopicPartition, OffsetAndMetadata> committable() {
        Map<TopicPartition, OffsetAndMetadata> out = new HashMap<>();
        for (var e : highest.entrySet()) {
            TopicPartition tp = e.getKey();
            TreeMap<Long, Integer> p = pending.get(tp);
            long next = p == null || p.isEmpty() ? e.getValue() + 1 : p.firstKey();
            Long last = committed.get(tp);
            if (last == null || next > last) {
                out.put(tp, new OffsetAndMetadata(next));
            }
        }
        return out;
    }

    /** Marks {@code offsets} (from {@link #committable}) committed: only after the commit succeeded, so a failed one is retried. */
    synchronized void committed(Map<TopicPartition, OffsetAndMetadata> offsets) {
        offsets.forEach((tp, o) -> {
            if (highest.containsKey(tp)) { // not revoked meanwhile
                committed.merge(tp, o.offset(), Math::max);
            }
        });
    }

    /** Forgets revoked partitions (their unfinished records are redelivered to the next owner). */
    synchronized void forget(Collection<TopicPartition> partitions) {
        for (TopicPartition tp : partitions) {
            TreeMap<Long, Integer> p = pending.remove(tp);
            if (p != null) {
                open -= p.size();
            }
            highest.remove(tp);
            committed.remove(tp);
        }
    }

    synchronized int open() {
        return open;
    }
}
