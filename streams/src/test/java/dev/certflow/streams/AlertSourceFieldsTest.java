package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.time.Duration;
import java.util.List;

import static dev.certflow.streams.Fixtures.START;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every alert kind carries the same source fields and labels with the same meaning: source = the
 * source instance name, source_kind = its kind, tenant where there is one. The source is named
 * unlike its kind (lg-badtoken, a Leegality source), so a kind in the name's place shows.
 */
class AlertSourceFieldsTest {
    private static final String SOURCE = "lg-badtoken";
    private static final CertificateKey KEY = CertificateKeys.of(SourceKind.LEEGALITY, SOURCE, "dept-7", "cert-1");

    /** Drives the real topology until it fires one alert of {@code kind}, and returns that alert. */
    static Alert fire(Harness h, AlertKind kind) {
        String k = CertificateKeys.format(KEY);
        switch (kind) {
            case EXPIRING -> h.certificates.pipeInput(k, Fixtures.cert(KEY, START.plus(Duration.ofDays(5))));
            case EXPIRED -> h.certificates.pipeInput(k, Fixtures.cert(KEY, START.minus(Duration.ofDays(1))));
            case EXPIRY_UNKNOWN -> h.certificates.pipeInput(k,
                    Certificate.newBuilder(Fixtures.cert(KEY, null)).setExpiryStatus(ExpiryStatus.PENDING).build());
            case RENEWAL_FAILED -> {
                h.certificates.pipeInput(k, Fixtures.cert(KEY, START.plus(Duration.ofDays(200))));
                h.attempts.pipeInput(k, Fixtures.attempt(KEY, "a1", AttemptStatus.FAILED, START, "dns"));
            }
            case RENEWAL_OVERDUE -> h.certificates.pipeInput(k, Fixtures.cert(KEY, START.plus(Duration.ofDays(20)))); // manual, 30d lead
            case RENEWED_NOT_DEPLOYED -> {
                h.certificates.pipeInput(k, Fixtures.cert(KEY, START.plus(Duration.ofDays(20))));
                CertificateKey renewed = CertificateKeys.of(SourceKind.SMOXY, "smoxy-eu", "org-1", KEY.getSourceId());
                h.certificates.pipeInput(CertificateKeys.format(renewed), Fixtures.cert(renewed, START.plus(Duration.ofDays(60))));
                h.advance(Duration.ofDays(1)); // the deploy grace
            }
            case RENEWAL_DRIFT -> {
                h.certificates.pipeInput(k, Certificate.newBuilder(Fixtures.cert(KEY, START.plus(Duration.ofDays(200)))).setIssuer("CA one").build());
                h.certificates.pipeInput(k, Certificate.newBuilder(Fixtures.cert(KEY, START.plus(Duration.ofDays(400)))).setIssuer("CA two").build());
            }
            case SOURCE_DOWN -> {
                for (int i = 0; i < 3; i++) {
                    SourceStatus poll = SourceStatus.newBuilder(Fixtures.poll(SOURCE, START.plusSeconds(60L * i), PollOutcome.FAILED))
                            .setSourceKind(SourceKind.LEEGALITY).build();
                    h.sourceStatus.pipeInput(SOURCE, poll);
                }
            }
        }
        List<Alert> alerts = h.alerts.readValuesToList().stream().filter(a -> a.getKind() == kind).toList();
        assertThat(alerts).as(kind + " alerts").hasSize(1);
        return alerts.get(0);
    }

    @ParameterizedTest
    @EnumSource(AlertKind.class)
    void everyKindNamesItsSourceByNameAndKindInFieldsAndLabels(AlertKind kind) {
        try (Harness h = new Harness()) {
            Alert a = fire(h, kind);
            assertThat(a.getSourceName()).isEqualTo(SOURCE);
            assertThat(a.getSourceKind()).isEqualTo(SourceKind.LEEGALITY);
            assertThat(a.getLabels()).containsEntry("source", SOURCE).containsEntry("source_kind", "leegality")
                    .doesNotContainKey("instance");
            if (kind == AlertKind.SOURCE_DOWN) {
                assertThat(a.getTenant()).isNull();
                assertThat(a.getCertificateKey()).isNull();
                assertThat(a.getLabels()).containsOnlyKeys("source", "source_kind");
            } else {
                assertThat(a.getTenant()).isEqualTo("dept-7");
                assertThat(a.getCertificateKey()).isEqualTo(KEY);
                assertThat(a.getLabels()).containsEntry("tenant", "dept-7")
                        .containsEntry("certificate_key", CertificateKeys.format(KEY))
                        .containsKeys("certificate", "department");
            }
        }
    }
}
