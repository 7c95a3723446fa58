package dev.certflow.streams;

import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.state.RocksDBConfigSetter;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Cache;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.WriteBufferManager;

import java.util.HashSet;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Bounds the off-heap memory of every RocksDB store of a Kafka Streams instance: all stores (every
 * store x every partition) share one LRU block cache of {@value #CACHE_BYTES} bytes, and their
 * memtables are charged to that same cache through one {@link WriteBufferManager} of
 * {@value #MEMTABLE_BYTES} bytes, so index and filter blocks, data blocks and memtables together stay
 * within the cache size (Kafka Streams' defaults give each store its own 50 MiB cache and up to
 * 3 x 16 MiB memtables, unbounded in the number of stores). Set by {@link StreamsProperties} from
 * {@code streams.rocksdb}.
 */
public final class BoundedRocksDbConfig implements RocksDBConfigSetter {
    /** Total bytes of the shared block cache (memtables included). */
    public static final String CACHE_BYTES = "certflow.rocksdb.cache.bytes";
    /** Bytes of the cache the memtables may take. */
    public static final String MEMTABLE_BYTES = "certflow.rocksdb.memtable.bytes";
    /** How many stores this instance may open at most (the topology's stores x partitions), set by {@link StreamsApp}. */
    public static final String STORES = "certflow.rocksdb.stores";
    /** Share of the cache kept for index and filter blocks (high priority), so they are not evicted by data blocks. */
    private static final double INDEX_FILTER_RATIO = 0.1;
    private static final long BLOCK_SIZE = 16 * 1024;
    private static final int MEMTABLES_PER_STORE = 3;
    /**
     * The unit in which a memtable takes memory, and so is charged to the write buffer manager (RocksDB's
     * default is the write buffer size / 8, up to 1 MiB per memtable as soon as it holds a record; every store
     * has two column families since Kafka Streams keeps its offsets in the store).
     */
    static final long ARENA_BLOCK_BYTES = 64 * 1024;
    /** RocksDB's smallest write buffer. */
    private static final long MIN_WRITE_BUFFER_BYTES = 64 * 1024;

    /** The shared cache and write buffer manager, one per size pair, for the life of the JVM (stores come and go with rebalances). */
    record Shared(Cache cache, WriteBufferManager writeBuffers) {
    }

    private static final Map<String, Shared> SHARED = new ConcurrentHashMap<>();

    /** The cache and write buffer manager of this size pair (one for every store of every instance in this JVM with these sizes). */
    static Shared shared(long cacheBytes, long memtableBytes) {
        return SHARED.computeIfAbsent(cacheBytes + "/" + memtableBytes, k -> {
            Cache cache = new LRUCache(cacheBytes, -1, false, INDEX_FILTER_RATIO);
            return new Shared(cache, new WriteBufferManager(memtableBytes, cache));
        });
    }

    @Override
    public void setConfig(String storeName, Options options, Map<String, Object> configs) {
        long cacheBytes = bytes(configs, CACHE_BYTES);
        long memtableBytes = bytes(configs, MEMTABLE_BYTES);
        Shared shared = shared(cacheBytes, memtableBytes);
        BlockBasedTableConfig table = (BlockBasedTableConfig) options.tableFormatConfig();
        table.setBlockCache(shared.cache());
        table.setCacheIndexAndFilterBlocks(true);
        table.setCacheIndexAndFilterBlocksWithHighPriority(true);
        table.setPinTopLevelIndexAndFilter(true);
        table.setBlockSize(BLOCK_SIZE);
        options.setTableFormatConfig(table);
        options.setWriteBufferManager(shared.writeBuffers());
        // one memtable may fill while the others flush; the manager caps their sum across stores
        options.setMaxWriteBufferNumber(MEMTABLES_PER_STORE);
        options.setWriteBufferSize(writeBufferBytes(memtableBytes, stores(configs)));
        options.setArenaBlockSize(ARENA_BLOCK_BYTES);
    }

    /**
     * Each store's memtable size: small enough that all of them filling at once stay under half the
     * budget, so each store flushes a full memtable on its own and the write buffer manager never has to.
     * When the manager must (its budget reached), it flushes whatever memtable the store being written
     * holds, often a few records: with 20 stores x 6 partitions and 16 MiB memtables that happened on
     * nearly every write once the stores held more than the budget (thousands of tiny SST files per
     * store and minute, write stalls, transactions timed out by the broker).
     */
    static long writeBufferBytes(long memtableBytes, long stores) {
        return Math.max(MIN_WRITE_BUFFER_BYTES, Math.min(memtableBytes / MEMTABLES_PER_STORE, memtableBytes / (2 * stores)));
    }

    /** The stores this instance may open (1 when not set: a single store may take a third of the budget). */
    private static long stores(Map<String, Object> configs) {
        Object v = configs.get(STORES);
        return v == null ? 1 : Math.max(1, Long.parseLong(v.toString().trim()));
    }

    /** Every state store the topology has (global ones once), times the partitions of the other ones: the most one instance can hold. */
    public static long storesAtMost(TopologyDescription topology, int partitions) {
        Set<String> local = new HashSet<>();
        for (TopologyDescription.Subtopology sub : topology.subtopologies()) {
            for (TopologyDescription.Node node : sub.nodes()) {
                if (node instanceof TopologyDescription.Processor p) {
                    local.addAll(p.stores());
                }
            }
        }
        return (long) local.size() * partitions + topology.globalStores().size();
    }

    @Override
    public void close(String storeName, Options options) {
        // the cache and the write buffer manager are shared by every store: not closed with one of them
    }

    private static long bytes(Map<String, Object> configs, String key) {
        Object v = configs.get(key);
        if (v == null) {
            throw new IllegalStateException("Kafka Streams property " + key + " is missing (StreamsProperties sets it from streams.rocksdb)");
        }
        try {
            long n = v instanceof Number num ? num.longValue() : Long.parseLong(v.toString().trim());
            if (n <= 0) {
                throw new NumberFormatException("not positive");
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalStateException("Kafka Streams property " + key + ": '" + v + "' is not a positive number of bytes", e);
        }
    }
}
