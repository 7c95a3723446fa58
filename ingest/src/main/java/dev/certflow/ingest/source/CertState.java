package dev.certflow.ingest.source;

import dev.certflow.events.CertificateKey;
import dev.certflow.events.IngestCheckpoint;

import java.time.Instant;

/**
 * What ingest last published for one certificate: the mirror of its {@code ingest-checkpoints} record.
 *
 * @param fingerprint          of the last published normalised Certificate (null: none published)
 * @param lastAttemptId        newest attempt published (smoxy) or last derived attempt id (Yeastar)
 * @param lastAttemptStartedAt its start, when known
 * @param lastStatus           smoxy: status of that attempt; Yeastar: last apply_status
 * @param notAfter             expiry of the last published certificate, when known
 */
public record CertState(CertificateKey key, String fingerprint, String lastAttemptId, Instant lastAttemptStartedAt,
                        String lastStatus, Instant notAfter) {
    /**
     * A status is one of a few words (apply_status, an attempt's status) held for every certificate:
     * one shared copy of each, not one per certificate (an M1 heap histogram at 873k certificates
     * held 3.5 million strings).
     */
    public CertState {
        lastStatus = lastStatus == null ? null : lastStatus.intern();
    }


    public static CertState from(IngestCheckpoint cp) {
        return new CertState(cp.getCertificateKey(), cp.getContentFingerprint(), cp.getLastAttemptId(),
                cp.getLastAttemptStartedAt(), cp.getLastStatus(), cp.getNotAfter());
    }

    public IngestCheckpoint toCheckpoint(Instant updatedAt) {
        return IngestCheckpoint.newBuilder()
                .setCertificateKey(key)
                .setContentFingerprint(fingerprint)
                .setLastAttemptId(lastAttemptId)
                .setLastAttemptStartedAt(lastAttemptStartedAt)
                .setLastStatus(lastStatus)
                .setNotAfter(notAfter)
                .setUpdatedAt(updatedAt)
                .build();
    }
}
