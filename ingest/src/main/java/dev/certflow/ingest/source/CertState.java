package dev.certflow.ingest.source;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.events.SourceKind;

import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;

/**
 * What ingest last published for one certificate. Its fingerprint and expiry (and a Yeastar
 * certificate's status) are those of the certificate record on {@code certificates}; the attempt
 * progress (smoxy's last attempt, a Yeastar transition) is kept on {@code ingest-checkpoints} only
 * where the certificate record does not carry it ({@link #derived}, {@link #checkpointed}).
 * Ingest holds one for every certificate it knows, so it is stored compactly: the key's parts
 * without the Avro object, the fingerprint as two longs, the instants as seconds and nanos, the
 * source name, tenant and status shared with every other certificate that has them (an M1 heap
 * histogram at 940k certificates: 438 bytes a certificate as a record of objects, most of the
 * ingest heap).
 */
public final class CertState {
    private static final long NO_SECONDS = Long.MIN_VALUE;
    private static final HexFormat HEX = HexFormat.of();
    // fpText's value when the fingerprint is held as the two longs (compared by identity)
    private static final String PACKED = new String("packed");

    private final SourceKind kind;
    private final String sourceName;
    private final String tenant;
    private final String sourceId;
    // a fingerprint of 32 lower-case hex digits is held as two longs (fpText == PACKED); anything else (tests) as
    // text; none: fpText null
    private final long fpHigh;
    private final long fpLow;
    private final String fpText;
    private final String lastAttemptId;
    private final long startedSeconds;
    private final int startedNanos;
    private final String lastStatus;
    private final long notAfterSeconds;
    private final int notAfterNanos;
    private final boolean checkpointed;

    /**
     * @param key                  the certificate
     * @param fingerprint          of the last published normalised Certificate (null: none published)
     * @param lastAttemptId        newest attempt published (smoxy) or last derived attempt id (Yeastar)
     * @param lastAttemptStartedAt its start, when known
     * @param lastStatus           smoxy: status of that attempt; Yeastar: last apply_status
     * @param notAfter             expiry of the last published certificate, when known
     */
    public CertState(CertificateKey key, String fingerprint, String lastAttemptId, Instant lastAttemptStartedAt,
                     String lastStatus, Instant notAfter) {
        this(key, fingerprint, lastAttemptId, lastAttemptStartedAt, lastStatus, notAfter, false);
    }

    /** As the other constructor; {@code checkpointed}: an {@code ingest-checkpoints} record holds its attempt progress. */
    public CertState(CertificateKey key, String fingerprint, String lastAttemptId, Instant lastAttemptStartedAt,
                     String lastStatus, Instant notAfter, boolean checkpointed) {
        this.checkpointed = checkpointed;
        this.kind = key.getSourceKind();
        // a handful of distinct values, each held once
        this.sourceName = intern(key.getSourceName());
        this.tenant = intern(key.getTenant());
        this.sourceId = key.getSourceId();
        if (isHex32(fingerprint)) {
            this.fpHigh = HEX.fromHexDigitsToLong(fingerprint, 0, 16);
            this.fpLow = HEX.fromHexDigitsToLong(fingerprint, 16, 32);
            this.fpText = PACKED;
        } else {
            this.fpHigh = 0;
            this.fpLow = 0;
            this.fpText = fingerprint;
        }
        this.lastAttemptId = lastAttemptId;
        this.startedSeconds = lastAttemptStartedAt == null ? NO_SECONDS : lastAttemptStartedAt.getEpochSecond();
        this.startedNanos = lastAttemptStartedAt == null ? 0 : lastAttemptStartedAt.getNano();
        this.lastStatus = intern(lastStatus);
        this.notAfterSeconds = notAfter == null ? NO_SECONDS : notAfter.getEpochSecond();
        this.notAfterNanos = notAfter == null ? 0 : notAfter.getNano();
    }

    public static CertState from(IngestCheckpoint cp) {
        return new CertState(cp.getCertificateKey(), cp.getContentFingerprint(), cp.getLastAttemptId(),
                cp.getLastAttemptStartedAt(), cp.getLastStatus(), cp.getNotAfter(), true);
    }

    /**
     * What the published certificate record alone rebuilds, without a checkpoint: its fingerprint and
     * expiry, no attempt, and for Yeastar its status (the PBX's apply_status, which is the state's last
     * status there).
     */
    public static CertState derived(Certificate cert, String fingerprint) {
        CertificateKey key = cert.getKey();
        return new CertState(key, fingerprint, null, null, derivedStatus(cert), cert.getNotAfter(), false);
    }

    /** The last status a certificate record alone gives: a Yeastar certificate's status (its apply_status), else none. */
    private static String derivedStatus(Certificate cert) {
        return cert.getKey().getSourceKind() == SourceKind.YEASTAR ? cert.getStatus() : null;
    }

