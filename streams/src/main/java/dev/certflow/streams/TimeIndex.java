package dev.certflow.streams;

import org.apache.kafka.common.utils.Bytes;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The time index of one task: when each certificate next changes state (its schedule, and the
 * time-ordered index the tick scans), and the expiry order the query API reads. Every boundary a
 * certificate has (expiry thresholds, expected renewal, overdue point, the expiry of what superseded
 * it) is one instant; only the earliest one after now is indexed, so a tick visits exactly the
 * certificates due.
 *
 * <p>Keys of the index stores: 8 bytes big-endian time (sign bit flipped so unsigned byte order
 * equals numeric order, also before 1970) followed by the certificate key in UTF-8. A range scan up
 * to {@link #upTo(long)} visits exactly the entries due at or before an instant.
 */
public final class TimeIndex {
    private static final byte[] EMPTY = new byte[0];

    /** Certificates due at a tick, and whether more were due than the tick may take. */
    record Due(List<String> keys, boolean truncated) {
    }

    private final KeyValueStore<String, Long> schedule;
    private final KeyValueStore<Bytes, byte[]> index;
    private final KeyValueStore<Bytes, byte[]> expiryOrder;
    /**
     * Everything before this instant has been handled by a tick of this task, so the next tick
     * starts its range scan here instead of at the beginning: it never walks over the deleted
     * entries of earlier ticks (RocksDB tombstones). In memory only; after a restart the first
     * tick starts from the beginning. Lowered when an entry is scheduled before it (clock skew).
     * The task's other processors schedule only after their "now", which is never before the last tick's.
     */
    private long scannedUpTo = Long.MIN_VALUE;

    TimeIndex(ProcessorContext<?, ?> context) {
        schedule = context.getStateStore(Names.SCHEDULE_STORE);
        index = context.getStateStore(Names.INDEX_STORE);
        expiryOrder = context.getStateStore(Names.EXPIRY_ORDER_STORE);
    }

    /** Schedules the certificate's next transition ({@link ExpiryRules#NEVER}: none). */
    void reschedule(String key, long next) {
        Long old = schedule.get(key);
        if (old != null && old == next) {
            return;
        }
        if (old != null) {
            index.delete(key(old, key));
        }
        if (next == ExpiryRules.NEVER) {
            if (old != null) {
                schedule.delete(key);
            }
        } else {
            index.put(key(next, key), EMPTY);
            schedule.put(key, next);
            if (next <= scannedUpTo) {
                scannedUpTo = next - 1;
            }
        }
    }

    /** Moves the certificate in the expiry order (null: not in it). */
    void reorder(String key, Long notAfterBefore, Long notAfterAfter) {
        if (Objects.equals(notAfterBefore, notAfterAfter)) {
            return;
        }
        if (notAfterBefore != null) {
            expiryOrder.delete(key(notAfterBefore, key));
        }
        if (notAfterAfter != null) {
            expiryOrder.put(key(notAfterAfter, key), EMPTY);
        }
    }

    /** Takes (and unschedules) at most {@code max} certificates due at or before {@code now}, earliest first. */
    Due takeDue(long now, int max) {
        List<Bytes> due = new ArrayList<>();
        boolean truncated;
        Bytes from = scannedUpTo == Long.MIN_VALUE ? first() : from(scannedUpTo + 1);
        try (KeyValueIterator<Bytes, byte[]> it = index.range(from, upTo(now))) {
            while (it.hasNext() && due.size() < max) {
                KeyValue<Bytes, byte[]> e = it.next();
                due.add(e.key);
            }
            truncated = it.hasNext();
        }
        List<String> keys = new ArrayList<>(due.size());
        for (Bytes k : due) {
            String key = certificateKey(k);
            index.delete(k);
            schedule.delete(key);
            keys.add(key);
        }
        if (!truncated) {
            scannedUpTo = Math.max(scannedUpTo, now);
        } // else: the rest is still due; the next tick scans from the same place
        return new Due(keys, truncated);
    }

    public static Bytes key(long time, String certificateKey) {
        byte[] k = certificateKey.getBytes(StandardCharsets.UTF_8);
        return Bytes.wrap(ByteBuffer.allocate(8 + k.length).putLong(time ^ Long.MIN_VALUE).put(k).array());
    }

    /** Lower bound of every key. */
    public static Bytes first() {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(0L).array());
    }

    /**
     * Inclusive upper bound for "time at or before {@code time}": the bare 8-byte prefix of
     * {@code time + 1}, smaller than every real key at {@code time + 1} (those have a suffix).
     */
    public static Bytes upTo(long time) {
        long t = time == Long.MAX_VALUE ? time : time + 1;
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(t ^ Long.MIN_VALUE).array());
    }

    /** Inclusive lower bound for "time at or after {@code time}": the bare 8-byte prefix of {@code time}. */
    public static Bytes from(long time) {
        return Bytes.wrap(ByteBuffer.allocate(8).putLong(time ^ Long.MIN_VALUE).array());
    }

    public static long time(Bytes key) {
        return ByteBuffer.wrap(key.get()).getLong() ^ Long.MIN_VALUE;
    }

    public static String certificateKey(Bytes key) {
        byte[] b = key.get();
        return new String(b, 8, b.length - 8, StandardCharsets.UTF_8);
    }
}
