package dev.certflow.streams;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.schemas.serde.AvroSerdeConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.streams.StreamsConfig;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;

/** Builds the Kafka Streams properties from the {@code kafka} and {@code streams} sections. */
public final class StreamsProperties {
    private static final long MIB = 1024L * 1024;
    /** The record cache of the stores built with caching (all threads together). */
    static final long RECORD_CACHE_BYTES = 16 * MIB;
    /** How long Kafka Streams' serdes wait for a schema registry that cannot answer before the task fails. */
    static final Duration REGISTRY_RETRY = Duration.ofSeconds(60);

    private StreamsProperties() {
    }

    /**
     * The serde settings of Kafka Streams' serdes (the topology's, its stores' and its outputs'): the registry's, and a
     * registry that blinks holds the stream thread a moment (well inside max.poll.interval.ms) rather than failing the
     * task, whose replaced thread would be a new group member waiting out the old one's session timeout.
     */
    public static Map<String, Object> serdeConfig(KafkaSettings kafka) {
        Map<String, Object> c = new HashMap<>(kafka.serdeConfig());
        c.put(AvroSerdeConfig.REGISTRY_RETRY_MAX_MS, REGISTRY_RETRY.toMillis());
        return c;
    }

    /** The topic declarations with {@link #serdeConfig(KafkaSettings)}. */
    public static Topics topics(KafkaSettings kafka) {
        return new Topics(kafka.topicPrefix, serdeConfig(kafka));
    }

    /**
     * @param applicationServer host:port of this instance's query API, or null
     * @param metrics           handed to the dead-letter handlers for their counter
     */
    public static Properties of(KafkaSettings kafka, StreamsSettings settings, String applicationServer, CertflowMetrics metrics) {
        Properties p = new Properties();
        p.putAll(kafka.common());
        p.putAll(serdeConfig(kafka));
        p.put(StreamsConfig.APPLICATION_ID_CONFIG, settings.applicationId);
        p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, settings.processingGuarantee);
        p.put(StreamsConfig.NUM_STANDBY_REPLICAS_CONFIG, settings.numStandbyReplicas);
        p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, settings.numStreamThreads);
        // only stores built withCachingEnabled use the record cache (fleet-counts: one changelog write per counter per
        // commit); at 0 bytes such a store evicted on every put, a changelog record per counter per certificate
        p.put(StreamsConfig.STATESTORE_CACHE_MAX_BYTES_CONFIG, RECORD_CACHE_BYTES);
        if (settings.commitInterval != null) {
            p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, settings.commitInterval.toMillis());
        }
        if (settings.stateDir != null) {
            p.put(StreamsConfig.STATE_DIR_CONFIG, settings.stateDir);
        }
        if (applicationServer != null) {
            p.put(StreamsConfig.APPLICATION_SERVER_CONFIG, applicationServer);
        }
        // RocksDB's defaults are per store and partition, unbounded in their number: one shared cache instead
        p.put(StreamsConfig.ROCKSDB_CONFIG_SETTER_CLASS_CONFIG, BoundedRocksDbConfig.class.getName());
        p.put(BoundedRocksDbConfig.CACHE_BYTES, settings.rocksdb.cacheMiB * MIB);
        p.put(BoundedRocksDbConfig.MEMTABLE_BYTES, settings.rocksdb.memtableMiB * MIB);
        p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
        // Kafka Streams writes uncompressed by default; every certflow producer uses one codec, one every client reads
        p.put(StreamsConfig.producerPrefix(ProducerConfig.COMPRESSION_TYPE_CONFIG), kafka.compressionType);
        p.put(StreamsConfig.DESERIALIZATION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Deserialization.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Processing.class.getName());
        p.put(StreamsConfig.PROCESSING_EXCEPTION_HANDLER_GLOBAL_ENABLED_CONFIG, true);
        p.put(StreamsConfig.PRODUCTION_EXCEPTION_HANDLER_CLASS_CONFIG, DeadLetterHandlers.Production.class.getName());
        p.put(DeadLetterHandlers.DLQ_TOPIC, kafka.topics().deadLetters().name());
        if (metrics != null) {
            p.put(DeadLetterHandlers.METRICS, metrics);
        }
        p.putAll(settings.properties);
        return p;
    }
}