    /** Whether {@code cert}'s record alone rebuilds this state's attempt progress ({@link #derived}, without building it). */
    public boolean progressDerivableFrom(Certificate cert) {
        return lastAttemptId == null && startedSeconds == NO_SECONDS && Objects.equals(lastStatus, derivedStatus(cert));
    }

    /** This state's attempt progress with the fingerprint and expiry of the certificate record as published. */
    public CertState withCertificate(String fingerprint, Instant notAfter) {
        return new CertState(key(), fingerprint, lastAttemptId, lastAttemptStartedAt(), lastStatus, notAfter, checkpointed);
    }

    /** The same state, with or without a checkpoint record behind it. */
    public CertState checkpointed(boolean value) {
        return value == checkpointed ? this
                : new CertState(key(), fingerprint(), lastAttemptId, lastAttemptStartedAt(), lastStatus, notAfter(), value);
    }

    /** Whether an {@code ingest-checkpoints} record holds this certificate's attempt progress. */
    public boolean checkpointed() {
        return checkpointed;
    }

    /** The same attempt progress (what only a checkpoint can carry): last attempt id, its start, last status. */
    public boolean sameProgress(CertState o) {
        return o != null && Objects.equals(lastAttemptId, o.lastAttemptId) && startedSeconds == o.startedSeconds
                && startedNanos == o.startedNanos && Objects.equals(lastStatus, o.lastStatus);
    }

    public IngestCheckpoint toCheckpoint(Instant updatedAt) {
        return IngestCheckpoint.newBuilder()
                .setCertificateKey(key())
                .setContentFingerprint(fingerprint())
                .setLastAttemptId(lastAttemptId)
                .setLastAttemptStartedAt(lastAttemptStartedAt())
                .setLastStatus(lastStatus)
                .setNotAfter(notAfter())
                .setUpdatedAt(updatedAt)
                .build();
    }

    /** A new key object on every call: {@link #tenant()} where only the tenant is needed. */
    public CertificateKey key() {
        return new CertificateKey(kind, sourceName, tenant, sourceId);
    }

    public String tenant() {
        return tenant;
    }

    public String fingerprint() {
        return fpText == PACKED ? HEX.toHexDigits(fpHigh) + HEX.toHexDigits(fpLow) : fpText;
    }

    /** Whether {@code fingerprint} is the one held, without building its text. */
    public boolean hasFingerprint(String fingerprint) {
        if (fpText != PACKED) {
            return Objects.equals(fpText, fingerprint);
        }
        return isHex32(fingerprint) && HEX.fromHexDigitsToLong(fingerprint, 0, 16) == fpHigh
                && HEX.fromHexDigitsToLong(fingerprint, 16, 32) == fpLow;
    }

    public String lastAttemptId() {
        return lastAttemptId;
    }

    public Instant lastAttemptStartedAt() {
        return startedSeconds == NO_SECONDS ? null : Instant.ofEpochSecond(startedSeconds, startedNanos);
    }

    public String lastStatus() {
        return lastStatus;
    }

    public Instant notAfter() {
        return notAfterSeconds == NO_SECONDS ? null : Instant.ofEpochSecond(notAfterSeconds, notAfterNanos);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CertState s)) {
            return false;
        }
        return kind == s.kind && Objects.equals(sourceName, s.sourceName) && Objects.equals(tenant, s.tenant)
                && sourceId.equals(s.sourceId) && (fpText == PACKED) == (s.fpText == PACKED) && Objects.equals(fpText, s.fpText)
                && fpHigh == s.fpHigh && fpLow == s.fpLow
                && Objects.equals(lastAttemptId, s.lastAttemptId) && startedSeconds == s.startedSeconds
                && startedNanos == s.startedNanos && Objects.equals(lastStatus, s.lastStatus)
                && notAfterSeconds == s.notAfterSeconds && notAfterNanos == s.notAfterNanos && checkpointed == s.checkpointed;
    }

    @Override
    public int hashCode() {
        return Objects.hash(kind, sourceName, tenant, sourceId, fpHigh, fpLow, fpText, lastAttemptId, startedSeconds, lastStatus, notAfterSeconds);
    }

    @Override
    public String toString() {
        return "CertState[key=" + key() + ", fingerprint=" + fingerprint() + ", lastAttemptId=" + lastAttemptId
                + ", lastAttemptStartedAt=" + lastAttemptStartedAt() + ", lastStatus=" + lastStatus + ", notAfter=" + notAfter() + ", checkpointed=" + checkpointed + "]";
    }

    private static String intern(String s) {
        return s == null ? null : s.intern();
    }

    private static boolean isHex32(String s) {
        if (s == null || s.length() != 32) {
            return false;
        }
        for (int i = 0; i < 32; i++) {
            char c = s.charAt(i);
            if (!(c >= '0' && c <= '9' || c >= 'a' && c <= 'f')) {
                return false;
            }
        }
        return true;
    }
}
