package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertResolution;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.PollOutcome;
import dev.certflow.runtime.owners.OwnersConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.stream.Collectors;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.Fixtures.cert;
import static dev.certflow.streams.Fixtures.k;
import static dev.certflow.streams.Fixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

/** Owners stamped on every alert and row; expiry episodes and failure streaks as incidents whose steps escalate. */
class OwnersAndIncidentsTopologyTest {

    private static OwnersConfig owners() {
        OwnersConfig o = new OwnersConfig();
        OwnersConfig.Team payments = new OwnersConfig.Team();
        payments.name = "payments";
        OwnersConfig.Team platform = new OwnersConfig.Team();
        platform.name = "platform";
        o.teams = List.of(payments, platform);
        o.defaultOwner = "platform";
        OwnersConfig.Rule byName = new OwnersConfig.Rule();
        byName.owner = "payments";
        byName.names = List.of("pay-*.example.com");
        OwnersConfig.Rule byTenant = new OwnersConfig.Rule();
        byTenant.owner = "platform";
        byTenant.tenants = List.of("acme");
        OwnersConfig.Rule bySource = new OwnersConfig.Rule();
        bySource.owner = "platform";
        bySource.sources = List.of("pbx-berlin");
        o.rules = List.of(byName, byTenant, bySource);
        return o;
    }

    private static String steps(List<Alert> alerts) {
        return alerts.stream().map(a -> a.getThreshold() + ":" + a.getStatus() + ":" + a.getIncidentStep()
                + (a.getResolution() == null ? "" : ":" + a.getResolution())).collect(Collectors.joining(","));
    }

