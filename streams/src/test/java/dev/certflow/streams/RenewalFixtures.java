package dev.certflow.streams;

import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;

import java.time.Instant;
import java.util.List;

/** Certificates as ingest maps each source (see ingest/source/*Client): the fields the renewal policy reads. */
final class RenewalFixtures {
    private RenewalFixtures() {
    }

    /** smoxy {@code auto_managed}: name = common name = domain, SANs, ACME, no auto-renewal flag, no notBefore. */
    static Certificate smoxyAuto(String tenant, String id, String domain, List<String> sans, Instant notAfter, Instant observedAt) {
        return base(CertificateKeys.of(SourceKind.SMOXY, "smoxy-eu", tenant, id), domain, domain, notAfter, observedAt)
                .setSans(sans).setSourceType("auto_managed").setType(CertificateType.TLS_SERVER)
                .setIssuanceMethod(IssuanceMethod.ACME).setIssuer("R11").build();
    }

    /** Yeastar {@code ca_type=apply} with {@code auto_renewal=1}: common name = issue_to, name = file name. */
    static Certificate yeastarAuto(String pbx, String id, String issueTo, Instant notAfter, Instant observedAt) {
        return base(CertificateKeys.of(SourceKind.YEASTAR, pbx, pbx, id), issueTo + ".pem", issueTo, notAfter, observedAt)
                .setSourceType("server").setType(CertificateType.TLS_SERVER)
                .setIssuanceMethod(IssuanceMethod.ACME).setAutoRenewal(true).build();
    }

    /** Yeastar {@code ca_type=upload}: renewed by hand. */
    static Certificate yeastarUpload(String pbx, String id, String issueTo, Instant notAfter, Instant observedAt) {
        return base(CertificateKeys.of(SourceKind.YEASTAR, pbx, pbx, id), issueTo + ".crt", issueTo, notAfter, observedAt)
                .setSourceType("server").setType(CertificateType.TLS_SERVER)
                .setIssuanceMethod(IssuanceMethod.UPLOADED).build();
    }

    /** Leegality signing certificate: a name, createdAt, no common name; renewed by hand, a new id on renewal. */
    static Certificate leegality(String department, String id, String name, Instant createdAt, Instant notAfter, Instant observedAt) {
        return base(CertificateKeys.of(SourceKind.LEEGALITY, "sign-station", department, id), name, null, notAfter, observedAt)
                .setSourceType("PKCS12_PFX").setType(CertificateType.SIGNING).setCreatedAt(createdAt).build();
    }

    private static Certificate.Builder base(CertificateKey key, String name, String cn, Instant notAfter, Instant observedAt) {
        return Certificate.newBuilder()
                .setKey(key).setName(name).setCommonName(cn)
                .setNotAfter(notAfter).setExpiryStatus(notAfter == null ? ExpiryStatus.MISSING : ExpiryStatus.KNOWN)
                .setObservedAt(observedAt);
    }

    /** A succeeded smoxy attempt that issued {@code issuedNotAfter} at {@code at}. */
    static RenewalAttempt issued(CertificateKey key, String id, Instant at, Instant issuedNotAfter, List<String> sans) {
        return RenewalAttempt.newBuilder()
                .setAttemptId(id).setCertificateKey(key).setAttemptType("acme_renew").setStatus(AttemptStatus.SUCCEEDED)
                .setStatusRaw("succeeded").setStartedAt(at.minusSeconds(60)).setFinishedAt(at)
                .setSansSnapshot(sans).setIssuedNotAfter(issuedNotAfter).setObservedAt(at).build();
    }

    static String k(Certificate c) {
        return CertificateKeys.format(c.getKey());
    }
}
