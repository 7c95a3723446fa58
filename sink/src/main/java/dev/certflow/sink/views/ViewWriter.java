package dev.certflow.sink.views;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.ConsumerWorker;
import dev.certflow.sink.DeadLetterProducer;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.SinkConfig;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Keeps the PostgreSQL views up to date, exactly once: each poll's records are written in one
 * transaction together with the next offset of every partition (table {@code kafka_offsets}),
 * and on every partition assignment the consumer seeks to the offsets stored there. A crash
 * anywhere (between writes, or between the database commit and the Kafka commit) therefore
 * replays exactly the records whose rows were not committed. The Kafka commit that follows is
 * only for lag monitoring tools.
 *
 * <p>Within a batch, the records of a compacted topic are de-duplicated by key (the last one
 * wins; a tombstone deletes the row). A record that cannot be read, or that the database
 * refuses, goes to the dead-letter topic and the rest of the batch is written.
 */
public final class ViewWriter implements AutoCloseable, ConsumerWorker.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(ViewWriter.class);
    static final String APPLICATION = "certflow-sink-views";

    private final SinkConfig config;
    private final DataSource dataSource;
    private final FaultHook faults;
    private final String groupId;
    private final Map<String, Source<?>> sources = new LinkedHashMap<>();
    private final Map<String, Counter> upserted = new HashMap<>();
    private final Map<String, Counter> deleted = new HashMap<>();
    private final Counter deadLettered;
    private final ConsumerWorker worker;

    /**
     * One input topic: its deserializer, its table, whether it is a compacted (keyed) table, and for an
     * event topic whose rows have their own identity (attempts: certificate and attempt id), that identity
     * (null: every record is a row of its own).
     */
    private record Source<V>(String topic, Deserializer<V> deserializer, ViewTables.Table<V> table, boolean compacted,
                             Function<ConsumerRecord<String, V>, String> rowId) {
    }

    public ViewWriter(KafkaSettings kafka, SinkConfig config, DataSource dataSource, MeterRegistry registry, FaultHook faults) {
        this.config = config;
        this.dataSource = dataSource;
        this.faults = faults == null ? FaultHook.NONE : faults;
        this.groupId = kafka.topicPrefix + config.groupId + "-views";
        Topics topics = kafka.topics();
        add(topics.certificates(), ViewTables.CERTIFICATES, true);
        add(topics.certificatesExpiring(), ViewTables.EXPIRING, true);
        add(topics.renewalsFailed(), ViewTables.FAILED, true);
        add(topics.sourceStatus(), ViewTables.SOURCE_STATUS, true);
        add(topics.certificateRenewals(), ViewTables.RENEWALS, true);
        sources.put(topics.renewalAttempts().name(), new Source<>(topics.renewalAttempts().name(),
                topics.renewalAttempts().valueSerde().deserializer(), ViewTables.ATTEMPTS, false,
                r -> r.key() + '\n' + r.value().getAttemptId()));
        add(topics.certificateAlerts(), ViewTables.ALERT_HISTORY, false);
        for (Source<?> s : sources.values()) {
            upserted.put(s.table().name(), Counter.builder("certflow.sink.view.rows.upserted").tag("table", s.table().name())
                    .description("Rows inserted or updated in the PostgreSQL views").register(registry));
            deleted.put(s.table().name(), Counter.builder("certflow.sink.view.rows.deleted").tag("table", s.table().name())
                    .description("Rows deleted from the PostgreSQL views by tombstones").register(registry));
        }
        deadLettered = Counter.builder("certflow.sink.view.dead.lettered").description("Records the view writer sent to the dead-letter topic").register(registry);
        this.worker = new ConsumerWorker("views", kafka, groupId, APPLICATION, sources.keySet(), config.batchSize, config.pollTimeout,
                registry, this);
    }

    private <V> void add(Topics.Topic<String, V> topic, ViewTables.Table<V> table, boolean compacted) {
        sources.put(topic.name(), new Source<>(topic.name(), topic.valueSerde().deserializer(), table, compacted, null));
    }

    public ViewWriter start() {
        worker.start();
        return this;
    }

    /** The consumer group whose offsets live in {@code kafka_offsets}. */
    public String groupId() {
        return groupId;
    }

    /** False once the writer died (a fatal error); {@code /health} reports it. */
    public boolean isHealthy() {
        return worker.isHealthy();
    }

    /** Completes once the consumer first holds partitions (positioned at the stored offsets). */
    public CompletableFuture<Void> assigned() {
        return worker.assigned();
    }

    public boolean isAlive() {
        return worker.isAlive();
    }

    @Override
    public void assigned(KafkaConsumer<String, byte[]> c, Collection<TopicPartition> partitions) {
        seekToStored(c, partitions);
    }

    // revoked: nothing to flush, every batch is committed to the database before the next poll

    @Override
    public void handle(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records, DeadLetterProducer dlq) {
        if (records.isEmpty()) {
            return;
        }
        try {
            Map<TopicPartition, OffsetAndMetadata> next = write(records, dlq);
            faults.reached(FaultHook.VIEWS_AFTER_DB_COMMIT);
            c.commitAsync(next, null);
        } catch (SQLException | RuntimeException e) {
            // database down or similar: nothing of this batch is committed; rewind to the stored offsets and retry
            LOG.warn("View batch of {} records not written ({}); retrying from the stored offsets", records.count(), e.toString());
            backoff();
            seekToStored(c, c.assignment());
        }
    }

    private void backoff() {
        try {
            TimeUnit.MILLISECONDS.sleep(Math.min(config.maxBackoff.toMillis(), 1000));
        } catch (InterruptedException ie) {
            Thread.currentThread().interrupt();
        }
    }

    private void seekToStored(KafkaConsumer<String, byte[]> c, Collection<TopicPartition> partitions) {
        if (partitions.isEmpty()) {
            return;
        }
        Map<TopicPartition, Long> stored = storedOffsets();
        List<TopicPartition> fromStart = new ArrayList<>();
        for (TopicPartition tp : partitions) {
            Long next = stored.get(tp);
            if (next != null) {
                c.seek(tp, next);
            } else {
                fromStart.add(tp); // no rows from it yet: the views are rebuilt from the beginning, whatever Kafka has committed
            }
        }
        if (!fromStart.isEmpty()) {
            c.seekToBeginning(fromStart);
        }
        LOG.info("View writer assigned {} partitions ({} resumed from PostgreSQL offsets)", partitions.size(), partitions.size() - fromStart.size());
    }

    /** The offsets stored for this group. */
    public Map<TopicPartition, Long> storedOffsets() {
        Map<TopicPartition, Long> out = new HashMap<>();
        try (Connection conn = dataSource.getConnection();
             PreparedStatement ps = conn.prepareStatement("SELECT topic, kafka_partition, next_offset FROM kafka_offsets WHERE consumer_group = ?")) {
            ps.setString(1, groupId);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    out.put(new TopicPartition(rs.getString(1), rs.getInt(2)), rs.getLong(3));
                }
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read the stored offsets of group " + groupId + ": " + e.getMessage(), e);
        }
        return out;
    }

    /**
     * Writes one poll's records and their offsets in one transaction; returns the offsets to commit to Kafka.
     * Public for the benchmark; {@code dlq} may be null when no record can be bad.
     */
    public Map<TopicPartition, OffsetAndMetadata> write(ConsumerRecords<String, byte[]> records, DeadLetterProducer dlq) throws SQLException {
        Map<TopicPartition, OffsetAndMetadata> next = new HashMap<>();
        Map<String, List<ConsumerRecord<String, byte[]>>> byTopic = new LinkedHashMap<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            byTopic.computeIfAbsent(r.topic(), t -> new ArrayList<>()).add(r);
            next.put(new TopicPartition(r.topic(), r.partition()), new OffsetAndMetadata(r.offset() + 1));
        }
        // the alert history last: its rows take the advisory lock the delivery's decisions take too (see V4__oncall.sql),
        // held until commit, so the delivery waits for this commit only, not for the whole batch's other tables
        List<Map.Entry<String, List<ConsumerRecord<String, byte[]>>>> order = new ArrayList<>(byTopic.entrySet());
        order.sort(java.util.Comparator.comparing(e -> sources.get(e.getKey()).table() == ViewTables.ALERT_HISTORY));
        Map<String, int[]> counts = new HashMap<>();
        try (Connection conn = dataSource.getConnection()) {
            conn.setAutoCommit(false);
            try {
                for (var e : order) {
                    Source<?> source = sources.get(e.getKey());
                    counts.put(source.table().name(), writeTopic(conn, source, e.getValue(), dlq));
                }
                faults.reached(FaultHook.VIEWS_AFTER_ROWS);
                storeOffsets(conn, next);
                conn.commit();
            } catch (SQLException | RuntimeException | Error e) {
                rollbackQuietly(conn);
                throw e;
            }
        }
        counts.forEach((table, c) -> {
            upserted.get(table).increment(c[0]);
            deleted.get(table).increment(c[1]);
        });
        return next;
    }

    private static void rollbackQuietly(Connection conn) {
        try {
            conn.rollback();
        } catch (SQLException ignored) {
            // the connection is gone; the transaction is gone with it
        }
    }

    /** Returns {upserted, deleted}. */
    private <V> int[] writeTopic(Connection conn, Source<V> source, List<ConsumerRecord<String, byte[]>> records,
                                 DeadLetterProducer dlq) throws SQLException {
        // last record per key wins within the batch (compacted topics); every record counts for the append-only history
        Map<String, ConsumerRecord<String, byte[]>> latest = new LinkedHashMap<>();
        List<ConsumerRecord<String, byte[]>> ordered = new ArrayList<>();
        if (source.compacted()) {
            for (ConsumerRecord<String, byte[]> r : records) {
                if (r.key() == null) {
                    deadLetter(dlq, r, new IllegalArgumentException("record on " + r.topic() + " has no key; the view needs one"), "processing");
                    continue;
                }
                latest.remove(r.key());
                latest.put(r.key(), r);
            }
            ordered.addAll(latest.values());
        } else {
            ordered.addAll(records);
        }
        List<ConsumerRecord<String, byte[]>> deletes = new ArrayList<>();
        List<ConsumerRecord<String, V>> upserts = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : ordered) {
            if (r.value() == null) {
                if (source.compacted()) {
                    deletes.add(r);
                }
                continue; // a tombstone on the alerts topic means nothing
            }
            V value;
            try {
                value = source.deserializer().deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                if (dev.certflow.schemas.registry.SchemaRegistryException.unavailable(e)) {
                    throw e; // the registry, not the record: the batch is rolled back and read again
                }
                deadLetter(dlq, r, e, "deserialization");
                continue;
            }
            upserts.add(new ConsumerRecord<>(r.topic(), r.partition(), r.offset(), r.key(), value));
        }
        if (source.rowId() != null) {
            // one statement per row: a batch rewritten into one multi-row upsert must not touch a row twice
            Map<String, ConsumerRecord<String, V>> last = new LinkedHashMap<>();
            for (ConsumerRecord<String, V> r : upserts) {
                String id = source.rowId().apply(r);
                last.remove(id);
                last.put(id, r);
            }
            upserts = new ArrayList<>(last.values());
        }
        int done = 0;
        if (!upserts.isEmpty()) {
            Savepoint sp = conn.setSavepoint();
            try (PreparedStatement ps = conn.prepareStatement(source.table().upsertSql())) {
                for (var r : upserts) {
                    source.table().binder().bind(ps, r.key(), r.value(), r.topic(), r.partition(), r.offset());
                    ps.addBatch();
                }
                ps.executeBatch();
                done = upserts.size();
            } catch (SQLException e) {
                if (!isDataError(e)) {
                    throw e;
                }
                // one row the database refuses must not stop the others: write them one by one, dead-letter the bad ones
                conn.rollback(sp);
                done = writeOneByOne(conn, source, upserts, records, dlq);
            }
        }
        int removed = 0;
        if (!deletes.isEmpty()) {
            try (PreparedStatement ps = conn.prepareStatement(source.table().deleteSql())) {
                for (var r : deletes) {
                    ps.setString(1, r.key());
                    ps.addBatch();
                }
                for (int n : ps.executeBatch()) {
                    removed += Math.max(n, 0);
                }
            }
        }
        return new int[]{done, removed};
    }

    private <V> int writeOneByOne(Connection conn, Source<V> source, List<ConsumerRecord<String, V>> upserts,
                                  List<ConsumerRecord<String, byte[]>> raw, DeadLetterProducer dlq) throws SQLException {
        int done = 0;
        try (PreparedStatement ps = conn.prepareStatement(source.table().upsertSql())) {
            for (var r : upserts) {
                Savepoint sp = conn.setSavepoint();
                try {
                    source.table().binder().bind(ps, r.key(), r.value(), r.topic(), r.partition(), r.offset());
                    ps.executeUpdate();
                    conn.releaseSavepoint(sp);
                    done++;
                } catch (SQLException e) {
                    if (!isDataError(e)) {
                        throw e;
                    }
                    conn.rollback(sp);
                    ConsumerRecord<String, byte[]> original = raw.stream().filter(x -> x.partition() == r.partition() && x.offset() == r.offset())
                            .findFirst().orElseThrow();
                    deadLetter(dlq, original, new IllegalArgumentException("table " + source.table().name() + " refused the record: "
                            + e.getMessage()), "processing");
                }
            }
        }
        return done;
    }

    /** SQLSTATE classes 22 (data exception) and 23 (integrity constraint violation): the row, not the database, is wrong. */
    private static boolean isDataError(SQLException e) {
        SQLException cur = e;
        while (cur != null) {
            String state = cur.getSQLState();
            if (state != null && (state.startsWith("22") || state.startsWith("23"))) {
                return true;
            }
            cur = cur.getNextException();
        }
        return false;
    }

    private void deadLetter(DeadLetterProducer dlq, ConsumerRecord<String, byte[]> r, Exception error, String stage) {
        // synchronous: the offset past this record is committed with the batch, so the DLQ copy must exist first
        dlq.deadLetter(r, error, stage);
        deadLettered.increment();
        LOG.warn("Record {}/{}@{} dead-lettered at stage {}: {}", r.topic(), r.partition(), r.offset(), stage, error.getClass().getSimpleName());
    }

    private void storeOffsets(Connection conn, Map<TopicPartition, OffsetAndMetadata> next) throws SQLException {
        try (PreparedStatement ps = conn.prepareStatement(
                "INSERT INTO kafka_offsets (consumer_group, topic, kafka_partition, next_offset, updated_at) VALUES (?, ?, ?, ?, now()) "
                        + "ON CONFLICT (consumer_group, topic, kafka_partition) DO UPDATE SET next_offset = EXCLUDED.next_offset, updated_at = now()")) {
            for (var e : next.entrySet()) {
                ps.setString(1, groupId);
                ps.setString(2, e.getKey().topic());
                ps.setInt(3, e.getKey().partition());
                ps.setLong(4, e.getValue().offset());
                ps.addBatch();
            }
            ps.executeBatch();
        }
    }

    @Override
    public void close() {
        worker.close();
    }
}
