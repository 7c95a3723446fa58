package dev.certflow.streams;

import org.apache.kafka.common.utils.Bytes;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * Keys of the time-ordered index stores: 8 bytes big-endian time (sign bit flipped so unsigned
 * byte order equals numeric order, also before 1970) followed by the certificate key in UTF-8.
 * A range scan up to {@link #upTo(long)} visits exactly the entries due at or before an instant.
 */
public final class TimeIndex {
    private TimeIndex() {
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
