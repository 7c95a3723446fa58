package dev.certflow.ingest.source;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;
import org.junit.jupiter.api.Test;

import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;

/** The compact form gives back exactly what it was given, whatever the shape of each field. */
class CertStateTest {
    static final CertificateKey KEY = new CertificateKey(SourceKind.SMOXY, "smoxy-acme", "org-1", "c-17");

    @Test
    void givesBackEveryFieldAsGiven() {
        Instant started = Instant.parse("2026-11-30T08:15:30.123456789Z");
        Instant notAfter = Instant.parse("9999-12-31T23:59:59Z"); // some CAs issue "never" certificates
        CertState s = new CertState(KEY, "00ff10a0b1c2d3e4f5a6b7c8d9e0f1a2", "a-9", started, "failed", notAfter);

        assertThat(s.key()).isEqualTo(KEY);
        assertThat(s.tenant()).isEqualTo("org-1");
        assertThat(s.fingerprint()).isEqualTo("00ff10a0b1c2d3e4f5a6b7c8d9e0f1a2");
        assertThat(s.lastAttemptId()).isEqualTo("a-9");
        assertThat(s.lastAttemptStartedAt()).isEqualTo(started);
        assertThat(s.lastStatus()).isEqualTo("failed");
        assertThat(s.notAfter()).isEqualTo(notAfter);
    }

    @Test
    void holdsMissingFieldsAsMissing() {
        CertState s = new CertState(new CertificateKey(SourceKind.LEEGALITY, "esign", null, "x"), null, null, null, null, null);

        assertThat(s.tenant()).isNull();
        assertThat(s.fingerprint()).isNull();
        assertThat(s.hasFingerprint(null)).isTrue();
        assertThat(s.hasFingerprint("00000000000000000000000000000000")).isFalse();
        assertThat(s.lastAttemptStartedAt()).isNull();
        assertThat(s.notAfter()).isNull();
        assertThat(s.key().getTenant()).isNull();
    }

    @Test
    void comparesFingerprintsWithoutConfusingNearNeighbours() {
        CertState s = new CertState(KEY, "ffffffffffffffff0000000000000001", null, null, null, Instant.EPOCH);

        assertThat(s.hasFingerprint("ffffffffffffffff0000000000000001")).isTrue();
        assertThat(s.hasFingerprint("ffffffffffffffff0000000000000002")).isFalse();
        assertThat(s.hasFingerprint("fffffffffffffffe0000000000000001")).isFalse();
        assertThat(s.hasFingerprint("FFFFFFFFFFFFFFFF0000000000000001")).as("another spelling is another fingerprint").isFalse();
        assertThat(s.hasFingerprint(null)).isFalse();
        assertThat(s.notAfter()).as("the epoch is a time, not a missing one").isEqualTo(Instant.EPOCH);
    }

    @Test
    void keepsAFingerprintOfAnotherShapeAsText() {
        CertState s = new CertState(KEY, "fp", null, null, null, null);

        assertThat(s.fingerprint()).isEqualTo("fp");
        assertThat(s.hasFingerprint("fp")).isTrue();
        assertThat(s.hasFingerprint("fq")).isFalse();
    }

    @Test
    void survivesTheCheckpointRoundTrip() {
        CertState s = new CertState(KEY, "0123456789abcdef0123456789abcdef", "a-1", Instant.parse("2026-01-01T00:00:00.001Z"),
                "succeeded", Instant.parse("2027-01-01T00:00:00Z"));

        CertState back = CertState.from(s.toCheckpoint(Instant.parse("2026-12-01T00:00:00Z")));

        assertThat(back).as("read from a checkpoint, so checkpointed").isEqualTo(s.checkpointed(true)).hasSameHashCodeAs(s);
        assertThat(back).isNotEqualTo(new CertState(KEY, "0123456789abcdef0123456789abcdee", "a-1",
                s.lastAttemptStartedAt(), "succeeded", s.notAfter()));
    }

