package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import org.apache.avro.Schema;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * The content fingerprint of a normalised certificate: SHA-256 (first 16 bytes, hex) of its Avro
 * binary form with {@code observedAt} cleared, so only a real change makes a new record. Attribute
 * maps are built sorted by the clients, so equal content encodes equally. Not thread-safe: one per worker.
 */
public final class Fingerprints {
    /** observedAt and attributes are the schema's last two fields: what {@link #of(Certificate, byte[], int)} relies on. */
    static final boolean SPLICEABLE = lastFieldsAreObservedAtAndAttributes(Certificate.getClassSchema());

    private final SpecificDatumWriter<Certificate> writer = new SpecificDatumWriter<>(Certificate.class);
    private final SpecificDatumWriter<Map<String, String>> attributesWriter =
            new SpecificDatumWriter<>(Certificate.getClassSchema().getField("attributes").schema());
    private final SpecificDatumReader<Map<String, String>> attributesReader =
            new SpecificDatumReader<>(Certificate.getClassSchema().getField("attributes").schema());
    private BinaryDecoder decoder;
    private final ByteArrayOutputStream buffer = new ByteArrayOutputStream(512);
    private final MessageDigest sha;
    private BinaryEncoder encoder;

    public Fingerprints() {
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Encodes the certificate (observedAt cleared) and hashes it. */
    public String of(Certificate certificate) {
        Instant observed = certificate.getObservedAt();
        certificate.setObservedAt(Instant.EPOCH);
        byte[] encoded;
        try {
            encoded = encode(writer, certificate);
        } finally {
            certificate.setObservedAt(observed);
        }
        byte[] digest = sha.digest(encoded);
        return HexFormat.of().formatHex(digest, 0, 16);
    }

    /**
     * The same fingerprint as {@link #of(Certificate)}, from {@code encoded}: the certificate's Avro
     * binary form as published, starting at {@code offset} (after the wire format's header). Saves
     * encoding every certificate twice (10 % of a first poll): the bytes are hashed with the
     * observedAt field's bytes replaced by those of {@link Instant#EPOCH} (a single 0). observedAt is
     * found from the end, before the attributes map; where the bytes there are not exactly those two
     * fields (another schema), the certificate is encoded again.
     */
    public String of(Certificate certificate, byte[] encoded, int offset) {
        Instant observed = certificate.getObservedAt();
        if (!SPLICEABLE || observed == null) {
            return of(certificate);
        }
        byte[] attributes = encode(attributesWriter, certificate.getAttributes());
        long millis = observed.toEpochMilli();
        int observedLength = varLongLength(millis);
        int observedAt = encoded.length - attributes.length - observedLength;
        if (observedAt < offset || readVarLong(encoded, observedAt) != millis
                || !sameAttributes(encoded, encoded.length - attributes.length, attributes, certificate.getAttributes())) {
            return of(certificate);
        }
        sha.update(encoded, offset, observedAt - offset);
        sha.update((byte) 0);
        sha.update(encoded, encoded.length - attributes.length, attributes.length); // as published, in its order
        return HexFormat.of().formatHex(sha.digest(), 0, 16);
    }

    /**
     * Whether the bytes from {@code at} on are {@code map} encoded: byte for byte as the publisher encodes it, or
     * (a certificate read back, its map decoded in another order: the same length) the same entries in another order.
     */
    private boolean sameAttributes(byte[] encoded, int at, byte[] reencoded, Map<String, String> map) {
        if (Arrays.equals(encoded, at, encoded.length, reencoded, 0, reencoded.length)) {
            return true;
        }
        try {
            decoder = DecoderFactory.get().binaryDecoder(encoded, at, encoded.length - at, decoder);
            return map.equals(attributesReader.read(null, decoder)) && decoder.isEnd();
        } catch (IOException | RuntimeException e) {
            return false;
        }
    }

    private <T> byte[] encode(SpecificDatumWriter<T> w, T datum) {
        try {
            buffer.reset();
            encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
            w.write(datum, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return buffer.toByteArray();
    }

    /** Bytes of Avro's zig-zag variable-length encoding of {@code v}. */
    static int varLongLength(long v) {
        long z = (v << 1) ^ (v >> 63);
        int n = 1;
        while ((z & ~0x7FL) != 0) {
            z >>>= 7;
            n++;
        }
        return n;
    }

    /** Avro's zig-zag variable-length long at {@code at}, or {@link Long#MIN_VALUE} when the bytes end first. */
    static long readVarLong(byte[] b, int at) {
        long z = 0;
        for (int shift = 0, i = at; shift < 64 && i < b.length; shift += 7, i++) {
            z |= (long) (b[i] & 0x7F) << shift;
            if ((b[i] & 0x80) == 0) {
                return (z >>> 1) ^ -(z & 1);
            }
        }
        return Long.MIN_VALUE;
    }

    private static boolean lastFieldsAreObservedAtAndAttributes(Schema schema) {
        List<Schema.Field> fields = schema.getFields();
        if (fields.size() < 2) {
            return false;
        }
        Schema observed = fields.get(fields.size() - 2).schema();
        Schema attributes = fields.get(fields.size() - 1).schema();
        return fields.get(fields.size() - 2).name().equals("observedAt") && observed.getType() == Schema.Type.LONG
                && fields.get(fields.size() - 1).name().equals("attributes") && attributes.getType() == Schema.Type.MAP
                && attributes.getValueType().getType() == Schema.Type.STRING;
    }
}