    @Test
    void everyAlertAndRowCarriesItsOwnerAndUnmatchedCertificatesAreUnowned() {
        StreamsSettings settings = new StreamsSettings().withOwners(owners());
        try (Harness h = new Harness(settings)) {
            CertificateKey pay = key("globex", "pay-1");   // name rule (first) wins over nothing else
            CertificateKey acme = key("acme", "pay-2");    // name rule comes first, so payments, not acme's platform
            CertificateKey acmeOther = key("acme", "web");  // tenant rule
            CertificateKey nobody = key("initech", "web");  // no rule
            for (CertificateKey key : List.of(pay, acme, acmeOther, nobody)) {
                h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(5))));
            }
            h.attempts.pipeInput(k(nobody), Fixtures.attempt(nobody, "a1", AttemptStatus.FAILED, START.minusSeconds(60), "dns"));
            h.attempts.pipeInput(k(pay), Fixtures.attempt(pay, "a2", AttemptStatus.FAILED, START.minusSeconds(60), "dns"));

            java.util.Map<String, String> alertOwners = new java.util.HashMap<>();
            for (Alert a : h.alerts.readValuesToList()) {
                alertOwners.put(a.getKind() + "|" + a.getCertificateKey().getSourceId() + "|" + a.getCertificateKey().getTenant(),
                        String.valueOf(a.getOwner()));
            }
            assertThat(alertOwners).containsEntry("EXPIRING|pay-1|globex", "payments").containsEntry("EXPIRING|pay-2|acme", "payments")
                    .containsEntry("EXPIRING|web|acme", "platform").containsEntry("EXPIRING|web|initech", "null")
                    .containsEntry("RENEWAL_FAILED|web|initech", "null").containsEntry("RENEWAL_FAILED|pay-1|globex", "payments");
            java.util.Map<String, String> rowOwners = h.expiring.readKeyValuesToMap().entrySet().stream()
                    .collect(Collectors.toMap(e -> e.getKey(), e -> String.valueOf(e.getValue().getOwner())));
            assertThat(rowOwners).containsEntry(k(pay), "payments").containsEntry(k(acmeOther), "platform").containsEntry(k(nobody), "null");
            java.util.Map<String, FailedRenewal> failed = h.failed.readKeyValuesToMap();
            assertThat(failed.get(k(pay)).getOwner()).isEqualTo("payments");
            assertThat(failed.get(k(nobody)).getOwner()).isNull();
            java.util.Map<String, CertificateRenewal> renewals = h.renewals.readKeyValuesToMap();
            assertThat(renewals.get(k(acme)).getOwner()).isEqualTo("payments");
            assertThat(renewals.get(k(acmeOther)).getOwner()).isEqualTo("platform");
            assertThat(renewals.get(k(nobody)).getOwner()).isNull();

            // a rename that starts matching a rule moves the certificate, its rows and its next alerts to that owner
            Certificate renamed = Certificate.newBuilder(cert(nobody, START.plus(Duration.ofDays(5)))).setCommonName("pay-web.example.com").build();
            h.certificates.pipeInput(k(nobody), renamed);
            ExpiringCertificate row = h.expiring.readKeyValuesToMap().get(k(nobody));
            assertThat(row.getOwner()).isEqualTo("payments");
            assertThat(h.failed.readKeyValuesToMap().get(k(nobody)).getOwner()).isEqualTo("payments");

            // SOURCE_DOWN: owner by the source rules only
            for (int i = 0; i < 3; i++) {
                h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(60L * i), PollOutcome.FAILED));
                h.sourceStatus.pipeInput("pbx-paris", Fixtures.poll("pbx-paris", START.plusSeconds(60L * i), PollOutcome.FAILED));
            }
            java.util.Map<String, String> down = h.alerts.readValuesToList().stream().filter(a -> a.getKind() == AlertKind.SOURCE_DOWN)
                    .collect(Collectors.toMap(Alert::getSourceName, a -> String.valueOf(a.getOwner())));
            assertThat(down).containsEntry("pbx-berlin", "platform").containsEntry("pbx-paris", "null");
        }
    }

    @Test
    void eachThresholdOfOneExpiryIsAStepOfOneIncidentAndTheReplacedStepResolvesEscalated() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "1");
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(40))));
            h.advanceHourly(Duration.ofDays(41));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(steps(alerts)).isEqualTo("30d:FIRING:1,30d:RESOLVED:1:ESCALATED,14d:FIRING:2,14d:RESOLVED:2:ESCALATED,"
                    + "7d:FIRING:3,7d:RESOLVED:3:ESCALATED,1d:FIRING:4,1d:RESOLVED:4:ESCALATED,expired:FIRING:5");
            String incident = alerts.get(0).getIncidentId();
            assertThat(incident).startsWith("incident-expiry-")
                    .isEqualTo(AlertKinds.expiryIncident(k(key), START.plus(Duration.ofDays(40)).toEpochMilli()));
            assertThat(alerts).extracting(Alert::getIncidentId).containsOnly(incident);
            List<Alert> firing = alerts.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).toList();
            assertThat(firing.get(0).getEscalatedFrom()).isNull();
            for (int i = 1; i < firing.size(); i++) {
                assertThat(firing.get(i).getEscalatedFrom()).isEqualTo(firing.get(i - 1).getAlertId());
                assertThat(firing.get(i).getAlertId()).isNotEqualTo(firing.get(i - 1).getAlertId());
            }

            // renewed: the open step clears; the renewed certificate's next threshold is a new incident at step 1
            h.certificates.pipeInput(k(key), cert(key, h.now().plus(Duration.ofDays(40))));
            Alert cleared = h.alerts.readValue();
            assertThat(cleared.getThreshold()).isEqualTo("expired");
            assertThat(cleared.getResolution()).isEqualTo(AlertResolution.CLEARED);
            h.advanceHourly(Duration.ofDays(11));
            Alert next = h.alerts.readValue();
            assertThat(next.getIncidentId()).isNotEqualTo(incident);
            assertThat(next.getIncidentStep()).isEqualTo(1);
            assertThat(next.getEscalatedFrom()).isNull();

            // removed: REMOVED, not a recovery
            h.certificates.pipeInput(k(key), (Certificate) null);
            Alert removed = h.alerts.readValue();
            assertThat(removed.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(removed.getResolution()).isEqualTo(AlertResolution.REMOVED);
        }
    }

    @Test
    void anOverdueRenewalIsTheFirstStepOfTheExpiryIncident() {
        StreamsSettings settings = new StreamsSettings(); // thresholds 7d and 1d, smoxy renews 30 d before expiry, grace 2 d
        try (Harness h = new Harness(settings)) {
            CertificateKey key = key("acme", "2");
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(60)), START.minus(Duration.ofDays(30))));
            h.advanceHourly(Duration.ofDays(54));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(alerts).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getIncidentStep())
                    .containsExactly("RENEWAL_OVERDUE:FIRING:1", "EXPIRING:FIRING:2");
            assertThat(alerts.get(1).getIncidentId()).isEqualTo(alerts.get(0).getIncidentId());
            assertThat(alerts.get(1).getEscalatedFrom()).isEqualTo(alerts.get(0).getAlertId());
        }
    }

    @Test
    void aRenewalFailureStreakAndAnUnknownExpiryAreIncidentsOfTheirOwn() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "3");
            h.certificates.pipeInput(k(key), cert(key, null));
            h.attempts.pipeInput(k(key), Fixtures.attempt(key, "a1", AttemptStatus.FAILED, START.minusSeconds(60), "dns"));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(alerts).extracting(Alert::getKind).containsExactly(AlertKind.EXPIRY_UNKNOWN, AlertKind.RENEWAL_FAILED);
            assertThat(alerts).allSatisfy(a -> {
                assertThat(a.getIncidentId()).isEqualTo(Alerts.ownIncident(a.getAlertId()));
                assertThat(a.getIncidentStep()).isEqualTo(1);
            });
            h.attempts.pipeInput(k(key), Fixtures.attempt(key, "a2", AttemptStatus.SUCCEEDED, START, null));
            Alert resolved = h.alerts.readValue();
            assertThat(resolved.getKind()).isEqualTo(AlertKind.RENEWAL_FAILED);
            assertThat(resolved.getResolution()).isEqualTo(AlertResolution.CLEARED);
        }
    }
}
