package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.kstream.Materialized;
import org.junit.jupiter.api.Test;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;

import java.util.List;
import java.util.Map;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Every state store of a streams instance shares one bounded block cache, its memtables charged to it. */
class BoundedRocksDbConfigTest {
    private static final long MIB = 1024L * 1024;

    private static Properties props(String... flags) {
        ConfigTree tree = ConfigLoader.load(null, Map.of(), List.of(flags));
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        kafka.schemaRegistryUrl = "mock://bounded-rocksdb";
        return StreamsProperties.of(kafka, tree.bind("streams", StreamsSettings.class), null, null);
    }

    @Test
    void streamsUsesTheBoundedSetterWithTheConfiguredSizes() {
        Properties defaults = props();
        assertThat(new StreamsConfig(defaults).getClass(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG)).isEqualTo(BoundedRocksDbConfig.class);
        assertThat(defaults).containsEntry(BoundedRocksDbConfig.CACHE_BYTES, 128 * MIB).containsEntry(BoundedRocksDbConfig.MEMTABLE_BYTES, 48 * MIB);
        assertThat(props("streams.rocksdb.cacheMiB=512", "streams.rocksdb.memtableMiB=100"))
                .containsEntry(BoundedRocksDbConfig.CACHE_BYTES, 512 * MIB).containsEntry(BoundedRocksDbConfig.MEMTABLE_BYTES, 100 * MIB);
    }

    @Test
    void everyStoreGetsTheOneSharedCacheAndWriteBufferManager() {
        RocksDB.loadLibrary();
        Map<String, Object> configs = Map.of(BoundedRocksDbConfig.CACHE_BYTES, 64 * MIB, BoundedRocksDbConfig.MEMTABLE_BYTES, 24 * MIB);
        BoundedRocksDbConfig setter = new BoundedRocksDbConfig();
        try (Options a = new Options().setTableFormatConfig(new BlockBasedTableConfig());
             Options b = new Options().setTableFormatConfig(new BlockBasedTableConfig())) {
            setter.setConfig("certificates-store", a, configs);
            new BoundedRocksDbConfig().setConfig("expiry-order-store", b, configs);
            BoundedRocksDbConfig.Shared shared = BoundedRocksDbConfig.shared(64 * MIB, 24 * MIB);
            assertThat(a.writeBufferManager()).isSameAs(shared.writeBuffers()).isSameAs(b.writeBufferManager());
            assertThat(a.writeBufferSize()).isEqualTo(8 * MIB);
            assertThat(a.maxWriteBufferNumber()).isEqualTo(3);
            // a memtable is charged to the manager per arena block: small blocks, or empty memtables fill the budget
            assertThat(a.arenaBlockSize()).isEqualTo(BoundedRocksDbConfig.ARENA_BLOCK_BYTES);
            BlockBasedTableConfig table = (BlockBasedTableConfig) a.tableFormatConfig();
            assertThat(table.cacheIndexAndFilterBlocks()).isTrue();
            assertThat(table.cacheIndexAndFilterBlocksWithHighPriority()).isTrue();
            setter.close("certificates-store", a);
            // closing one store leaves the shared objects usable for the others
            assertThat(shared.cache().isOwningHandle()).isTrue();
            assertThat(shared.writeBuffers().isOwningHandle()).isTrue();
        }
    }

    @Test
    void eachMemtableIsSizedSoThatAllOfThemStayUnderHalfTheBudget() {
        // 20 stores x 6 partitions + 2 global stores share 48 MiB: about 200 KiB each, so they flush themselves
        assertThat(BoundedRocksDbConfig.writeBufferBytes(48 * MIB, 122)).isEqualTo(48 * MIB / 244);
        assertThat(BoundedRocksDbConfig.writeBufferBytes(48 * MIB, 1)).isEqualTo(16 * MIB);
        assertThat(BoundedRocksDbConfig.writeBufferBytes(MIB, 1000)).as("RocksDB's smallest").isEqualTo(64 * 1024);
    }

    @Test
    void theStoreCountIsEveryStoreTimesThePartitionsPlusTheGlobalOnes() {
        StreamsBuilder b = new StreamsBuilder();
        b.table("in-a", Materialized.as("store-a"));
        b.table("in-b", Materialized.as("store-b"));
        b.globalTable("in-g", Materialized.as("store-g"));
        assertThat(BoundedRocksDbConfig.storesAtMost(b.build().describe(), 6)).isEqualTo(2 * 6 + 1);
    }

    @Test
    void missingOrBadSizesAreNamed() {
        BoundedRocksDbConfig setter = new BoundedRocksDbConfig();
        try (Options o = new Options().setTableFormatConfig(new BlockBasedTableConfig())) {
            assertThatThrownBy(() -> setter.setConfig("s", o, Map.of(BoundedRocksDbConfig.MEMTABLE_BYTES, "1")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining(BoundedRocksDbConfig.CACHE_BYTES).hasMessageContaining("missing");
            assertThatThrownBy(() -> setter.setConfig("s", o, Map.of(BoundedRocksDbConfig.CACHE_BYTES, "lots", BoundedRocksDbConfig.MEMTABLE_BYTES, "1")))
                    .isInstanceOf(IllegalStateException.class).hasMessageContaining("'lots'");
        }
    }

    @Test
    void memtablesMustFitInTheCache() {
        assertThatThrownBy(() -> props("streams.rocksdb.cacheMiB=64", "streams.rocksdb.memtableMiB=64"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.rocksdb.memtableMiB").hasMessageContaining("64");
        assertThatThrownBy(() -> props("streams.rocksdb.cacheMiB=4"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.rocksdb.cacheMiB").hasMessageContaining("4");
    }
}
