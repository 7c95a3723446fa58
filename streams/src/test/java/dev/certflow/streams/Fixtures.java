package dev.certflow.streams;

import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;

import java.time.Instant;

/** Test data builders. */
final class Fixtures {
    static final Instant START = Instant.parse("2026-01-01T00:00:00Z");
    static final long DAY = ExpiryRules.DAY;

    private Fixtures() {
    }

    static CertificateKey key(String tenant, String id) {
        return CertificateKeys.of(SourceKind.SMOXY, "smoxy-eu", tenant, id);
    }

    static String k(CertificateKey key) {
        return CertificateKeys.format(key);
    }

    static Certificate cert(CertificateKey key, Instant notAfter) {
        return cert(key, notAfter, null);
    }

    static Certificate cert(CertificateKey key, Instant notAfter, Instant notBefore) {
        return Certificate.newBuilder()
                .setKey(key)
                .setName("cert-" + key.getSourceId())
                .setCommonName(key.getSourceId() + ".example.com")
                .setNotAfter(notAfter)
                .setNotBefore(notBefore)
                .setExpiryStatus(notAfter == null ? ExpiryStatus.MISSING : ExpiryStatus.KNOWN)
                .setDepartmentName("payments")
                .setObservedAt(START)
                .build();
    }

    static RenewalAttempt attempt(CertificateKey key, String id, AttemptStatus status, Instant finishedAt, String error) {
        return RenewalAttempt.newBuilder()
                .setAttemptId(id)
                .setCertificateKey(key)
                .setAttemptType("acme_renew")
                .setStatus(status)
                .setStartedAt(finishedAt.minusSeconds(30))
                .setFinishedAt(finishedAt)
                .setErrorCode(error == null ? null : "E_" + error)
                .setErrorMessage(error)
                .setObservedAt(START)
                .build();
    }

    static SourceStatus poll(String source, Instant started, PollOutcome outcome) {
        return SourceStatus.newBuilder()
                .setSourceKind(SourceKind.YEASTAR)
                .setSourceName(source)
                .setPollStartedAt(started)
                .setPollFinishedAt(started.plusSeconds(2))
                .setOutcome(outcome)
                .setErrorKind(outcome == PollOutcome.FAILED ? "timeout" : null)
                .build();
    }
}
