package dev.certflow.streams;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.processor.StateRestoreListener;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts what Kafka Streams restores from changelogs (and global stores from their topics), per store:
 * {@code certflow.streams.restored.records{store}}, and logs one line per restored store partition
 * (when it starts: the offsets it restores from and to; when it ends or is suspended: the records
 * restored). A clean restart on the same state directory restores (nearly) nothing; a full restore
 * after one means the local state was thrown away (an unclean stop under exactly-once, a lost state
 * directory), which the fault-injection suite checks with this counter.
 */
final class RestoreMetrics implements StateRestoreListener {
    private static final Logger LOG = LoggerFactory.getLogger(RestoreMetrics.class);
    static final String RESTORED = "certflow.streams.restored.records";

    private final MeterRegistry registry;
    // records restored so far per changelog partition, for the end-of-restore line
    private final Map<TopicPartition, AtomicLong> running = new ConcurrentHashMap<>();

    /** Registers the counter of every store of {@code topology} at 0, so the family is exported before any restore. */
    RestoreMetrics(MeterRegistry registry, TopologyDescription topology) {
        this.registry = registry;
        stores(topology).forEach(this::counter);
    }

    static Set<String> stores(TopologyDescription topology) {
        Set<String> out = new TreeSet<>();
        for (TopologyDescription.Subtopology s : topology.subtopologies()) {
            for (TopologyDescription.Node n : s.nodes()) {
                if (n instanceof TopologyDescription.Processor p) {
                    out.addAll(p.stores());
                }
            }
        }
        topology.globalStores().forEach(g -> out.addAll(g.processor().stores()));
        return out;
    }

    private Counter counter(String store) {
        return Counter.builder(RESTORED).description("Records restored into a state store from its changelog (or a global store from its topic)")
                .tag("store", store).register(registry);
    }

    @Override
    public void onRestoreStart(TopicPartition partition, String store, long startingOffset, long endingOffset) {
        running.put(partition, new AtomicLong());
        LOG.info("Restoring store {} partition {} from {} offset {} to {}", store, partition.partition(), partition.topic(),
                startingOffset, endingOffset);
    }

    @Override
    public void onBatchRestored(TopicPartition partition, String store, long batchEndOffset, long numRestored) {
        counter(store).increment(numRestored);
        running.computeIfAbsent(partition, p -> new AtomicLong()).addAndGet(numRestored);
    }

    @Override
    public void onRestoreEnd(TopicPartition partition, String store, long totalRestored) {
        running.remove(partition);
        LOG.info("Restored store {} partition {}: {} records", store, partition.partition(), totalRestored);
    }

    @Override
    public void onRestoreSuspended(TopicPartition partition, String store, long totalRestored) {
        AtomicLong n = running.remove(partition);
        LOG.info("Restore of store {} partition {} suspended (task migrated or closed) after {} records", store, partition.partition(),
                n == null ? totalRestored : n.get());
    }
}
