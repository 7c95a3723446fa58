package dev.certflow.bench.suite;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.simulator.Fleet;
import dev.certflow.simulator.FleetCertificate;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * The fixed corpus every row runs on: the simulator's generated fleet ({@link Fleet}, seed 42)
 * normalised into {@link Certificate} records the way ingest normalises each source (Leegality
 * signing certificates with departments, smoxy ACME / uploaded TLS certificates, Yeastar PBX
 * certificates with their attributes), so record sizes are those the pipeline carries; plus an
 * update stream whose keys follow a Zipf distribution (a few certificates change often, most
 * rarely), the skew a real fleet's renewals and re-polls have.
 */
public final class Corpus {
    /** The simulated instant the fleet starts at: fixed, so every run builds the same corpus. */
    public static final Instant START = Instant.parse("2026-11-01T00:00:00Z");
    private static final long SEED = 42;

    private final Fleet fleet;
    private final List<Certificate> certificates;

    private Corpus(Fleet fleet, List<Certificate> certificates) {
        this.fleet = fleet;
        this.certificates = certificates;
    }

    /** The first {@code size} certificates of the fleet of that size. */
    public static Corpus of(int size) {
        Fleet fleet = new Fleet(SEED, size, START);
        List<Certificate> list = new ArrayList<>(size);
        int units = fleet.units().size();
        for (int g = 0; g < size; g++) {
            list.add(normalise(fleet.certificate(g % units, g / units), START));
        }
        return new Corpus(fleet, List.copyOf(list));
    }

    public Fleet fleet() {
        return fleet;
    }

    public List<Certificate> certificates() {
        return certificates;
    }

    public int size() {
        return certificates.size();
    }

    /**
     * {@code n} updates: certificate {@code i} drawn with probability proportional to {@code 1/(i+1)^1.1},
     * each seen later with a new status and observation time (a real change, not a duplicate).
     */
    public List<Certificate> zipfUpdates(int n) {
        int size = certificates.size();
        double s = 1.1;
        double[] cdf = new double[size];
        double sum = 0;
        for (int i = 0; i < size; i++) {
            sum += 1 / Math.pow(i + 1, s);
            cdf[i] = sum;
        }
        SplittableRandom random = new SplittableRandom(SEED);
        List<Certificate> out = new ArrayList<>(n);
        for (int u = 0; u < n; u++) {
            double x = random.nextDouble() * sum;
            int lo = 0;
            int hi = size - 1;
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (cdf[mid] < x) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            // rank r is a fixed pseudo-random certificate, so the hot ones are spread over sources and partitions
            int index = (int) Long.remainderUnsigned(lo * 0x9E3779B97F4A7C15L, size);
            Certificate c = certificates.get(index);
            out.add(Certificate.newBuilder(c).setStatus(u % 2 == 0 ? "renewing" : "active")
                    .setObservedAt(c.getObservedAt().plusSeconds(60L * (u + 1))).build());
        }
        return out;
    }

    /** One fleet certificate as ingest would normalise it at {@code observed}. */
    static Certificate normalise(FleetCertificate f, Instant observed) {
        SourceKind kind = SourceKind.valueOf(f.kind().toUpperCase(Locale.ROOT));
        Instant expiry = f.expiry();
        Certificate.Builder b = Certificate.newBuilder()
                .setKey(CertificateKeys.of(kind, f.sourceName(), f.tenant(), f.sourceId()))
                .setName(f.name())
                .setCommonName(f.domain())
                .setExpiryStatus(expiry != null ? ExpiryStatus.KNOWN : f.noExpiryStatus())
                .setNotAfter(expiry)
                .setNotAfterRaw(f.rawExpiry() != null ? f.rawExpiry() : expiry == null ? null : expiry.toString())
                .setCreatedAt(f.createdAt())
                .setObservedAt(observed);
        Map<String, String> attributes = new LinkedHashMap<>();
        switch (kind) {
            case LEEGALITY -> {
                b.setType(CertificateType.SIGNING).setSourceType("DSC").setIssuer("eMudhra Sub CA for Class 3 Individual 2022")
                        .setDepartmentId(f.tenant()).setDepartmentName(f.unit().label()).setStatus("active")
                        .setNotBefore(expiry == null ? null : expiry.minus(Duration.ofDays(730)));
                attributes.put("email", "signer" + f.index() + "@" + f.unit().label().toLowerCase(Locale.ROOT) + ".example");
            }
            case SMOXY -> {
                boolean uploaded = (f.hash() >>> 20) % 4 == 0;
                b.setType(CertificateType.TLS_SERVER).setSourceType(uploaded ? "custom" : "acme")
                        .setIssuanceMethod(uploaded ? IssuanceMethod.UPLOADED : IssuanceMethod.ACME).setAutoRenewal(!uploaded)
                        .setSans(List.of(f.domain(), "www." + f.domain())).setStatus("active")
                        .setIssuer(uploaded ? "Sectigo RSA Domain Validation Secure Server CA" : "R11")
                        .setNotBefore(expiry == null ? null : expiry.minus(Duration.ofDays(90)));
                attributes.put("organization", f.tenant());
            }
            default -> {
                b.setType(CertificateType.TLS_SERVER).setSourceType("server").setIssuanceMethod(IssuanceMethod.ACME)
                        .setAutoRenewal(true).setStatus("issuance_success").setSans(List.of(f.domain()));
                attributes.put("ca_type", "apply");
                attributes.put("dns_provider", "cloudflare");
                attributes.put("apply_status", "issuance_success");
            }
        }
        return b.setAttributes(attributes).build();
    }
}
