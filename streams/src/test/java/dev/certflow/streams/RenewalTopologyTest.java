package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.Severity;
import dev.certflow.schemas.CertificateKeys;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Collectors;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.RenewalFixtures.issued;
import static dev.certflow.streams.RenewalFixtures.k;
import static dev.certflow.streams.RenewalFixtures.leegality;
import static dev.certflow.streams.RenewalFixtures.smoxyAuto;
import static dev.certflow.streams.RenewalFixtures.yeastarUpload;
import static org.assertj.core.api.Assertions.assertThat;

/** The renewal policy in the real topology, time moved with advanceWallClockTime. */
class RenewalTopologyTest {

    private static String summary(List<Alert> alerts) {
        return alerts.stream().map(a -> a.getKind() + ":" + a.getStatus()).collect(Collectors.joining(","));
    }

    private static Instant day(double d) {
        return START.plusMillis((long) (d * ExpiryRules.DAY));
    }

    @Test
    void aManualCertificateIsDueWithoutANotificationThenOverdueOnceAfterGraceThenTheFloorsAndTheRenewalResolvesThem() {
        try (Harness h = new Harness()) {
            Certificate c = yeastarUpload("pbx-berlin", "2", "pbx.example.com", day(40), START);
            h.certificates.pipeInput(k(c), c);
            assertThat(h.alerts.isEmpty()).isTrue();
            assertThat(h.expiring.isEmpty()).isTrue();

            h.toInstant(day(10).minusMillis(1)); // just before the expected point (40 - 30 days)
            assertThat(h.expiring.isEmpty()).isTrue();
            h.toInstant(day(10));
            ExpiringCertificate due = h.expiring.readValue();
            assertThat(due.getRenewalStatus()).isEqualTo(RenewalStatus.DUE);
            assertThat(due.getBucket()).isEqualTo("renewal-due");
            assertThat(due.getThresholdDays()).isNull();
            assertThat(due.getExpectedRenewalAt()).isEqualTo(day(10));
            assertThat(due.getRenewalOverdueAt()).isEqualTo(day(12));
            assertThat(due.getRenewalPolicy()).isEqualTo("manual-lead-30d");
            assertThat(h.alerts.isEmpty()).as("renewal due pages nobody").isTrue();

            h.toInstant(day(12).minusMillis(1)); // the last instant of grace
            assertThat(h.alerts.isEmpty()).isTrue();
            h.toInstant(day(12));
            List<Alert> overdue = h.alerts.readValuesToList();
            assertThat(summary(overdue)).isEqualTo("RENEWAL_OVERDUE:FIRING");
            assertThat(overdue.get(0).getSeverity()).isEqualTo(Severity.WARNING);
            assertThat(overdue.get(0).getThreshold()).isEqualTo("manual-lead-30d");
            assertThat(overdue.get(0).getSummary()).contains("expected to be renewed by " + day(10)).contains("manual renewal");
            assertThat(overdue.get(0).getAlertId()).isEqualTo(Alerts.id(AlertKind.RENEWAL_OVERDUE, k(c), Long.toString(day(40).toEpochMilli())));
            assertThat(h.expiring.readValue().getRenewalStatus()).isEqualTo(RenewalStatus.OVERDUE);

            h.advanceHourly(Duration.ofDays(20)); // day 32: nothing new, never repeated
            assertThat(h.alerts.isEmpty()).isTrue();
            h.toInstant(day(33)); // the 7-day floor pages whatever the policy says
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getThreshold() + ":" + a.getStatus())
                    .containsExactly("EXPIRING:7d:FIRING");
            assertThat(h.expiring.readValue().getBucket()).isEqualTo("7d");

            Certificate renewed = Certificate.newBuilder(c).setNotAfter(day(400)).setObservedAt(day(33)).build();
            h.certificates.pipeInput(k(renewed), renewed);
            List<Alert> resolved = h.alerts.readValuesToList();
            assertThat(summary(resolved)).isEqualTo("EXPIRING:RESOLVED,RENEWAL_OVERDUE:RESOLVED");
            assertThat(resolved).allMatch(a -> a.getSummary().contains("renewed, expiry " + day(400)));
            assertThat(h.expiring.readKeyValue().value).as("tombstone").isNull();
            assertThat(h.driver.getKeyValueStore(Names.CERTIFICATE_ALERT_STORE).approximateNumEntries()).isZero();
        }
    }

    @Test
    void anAutoRenewalThatSilentlyStopsIsReportedOnceAtItsPointThenTheFloorsThenExpired() {
        try (Harness h = new Harness()) {
            Certificate c = smoxyAuto("org", "s1", "shop.example.com", List.of("shop.example.com"), day(47), START);
            h.attempts.pipeInput(k(c), issued(c.getKey(), "issue-1", START, day(47), List.of("shop.example.com")));
            h.certificates.pipeInput(k(c), c);
            h.advanceHourly(Duration.ofDays(60));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(alerts).extracting(a -> a.getKind() + ":" + a.getThreshold() + ":" + a.getStatus() + "@"
                    + (a.getResolvedAt() != null ? a.getResolvedAt() : a.getFiredAt()))
                    .containsExactly("RENEWAL_OVERDUE:smoxy-auto-30d:FIRING@" + day(19),
                            "EXPIRING:7d:FIRING@" + day(40), "EXPIRING:7d:RESOLVED@" + day(46),
                            "EXPIRING:1d:FIRING@" + day(46), "EXPIRING:1d:RESOLVED@" + day(47), "EXPIRED:expired:FIRING@" + day(47));
            assertThat(alerts.stream().filter(a -> a.getKind() == AlertKind.RENEWAL_OVERDUE)).hasSize(1);
        }
    }

    @Test
    void aRenewalObservedOneTickBeforeTheOverduePointRaisesNothing() {
        try (Harness h = new Harness()) {
            Certificate c = smoxyAuto("org", "s2", "shop.example.com", List.of(), day(47), START);
            h.certificates.pipeInput(k(c), c);
            h.toInstant(day(19).minus(Duration.ofMinutes(1))); // overdue at 47 - 30 + 2 days; one 1-minute tick before it
            assertThat(h.expiring.readValue().getRenewalStatus()).isEqualTo(RenewalStatus.DUE);
            Certificate renewed = Certificate.newBuilder(c).setNotAfter(day(19 + 47)).setObservedAt(h.now()).build();
            h.certificates.pipeInput(k(renewed), renewed);
            h.advanceHourly(Duration.ofDays(10));
            assertThat(h.alerts.isEmpty()).isTrue();
            assertThat(h.expiring.readKeyValue().value).as("the due row leaves").isNull();
        }
    }

    @Test
    void aSucceededAttemptThatIssuedALaterExpiryIsARenewalBeforeTheCertificateShowsItButTheFloorsStillPage() {
        try (Harness h = new Harness()) {
            Certificate c = smoxyAuto("org", "s3", "shop.example.com", List.of(), day(47), START);
            h.certificates.pipeInput(k(c), c);
            h.toInstant(day(20)); // overdue since day 19
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("RENEWAL_OVERDUE:FIRING");
            h.attempts.pipeInput(k(c), issued(c.getKey(), "renew-7", day(20), day(67), List.of()));
            List<Alert> resolved = h.alerts.readValuesToList();
            assertThat(summary(resolved)).isEqualTo("RENEWAL_OVERDUE:RESOLVED");
            assertThat(resolved.get(0).getSummary()).contains("renewal observed: attempt renew-7 issued expiry " + day(67));
            assertThat(h.driver.<String, ExpiringCertificate>getKeyValueStore(Names.EXPIRING_STORE).get(k(c))).isNull();
            // the certificate itself never shows the new expiry: the floors do not trust the attempt
            h.toInstant(day(40));
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getThreshold())
                    .containsExactly("EXPIRING:7d");
            ExpiringCertificate row = h.driver.<String, ExpiringCertificate>getKeyValueStore(Names.EXPIRING_STORE).get(k(c));
            assertThat(row.getRenewalStatus()).isEqualTo(RenewalStatus.RENEWED);
            assertThat(row.getReplacedBy()).isEqualTo("renew-7");
        }
    }

    @Test
    void aLeegalityCertificateReplacedByANewIdIsSupersededAndStopsAlertingUntilTheReplacementGoes() {
        try (Harness h = new Harness()) {
            Certificate old = leegality("hr", "old-id", "Signing.HR.example.", day(-300), day(40), START);
            h.certificates.pipeInput(k(old), old);
            h.toInstant(day(13));
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("RENEWAL_OVERDUE:FIRING");
            Certificate next = leegality("hr", "new-id", "signing.hr.example", day(13), day(13 + 365), day(13));
            h.certificates.pipeInput(k(next), next);
            List<Alert> resolved = h.alerts.readValuesToList();
            assertThat(summary(resolved)).isEqualTo("RENEWAL_OVERDUE:RESOLVED");
            assertThat(resolved.get(0).getSummary()).contains("superseded by " + k(next));
            h.advanceHourly(Duration.ofDays(30)); // day 43: the old one expired without a word
            assertThat(h.alerts.isEmpty()).isTrue();
            // the replacement disappears: the old one is on its own again and EXPIRED pages
            h.certificates.pipeInput(k(next), null);
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getCertificateKey().getSourceId())
                    .containsExactly("EXPIRED:FIRING:old-id", "RENEWAL_OVERDUE:FIRING:old-id");
        }
    }

    @Test
    void aSupersededCertificatePagesAgainOnceItsReplacementHasExpiredToo() {
        try (Harness h = new Harness()) {
            Certificate old = leegality("hr", "a", "sign.example", day(-300), day(10), START);
            Certificate next = leegality("hr", "b", "sign.example", START, day(12), START);
            h.certificates.pipeInput(k(old), old);
            h.certificates.pipeInput(k(next), next);
            h.alerts.readValuesToList();
            h.advanceHourly(Duration.ofDays(11)); // the old one expired on day 10: its replacement is valid, silence
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getCertificateKey().getSourceId()).doesNotContain("a");
            h.advanceHourly(Duration.ofDays(2)); // the replacement expired on day 12: nothing valid replaces the old one
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getCertificateKey().getSourceId())
                    .contains("EXPIRED:FIRING:a", "EXPIRED:FIRING:b");
        }
    }

    @Test
    void supersessionNeedsEveryNameTheSameTenantAndSourceAndALaterExpiry() {
        try (Harness h = new Harness()) {
            Certificate a = smoxyAuto("org", "a", "shop.example.com", List.of("shop.example.com", "www.example.com"), day(10), START);
            h.certificates.pipeInput(k(a), a);
            // covers only one of a's two names: a partial match must not silence a
            Certificate partial = smoxyAuto("org", "b", "shop.example.com", List.of("shop.example.com"), day(400), START);
            // every name, but another tenant
            Certificate otherTenant = smoxyAuto("org-2", "c", "shop.example.com", List.of("shop.example.com", "www.example.com"), day(400), START);
            // every name, same tenant, but an earlier expiry
            Certificate older = smoxyAuto("org", "d", "shop.example.com", List.of("shop.example.com", "www.example.com"), day(9), START);
            for (Certificate x : List.of(partial, otherTenant, older)) {
                h.certificates.pipeInput(k(x), x);
            }
            assertThat(h.driver.getKeyValueStore(Names.MATCH_STORE).get(k(a))).isNull();
            // a wildcard covers one label: *.example.com does not cover a deeper SAN or the apex
            Certificate deep = smoxyAuto("org", "f", "api.example.com", List.of("api.example.com", "a.b.example.com"), day(10), START);
            Certificate apex = smoxyAuto("org", "g", "cdn.example.com", List.of("cdn.example.com", "example.com"), day(10), START);
            Certificate oneLabel = smoxyAuto("org", "h", "*.example.com", List.of("*.example.com", "www.example.com"), day(400), START);
            for (Certificate x : List.of(deep, apex, oneLabel)) {
                h.certificates.pipeInput(k(x), x);
            }
            assertThat(h.driver.getKeyValueStore(Names.MATCH_STORE).get(k(deep))).isNull();
            assertThat(h.driver.getKeyValueStore(Names.MATCH_STORE).get(k(apex))).isNull();
            h.certificates.pipeInput(k(oneLabel), null);
            h.alerts.readValuesToList();
            h.toInstant(day(3));
            assertThat(h.alerts.readValuesToList()).extracting(x -> x.getKind() + ":" + x.getCertificateKey().getSourceId())
                    .contains("EXPIRING:a");
            // the same names through a wildcard, same tenant and source: that one supersedes a
            Certificate wildcard = smoxyAuto("org", "e", "*.example.com", List.of("*.example.com"), day(400), day(3));
            h.certificates.pipeInput(k(wildcard), wildcard);
            assertThat(h.alerts.readValuesToList()).extracting(x -> x.getKind() + ":" + x.getStatus() + ":" + x.getCertificateKey().getSourceId())
                    .contains("EXPIRING:RESOLVED:a");
            ExpiringCertificate row = h.driver.<String, ExpiringCertificate>getKeyValueStore(Names.EXPIRING_STORE).get(k(a));
            assertThat(row).isNull();
        }
    }

    @Test
    void renewedButNotDeployedFiresInTheHoldersWindowNamingBothAndResolvesWhenTheHolderIsUpdated() {
        try (Harness h = new Harness()) {
            Certificate pbx = yeastarUpload("pbx-berlin", "7", "shop.example.com", day(40), START);
            h.certificates.pipeInput(k(pbx), pbx);
            Certificate smoxy = smoxyAuto("org", "s7", "shop.example.com", List.of("shop.example.com"), day(80), START);
            h.certificates.pipeInput(k(smoxy), smoxy);
            assertThat(h.alerts.isEmpty()).as("before the holder's window").isTrue();
            h.toInstant(day(10)); // the PBX copy is due (manual, 30 days' lead)
            List<Alert> fired = h.alerts.readValuesToList();
            assertThat(summary(fired)).isEqualTo("RENEWED_NOT_DEPLOYED:FIRING");
            Alert a = fired.get(0);
            assertThat(a.getCertificateKey()).isEqualTo(pbx.getKey());
            assertThat(a.getSummary()).contains("pbx-berlin").contains(k(pbx)).contains("smoxy-eu").contains(k(smoxy)).contains(day(80).toString());
            assertThat(a.getLabels()).containsEntry("renewed_certificate_key", k(smoxy)).containsEntry("renewed_source", "smoxy-eu");
            assertThat(a.getAlertId()).isEqualTo(Alerts.id(AlertKind.RENEWED_NOT_DEPLOYED, k(pbx), day(40).toEpochMilli() + "|" + k(smoxy)));

            Certificate deployed = Certificate.newBuilder(pbx).setNotAfter(day(80)).setObservedAt(day(10)).build();
            h.certificates.pipeInput(k(deployed), deployed);
            List<Alert> resolved = h.alerts.readValuesToList();
            assertThat(summary(resolved)).isEqualTo("RENEWED_NOT_DEPLOYED:RESOLVED");
            assertThat(resolved.get(0).getSummary()).contains("holder updated, expiry now " + day(80));
            h.advanceHourly(Duration.ofDays(5));
            assertThat(h.alerts.isEmpty()).isTrue();
        }
    }

    @Test
    void renewedButNotDeployedResolvesWhenTheHolderOrTheRenewedCertificateIsRemoved() {
        try (Harness h = new Harness()) {
            Certificate pbx = yeastarUpload("pbx-berlin", "8", "shop.example.com", day(40), START);
            Certificate smoxy = smoxyAuto("org", "s8", "shop.example.com", List.of(), day(80), START);
            Certificate pbx2 = yeastarUpload("pbx-munich", "9", "shop.example.com", day(41), START);
            for (Certificate x : List.of(pbx, smoxy, pbx2)) {
                h.certificates.pipeInput(k(x), x);
            }
            h.toInstant(day(11));
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getCertificateKey().getSourceName())
                    .containsExactlyInAnyOrder("RENEWED_NOT_DEPLOYED:pbx-berlin", "RENEWED_NOT_DEPLOYED:pbx-munich");
            h.certificates.pipeInput(k(pbx), null); // the holder is removed
            List<Alert> first = h.alerts.readValuesToList();
            assertThat(first).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getCertificateKey().getSourceName())
                    .containsExactly("RENEWED_NOT_DEPLOYED:RESOLVED:pbx-berlin");
            assertThat(first.get(0).getSummary()).contains("certificate removed");
            h.certificates.pipeInput(k(smoxy), null); // the renewed certificate is removed
            List<Alert> second = h.alerts.readValuesToList();
            assertThat(second).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getCertificateKey().getSourceName())
                    .containsExactly("RENEWED_NOT_DEPLOYED:RESOLVED:pbx-munich");
            assertThat(second.get(0).getSummary()).contains("no newer certificate for the same names elsewhere");
        }
    }

    @Test
    void aCopyUpdatedWithinTheDeployGraceNeverPagesOneLeftOldDoesExactlyWhenTheGraceEnds() {
        try (Harness h = new Harness()) {
            // both copies are in their window (manual, 30 days' lead) when smoxy renews on day 11
            Certificate updated = yeastarUpload("pbx-berlin", "1", "shop.example.com", day(40), START);
            Certificate forgotten = yeastarUpload("pbx-munich", "2", "shop.example.com", day(40), START);
            Certificate smoxy = smoxyAuto("org", "s", "shop.example.com", List.of("shop.example.com"), day(40), START);
            for (Certificate x : List.of(updated, forgotten, smoxy)) {
                h.certificates.pipeInput(k(x), x);
            }
            h.toInstant(day(11));
            h.alerts.readValuesToList();
            Certificate renewed = Certificate.newBuilder(smoxy).setNotAfter(day(101)).setObservedAt(day(11)).build();
            h.certificates.pipeInput(k(renewed), renewed);
            // polled at another time: the deployment reaches pbx-berlin twenty hours later
            h.advanceHourly(Duration.ofHours(20));
            Certificate deployed = Certificate.newBuilder(updated).setNotAfter(day(101)).setObservedAt(h.now()).build();
            h.certificates.pipeInput(k(deployed), deployed);
            h.toInstant(day(12).minusMillis(1)); // the last instant of the deploy grace
            assertThat(h.alerts.readValuesToList()).filteredOn(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).isEmpty();
            h.toInstant(day(12));
            List<Alert> fired = h.alerts.readValuesToList().stream().filter(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).toList();
            assertThat(fired).extracting(a -> a.getCertificateKey().getSourceName() + ":" + a.getStatus()).containsExactly("pbx-munich:FIRING");
            assertThat(fired.get(0).getFiredAt()).isEqualTo(day(12));
            assertThat(fired.get(0).getLabels()).containsEntry("renewed_certificate_key", k(smoxy));
            // smoxy renews again: the same holder, the grace does not start over and nothing fires twice
            Certificate again = Certificate.newBuilder(renewed).setNotAfter(day(150)).setObservedAt(day(13)).build();
            h.toInstant(day(13));
            h.certificates.pipeInput(k(again), again);
            assertThat(h.alerts.readValuesToList()).filteredOn(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).isEmpty();
        }
    }

    /**
     * The year test's late RENEWED_NOT_DEPLOYED (pbx-mumbai): the name index's conclusion reaches the copy's task
     * two repartition hops after the renewal was evaluated, 13 simulated hours later at 200,000x under load. The
     * deploy grace runs from the renewal's evaluation (the match record's timestamp), not from that delivery.
     */
    @Test
    void theDeployGraceRunsFromTheRenewalNotFromWhenTheNameIndexConclusionArrives() {
        try (Harness h = new Harness()) {
            Certificate pbx = yeastarUpload("pbx-mumbai", "50", "shop.initech.example", day(40), START);
            Certificate smoxy = smoxyAuto("org-3", "s", "shop.initech.example", List.of("shop.initech.example"), day(40), START);
            h.certificates.pipeInput(k(pbx), pbx);
            h.certificates.pipeInput(k(smoxy), smoxy);
            h.toInstant(day(11)); // the copy is due (manual, 30 days' lead); smoxy renews now
            assertThat(h.alerts.readValuesToList()).isEmpty();
            // what the name index concluded at the renewal (day 11), delivered to the copy's task 13 hours later
            h.advanceHourly(Duration.ofHours(13));
            Certificate renewed = Certificate.newBuilder(smoxy).setNotAfter(day(101)).setObservedAt(day(11)).build();
            CertificateNameMatch late = CertificateNameMatch.newBuilder().setCertificateKey(pbx.getKey()).setPrimaryName("shop.initech.example")
                    .setNewerHolder(renewed.getKey()).setNewerHolderNotAfter(renewed.getNotAfter()).build();
            h.driver.createInputTopic(h.topics.certificateNameMatches().name(), h.topics.certificateNameMatches().keySerde().serializer(),
                    h.topics.certificateNameMatches().valueSerde().serializer()).pipeInput(k(pbx), late, day(11));
            h.toInstant(day(12).minusMillis(1));
            assertThat(h.alerts.readValuesToList()).filteredOn(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).isEmpty();
            h.toInstant(day(12)); // a day after the renewal, not a day after the conclusion arrived (day 12 + 13 h)
            List<Alert> fired = h.alerts.readValuesToList().stream().filter(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).toList();
            assertThat(fired).extracting(a -> a.getStatus() + "@" + a.getFiredAt()).containsExactly("FIRING@" + day(12));
        }
    }

    @Test
    void aDeployGraceOfZeroFiresAsSoonAsTheNewerHolderIsSeen() {
        StreamsSettings settings = new StreamsSettings();
        settings.renewal.deployGrace = Duration.ZERO;
        try (Harness h = new Harness(settings)) {
            Certificate pbx = yeastarUpload("pbx-berlin", "1", "shop.example.com", day(29), START); // due at once, overdue on day 1
            Certificate smoxy = smoxyAuto("org", "s", "shop.example.com", List.of("shop.example.com"), day(80), START);
            h.certificates.pipeInput(k(pbx), pbx);
            h.certificates.pipeInput(k(smoxy), smoxy);
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("RENEWED_NOT_DEPLOYED:FIRING");
        }
    }

    @Test
    void everyCertificateHasARenewalStateNotOnlyThoseInTheExpiringTable() {
        try (Harness h = new Harness()) {
            Certificate c = yeastarUpload("pbx-berlin", "5", "pbx.example.com", day(100), START);
            h.certificates.pipeInput(k(c), c);
            assertThat(h.expiring.isEmpty()).as("in no table").isTrue();
            CertificateRenewal scheduled = h.renewals.readValue();
            assertThat(scheduled.getRenewalStatus()).isEqualTo(RenewalStatus.SCHEDULED);
            assertThat(scheduled.getExpectedRenewalAt()).isEqualTo(day(70));
            assertThat(scheduled.getRenewalOverdueAt()).isEqualTo(day(72));
            assertThat(scheduled.getRenewalPolicy()).isEqualTo("manual-lead-30d");
            assertThat(scheduled.getRenewalMode()).isEqualTo("manual");
            assertThat(scheduled.getLastRenewedAt()).isNull();
            h.certificates.pipeInput(k(c), Certificate.newBuilder(c).setObservedAt(day(1)).build());
            h.advanceHourly(Duration.ofDays(2));
            assertThat(h.renewals.isEmpty()).as("written when it changes, not on every record or tick").isTrue();

            h.toInstant(day(70));
            assertThat(h.renewals.readValue().getRenewalStatus()).isEqualTo(RenewalStatus.DUE);
            h.toInstant(day(72));
            CertificateRenewal overdue = h.renewals.readValue();
            assertThat(overdue.getRenewalStatus()).isEqualTo(RenewalStatus.OVERDUE);
            assertThat(overdue.getEvaluatedAt()).isEqualTo(day(72));

            // renewed by hand three days after it was expected: the new generation records how late
            Certificate renewed = Certificate.newBuilder(c).setNotAfter(day(500)).setNotBefore(day(73)).setObservedAt(day(74)).build();
            h.toInstant(day(74));
            h.certificates.pipeInput(k(renewed), renewed);
            CertificateRenewal next = h.renewals.readValue();
            assertThat(next.getRenewalStatus()).isEqualTo(RenewalStatus.SCHEDULED);
            assertThat(next.getNotAfter()).isEqualTo(day(500));
            assertThat(next.getIssuedAt()).isEqualTo(day(73));
            assertThat(next.getLastRenewalOfNotAfter()).isEqualTo(day(100));
            assertThat(next.getLastRenewalExpectedAt()).isEqualTo(day(70));
            assertThat(next.getLastRenewedAt()).isEqualTo(day(73));

            h.certificates.pipeInput(k(c), null);
            var removed = h.renewals.readKeyValue();
            assertThat(removed.key).isEqualTo(k(c));
            assertThat(removed.value).as("tombstone").isNull();
            assertThat(h.driver.getKeyValueStore(Names.RENEWAL_ROW_STORE).get(k(c))).isNull();
        }
    }

    @Test
    void aSupersededCertificatesRenewalStateNamesItsReplacementAndWhenItWasSeen() {
        try (Harness h = new Harness()) {
            Certificate old = leegality("hr", "old-id", "signing.hr.example", day(-300), day(40), START);
            h.certificates.pipeInput(k(old), old);
            h.toInstant(day(5));
            Certificate next = leegality("hr", "new-id", "signing.hr.example", day(5), day(400), day(5));
            h.certificates.pipeInput(k(next), next);
            List<CertificateRenewal> rows = h.renewals.readValuesToList();
            CertificateRenewal renewed = rows.stream().filter(r -> r.getCertificateKey().equals(old.getKey())).reduce((a, b) -> b).orElseThrow();
            assertThat(renewed.getRenewalStatus()).isEqualTo(RenewalStatus.RENEWED);
            assertThat(renewed.getReplacedBy()).isEqualTo(k(next));
            assertThat(renewed.getLastRenewalOfNotAfter()).isEqualTo(day(40));
            assertThat(renewed.getLastRenewalExpectedAt()).isEqualTo(day(10));
            assertThat(renewed.getLastRenewedAt()).isEqualTo(day(5));
            h.advanceHourly(Duration.ofDays(2));
            assertThat(h.renewals.readValuesToList()).filteredOn(r -> r.getCertificateKey().equals(old.getKey())).isEmpty();
        }
    }

    @Test
    void onAClockOfItsOwnEveryEvaluationTakesItsNowWhileTheTickKeepsKafkaStreamsSchedule() {
        java.util.concurrent.atomic.AtomicLong simulated = new java.util.concurrent.atomic.AtomicLong(START.toEpochMilli());
        try (Harness h = new Harness(new StreamsSettings(), simulated::get)) {
            Certificate c = yeastarUpload("pbx-berlin", "2", "pbx.example.com", day(40), START);
            h.certificates.pipeInput(k(c), c);
            assertThat(h.renewals.readValue().getEvaluatedAt()).isEqualTo(START);
            simulated.set(day(12).toEpochMilli()); // twelve simulated days in one real minute
            h.advance(Duration.ofMinutes(1));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(summary(alerts)).isEqualTo("RENEWAL_OVERDUE:FIRING");
            assertThat(alerts.get(0).getFiredAt()).isEqualTo(day(12));
            simulated.set(day(33).toEpochMilli());
            Certificate renewed = Certificate.newBuilder(c).setNotAfter(day(400)).setObservedAt(day(33)).build();
            h.certificates.pipeInput(k(renewed), renewed); // a record, not a tick: evaluated at the clock's now too
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getResolvedAt())
                    .containsExactly("RENEWAL_OVERDUE:RESOLVED:" + day(33));
        }
    }

    @Test
    void theOldFixedThresholdsWriteNoRenewalStates() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            Certificate c = yeastarUpload("pbx-berlin", "5", "pbx.example.com", day(20), START);
            h.certificates.pipeInput(k(c), c);
            h.toInstant(day(15));
            assertThat(h.renewals.isEmpty()).isTrue();
        }
    }

    @Test
    void aWildcardCoversOneLabelOnlyWhenMatchingHolders() {
        try (Harness h = new Harness()) {
            Certificate renewed = smoxyAuto("org", "w", "*.example.com", List.of("*.example.com"), day(90), START);
            Certificate oneLabel = yeastarUpload("pbx-a", "1", "shop.example.com", day(20), START);
            Certificate twoLabels = yeastarUpload("pbx-b", "2", "a.b.example.com", day(20), START);
            Certificate apex = yeastarUpload("pbx-c", "3", "example.com", day(20), START);
            for (Certificate x : List.of(oneLabel, twoLabels, apex, renewed)) {
                h.certificates.pipeInput(k(x), x);
            }
            h.toInstant(day(1)); // the deploy grace
            List<Alert> alerts = h.alerts.readValuesToList().stream().filter(a -> a.getKind() == AlertKind.RENEWED_NOT_DEPLOYED).toList();
            assertThat(alerts).extracting(a -> a.getCertificateKey().getSourceName()).containsExactly("pbx-a");
        }
    }

    @Test
    void driftOnARenewalThatDropsASanOrChangesIssuerAndItResolvesOnTheNextCleanRenewal() {
        try (Harness h = new Harness()) {
            Certificate c = smoxyAuto("org", "d1", "shop.example.com", List.of("shop.example.com", "www.shop.example.com"), day(47), START);
            h.certificates.pipeInput(k(c), c);
            Certificate dropped = Certificate.newBuilder(c).setSans(List.of("shop.example.com")).setNotAfter(day(64)).setObservedAt(day(17)).build();
            h.certificates.pipeInput(k(dropped), dropped);
            List<Alert> drift = h.alerts.readValuesToList();
            assertThat(summary(drift)).isEqualTo("RENEWAL_DRIFT:FIRING");
            assertThat(drift.get(0).getSeverity()).isEqualTo(Severity.INFO);
            assertThat(drift.get(0).getThreshold()).isEqualTo("san-dropped");
            assertThat(drift.get(0).getSummary()).contains("dropped www.shop.example.com");
            assertThat(drift.get(0).getAlertId()).isEqualTo(Alerts.id(AlertKind.RENEWAL_DRIFT, k(c), Long.toString(day(64).toEpochMilli())));

            Certificate issuer = Certificate.newBuilder(dropped).setIssuer("E7").setNotAfter(day(81)).setObservedAt(day(34)).build();
            h.certificates.pipeInput(k(issuer), issuer);
            List<Alert> next = h.alerts.readValuesToList();
            assertThat(next).extracting(a -> a.getKind() + ":" + a.getStatus() + ":" + a.getThreshold())
                    .containsExactly("RENEWAL_DRIFT:RESOLVED:san-dropped", "RENEWAL_DRIFT:FIRING:issuer-changed");
            assertThat(next.get(1).getSummary()).contains("issuer changed from R11 to E7");

            Certificate clean = Certificate.newBuilder(issuer).setNotAfter(day(98)).setObservedAt(day(51)).build();
            h.certificates.pipeInput(k(clean), clean);
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getStatus()).containsExactly("RENEWAL_DRIFT:RESOLVED");
        }
    }

    @Test
    void aReplacementFromAnotherIssuerIsDrift() {
        try (Harness h = new Harness()) {
            Certificate old = Certificate.newBuilder(leegality("hr", "o", "sign.example", day(-300), day(60), START)).setIssuer("eMudhra").build();
            h.certificates.pipeInput(k(old), old);
            Certificate next = Certificate.newBuilder(leegality("hr", "n", "sign.example", START, day(425), START)).setIssuer("Capricorn").build();
            h.certificates.pipeInput(k(next), next);
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(alerts).extracting(a -> a.getKind() + ":" + a.getThreshold() + ":" + a.getCertificateKey().getSourceId())
                    .containsExactly("RENEWAL_DRIFT:issuer-changed:o");
            assertThat(alerts.get(0).getSummary()).contains("replacement " + k(next)).contains("from eMudhra to Capricorn");
        }
    }

    @Test
    void theOldFixedThresholdsKeepTodaysBehaviourWithNoRenewalStateOrNameIndex() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            Certificate c = yeastarUpload("pbx-berlin", "2", "pbx.example.com", day(40), START);
            h.certificates.pipeInput(k(c), c);
            Certificate other = smoxyAuto("org", "s", "pbx.example.com", List.of(), day(90), START);
            h.certificates.pipeInput(k(other), other);
            assertThat(h.names.isEmpty()).isTrue();
            h.toInstant(day(10));
            ExpiringCertificate row = h.expiring.readValue();
            assertThat(row.getBucket()).isEqualTo("30d");
            assertThat(row.getRenewalStatus()).isEqualTo(RenewalStatus.UNKNOWN);
            assertThat(row.getExpectedRenewalAt()).isNull();
            assertThat(row.getRenewalPolicy()).isNull();
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getThreshold()).containsExactly("EXPIRING:30d");
            h.advanceHourly(Duration.ofDays(31));
            assertThat(h.alerts.readValuesToList()).extracting(a -> a.getKind() + ":" + a.getThreshold() + ":" + a.getStatus()).containsExactly(
                    "EXPIRING:30d:RESOLVED", "EXPIRING:14d:FIRING", "EXPIRING:14d:RESOLVED", "EXPIRING:7d:FIRING", "EXPIRING:7d:RESOLVED",
                    "EXPIRING:1d:FIRING", "EXPIRING:1d:RESOLVED", "EXPIRED:expired:FIRING");
        }
    }

    @Test
    void nameIndexEntriesAreKeyedByParentDomainAndAnUnknownNameIsNeverMatched() {
        try (Harness h = new Harness()) {
            Certificate c = smoxyAuto("org", "n1", "Shop.Example.com.", List.of("*.example.com", "api.other.org"), day(90), START);
            h.certificates.pipeInput(k(c), c);
            assertThat(h.names.readKeyValuesToList()).extracting(kv -> kv.key + "|" + kv.value.getName())
                    .containsExactlyInAnyOrder("example.com|*.example.com", "other.org|api.other.org", "example.com|shop.example.com");
            Certificate renamed = Certificate.newBuilder(c).setSans(List.of()).build();
            h.certificates.pipeInput(k(renamed), renamed);
            assertThat(h.names.readKeyValuesToList()).extracting(kv -> kv.key + "|" + kv.value.getName() + "|" + kv.value.getRemoved())
                    .containsExactlyInAnyOrder("example.com|shop.example.com|false", "example.com|*.example.com|true", "other.org|api.other.org|true");
            assertThat(h.driver.getKeyValueStore(Names.NAME_INDEX_STORE).get(
                    NameIndexProcessor.entryKey("shop.example.com", CertificateKeys.format(c.getKey())))).isNotNull();
            assertThat(h.driver.getKeyValueStore(Names.NAME_INDEX_STORE).get(
                    NameIndexProcessor.entryKey("*.example.com", CertificateKeys.format(c.getKey())))).isNull();
        }
    }
}
