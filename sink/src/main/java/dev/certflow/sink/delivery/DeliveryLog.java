package dev.certflow.sink.delivery;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Writes every delivery attempt to {@code delivery_attempts}. The channels {@link #submit} their
 * rows and go on sending; one writer thread stores what has queued up meanwhile in one batched
 * INSERT (the driver rewrites it into multi-row statements) and completes each row's future once
 * the row is committed. The delivery moves its offset past an alert only on that future, so a
 * database outage holds the offsets back (the writer retries) instead of losing rows.
 */
public final class DeliveryLog implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(DeliveryLog.class);
    /** Rows in one INSERT at most. */
    static final int MAX_BATCH = 500;
    private static final String INSERT = "INSERT INTO delivery_attempts (alert_id, alert_status, channel, channel_type, attempt, "
            + "outcome, http_status, error, resend, duration_ms, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    /** Outcomes as stored (the table's CHECK constraint lists the same words). */
    public enum Outcome { DELIVERED, RETRYING, FAILED, DEAD_LETTERED }

    /** One attempt as stored. */
    public record Row(String alertId, String alertStatus, String channel, String channelType, int attempt, Outcome outcome,
                      Integer httpStatus, String error, boolean resend, long durationMs, Instant at) {
    }

    private record Pending(Row row, CompletableFuture<Void> stored) {
    }

    private final DataSource dataSource;
    private final BlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private Thread writer;

    public DeliveryLog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    /** Stores one row now (no queue). */
    public void record(String alertId, String alertStatus, String channel, String channelType, int attempt, Outcome outcome,
                       Integer httpStatus, String error, boolean resend, long durationMs, Instant at) throws SQLException {
        write(List.of(new Row(alertId, alertStatus, channel, channelType, attempt, outcome, httpStatus, error, resend, durationMs, at)));
    }

    /** Queues a row; the future completes once it is committed (never, if the log closes first). */
    public CompletableFuture<Void> submit(Row row) {
        ensureWriter();
        CompletableFuture<Void> stored = new CompletableFuture<>();
        queue.add(new Pending(row, stored));
        return stored;
    }

    /** Rows queued and not yet committed. */
    public int queued() {
        return queue.size();
    }

    private synchronized void ensureWriter() {
        if (writer == null && closing.getCount() > 0) {
            writer = new Thread(this::run, "sink-delivery-log");
            writer.setDaemon(true);
            writer.start();
        }
    }

    private void run() {
        List<Pending> batch = new ArrayList<>();
        while (closing.getCount() > 0 || !queue.isEmpty()) {
            try {
                Pending first = queue.poll(200, TimeUnit.MILLISECONDS);
                if (first == null) {
                    continue;
                }
                batch.add(first);
            } catch (InterruptedException e) {
                return;
            }
            queue.drainTo(batch, MAX_BATCH - 1);
            if (!flush(batch)) {
                return; // closing while the database is away: these rows stay unrecorded, their alerts uncommitted
            }
            batch.clear();
        }
    }

    /** Writes the batch, retrying while the database is away; false when closing interrupted that. */
    private boolean flush(List<Pending> batch) {
        List<Row> rows = batch.stream().map(Pending::row).toList();
        while (true) {
            try {
                write(rows);
                batch.forEach(p -> p.stored().complete(null));
                return true;
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Cannot record {} delivery attempts ({}); retrying", rows.size(), e.getClass().getSimpleName());
                try {
                    if (closing.await(1, TimeUnit.SECONDS)) {
                        return false;
                    }
                } catch (InterruptedException ie) {
                    return false;
                }
            }
        }
    }

    private void write(List<Row> rows) throws SQLException {
        try (Connection c = dataSource.getConnection()) {
            c.setAutoCommit(false); // all rows of the batch or none: their futures complete together
            try (PreparedStatement ps = c.prepareStatement(INSERT)) {
                insert(ps, rows);
                c.commit();
            } catch (SQLException | RuntimeException e) {
                c.rollback();
                throw e;
            } finally {
                c.setAutoCommit(true);
            }
        }
    }

    private static void insert(PreparedStatement ps, List<Row> rows) throws SQLException {
        for (Row r : rows) {
            ps.setString(1, r.alertId());
            ps.setString(2, r.alertStatus());
            ps.setString(3, r.channel());
            ps.setString(4, r.channelType());
            ps.setInt(5, r.attempt());
            ps.setString(6, r.outcome().name());
            if (r.httpStatus() == null) {
                ps.setNull(7, Types.INTEGER);
            } else {
                ps.setInt(7, r.httpStatus());
            }
            ps.setString(8, r.error());
            ps.setBoolean(9, r.resend());
            ps.setLong(10, Math.max(0, r.durationMs()));
            ps.setObject(11, OffsetDateTime.ofInstant(r.at(), ZoneOffset.UTC));
            ps.addBatch();
        }
        ps.executeBatch();
    }

    /** Stores what is queued (one try per batch), then stops the writer. */
    @Override
    public void close() {
        closing.countDown();
        Thread w;
        synchronized (this) {
            w = writer;
        }
        if (w != null) {
            try {
                w.join(TimeUnit.SECONDS.toMillis(10));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
