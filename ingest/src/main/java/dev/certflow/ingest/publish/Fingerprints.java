package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumWriter;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;

/**
 * The content fingerprint of a normalised certificate: SHA-256 (first 16 bytes, hex) of its Avro
 * binary form with {@code observedAt} cleared, so only a real change makes a new record. Attribute
 * maps are built sorted by the clients, so equal content encodes equally. Not thread-safe: one per worker.
 */
public final class Fingerprints {
    private final SpecificDatumWriter<Certificate> writer = new SpecificDatumWriter<>(Certificate.class);
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

    public String of(Certificate certificate) {
        Instant observed = certificate.getObservedAt();
        certificate.setObservedAt(Instant.EPOCH);
        try {
            buffer.reset();
            encoder = EncoderFactory.get().binaryEncoder(buffer, encoder);
            writer.write(certificate, encoder);
            encoder.flush();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            certificate.setObservedAt(observed);
        }
        byte[] digest = sha.digest(buffer.toByteArray());
        return HexFormat.of().formatHex(digest, 0, 16);
    }
}