    @Test
    void sharesTheFewWordsEveryCertificateHas() {
        CertState a = new CertState(new CertificateKey(SourceKind.SMOXY, new String("smoxy-acme"), new String("org-1"), "1"), null, null, null,
                new String("failed"), null);
        CertState b = new CertState(new CertificateKey(SourceKind.SMOXY, new String("smoxy-acme"), new String("org-1"), "2"), null, null, null,
                new String("failed"), null);

        assertThat(a.tenant()).isSameAs(b.tenant());
        assertThat(a.lastStatus()).isSameAs(b.lastStatus());
        assertThat(a.key().getSourceName()).isSameAs(b.key().getSourceName());
    }

    private static Certificate cert(CertificateKey key, String status, Instant notAfter) {
        return Certificate.newBuilder().setKey(key).setStatus(status).setNotAfter(notAfter).setObservedAt(Instant.EPOCH)
                .setSans(java.util.List.of()).setType(dev.certflow.events.CertificateType.UNKNOWN)
                .setExpiryStatus(dev.certflow.events.ExpiryStatus.KNOWN).setIssuanceMethod(dev.certflow.events.IssuanceMethod.UNKNOWN)
                .setAttributes(java.util.Map.of()).build();
    }

    @Test
    void theCertificateRecordAloneRebuildsAStateWithoutAttempts() {
        Instant notAfter = Instant.parse("2027-01-01T00:00:00Z");
        CertificateKey pbx = new CertificateKey(SourceKind.YEASTAR, "pbx-berlin", "pbx-berlin", "3");
        CertState yeastar = CertState.derived(cert(pbx, "issuing", notAfter), "fp");
        assertThat(yeastar.lastStatus()).as("the PBX's apply_status is the certificate's status").isEqualTo("issuing");
        assertThat(yeastar.notAfter()).isEqualTo(notAfter);
        assertThat(yeastar.lastAttemptId()).isNull();
        assertThat(yeastar.checkpointed()).isFalse();
        assertThat(new CertState(pbx, "fp2", null, null, "issuing", null).progressDerivableFrom(cert(pbx, "issuing", null))).isTrue();
        assertThat(new CertState(pbx, "fp2", "yeastar-1", null, "issuance_fail", null).progressDerivableFrom(cert(pbx, "issuance_fail", null)))
                .as("a transition's attempt id is not on the certificate").isFalse();
        // smoxy's status is its last attempt's, not the certificate's
        Certificate smoxy = cert(KEY, "active", notAfter);
        assertThat(CertState.derived(smoxy, "fp").lastStatus()).isNull();
        assertThat(new CertState(KEY, "fp", null, null, "active", null).progressDerivableFrom(smoxy)).isFalse();
        assertThat(new CertState(KEY, "fp", null, null, null, null).progressDerivableFrom(smoxy)).isTrue();
        assertThat(new CertState(KEY, "fp", null, Instant.EPOCH, null, null).progressDerivableFrom(smoxy)).isFalse();
    }

    @Test
    void aCheckpointedStateTakesTheCertificatesFingerprintAndExpiryAndKeepsItsProgress() {
        Instant started = Instant.parse("2026-11-30T08:15:30Z");
        CertState cp = new CertState(KEY, "00ff10a0b1c2d3e4f5a6b7c8d9e0f1a2", "a-9", started, "failed", Instant.EPOCH, true);
        CertState merged = cp.withCertificate("ffffffffffffffff0000000000000001", Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(merged.fingerprint()).isEqualTo("ffffffffffffffff0000000000000001");
        assertThat(merged.notAfter()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(merged.sameProgress(cp)).isTrue();
        assertThat(merged.checkpointed()).isTrue();
        assertThat(cp.checkpointed(false)).isNotEqualTo(cp).satisfies(s -> assertThat(s.sameProgress(cp)).isTrue());
        assertThat(cp.checkpointed(true)).isSameAs(cp);
        assertThat(new CertState(KEY, "fp", "a-10", started, "failed", null).sameProgress(cp)).isFalse();
        assertThat(CertState.from(cp.toCheckpoint(Instant.EPOCH))).isEqualTo(cp);
    }
}
