package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.Severity;
import dev.certflow.schemas.DeadLetters;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.TopologyDescription;
import org.apache.kafka.streams.test.TestRecord;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.Fixtures.cert;
import static dev.certflow.streams.Fixtures.k;
import static dev.certflow.streams.Fixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

/** The expiry thresholds, failed renewals, SOURCE_DOWN and the topology's shape, under the old fixed thresholds (renewal policy off). */
class CertflowTopologyTest {

    private static String summary(List<Alert> alerts) {
        return alerts.stream().map(a -> a.getKind() + ":" + a.getThreshold() + ":" + a.getStatus()).collect(Collectors.joining(","));
    }

    @Test
    void thresholdsAreCrossedAsDaysPassWithNoInputAndEachBucketFiresOnce() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "1");
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(40))));
            assertThat(h.expiring.isEmpty()).isTrue();
            assertThat(h.alerts.isEmpty()).isTrue();

            h.advanceHourly(Duration.ofDays(11)); // entered the 30d bucket on day 10
            List<KeyValue<String, ExpiringCertificate>> rows = h.expiring.readKeyValuesToList();
            assertThat(rows).hasSize(1);
            assertThat(rows.get(0).value.getBucket()).isEqualTo("30d");
            assertThat(rows.get(0).value.getThresholdDays()).isEqualTo(30);
            assertThat(rows.get(0).value.getDaysLeft()).isEqualTo(30);
            assertThat(rows.get(0).value.getEvaluatedAt()).isEqualTo(START.plus(Duration.ofDays(10)));
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(summary(alerts)).isEqualTo("EXPIRING:30d:FIRING");
            assertThat(alerts.get(0).getSeverity()).isEqualTo(Severity.INFO);
            assertThat(alerts.get(0).getLabels()).containsEntry("tenant", "acme").containsEntry("source", "smoxy-eu")
                    .containsEntry("source_kind", "smoxy").containsEntry("department", "payments").containsEntry("certificate", "cert-1")
                    .containsEntry("certificate_key", k(key)).doesNotContainKey("instance");
            assertThat(alerts.get(0).getSummary()).contains("expires in 30 days").contains(k(key));

            h.advanceHourly(Duration.ofDays(30)); // through 14d, 7d, 1d into expired
            List<Alert> later = h.alerts.readValuesToList();
            assertThat(summary(later)).isEqualTo(
                    "EXPIRING:30d:RESOLVED,EXPIRING:14d:FIRING,EXPIRING:14d:RESOLVED,EXPIRING:7d:FIRING,"
                    + "EXPIRING:7d:RESOLVED,EXPIRING:1d:FIRING,EXPIRING:1d:RESOLVED,EXPIRED:expired:FIRING");
            assertThat(later.get(0).getAlertId()).isEqualTo(alerts.get(0).getAlertId());
            assertThat(later.get(7).getSeverity()).isEqualTo(Severity.CRITICAL);
            assertThat(h.expiring.readValuesToList()).extracting(ExpiringCertificate::getBucket).containsExactly("14d", "7d", "1d", "expired");

            h.advanceHourly(Duration.ofDays(3)); // expired stays expired: nothing repeats
            assertThat(h.alerts.isEmpty()).isTrue();
            assertThat(h.expiring.isEmpty()).isTrue();
            // work per tick is proportional to changes: 5 transitions in total, not one per tick
            assertThat(h.registry.get("certflow.streams.tick.transitions").counter().count()).isEqualTo(5.0);
        }
    }

    @Test
    void aRenewedCertificateLeavesTheTableAtOnceAndItsAlertResolves() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "2");
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(5))));
            assertThat(h.expiring.readValue().getBucket()).isEqualTo("7d");
            Alert firing = h.alerts.readValue();
            assertThat(firing.getStatus()).isEqualTo(AlertStatus.FIRING);
            assertThat(firing.getSeverity()).isEqualTo(Severity.ERROR);

            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(90))));
            TestRecord<String, ExpiringCertificate> tombstone = h.expiring.readRecord();
            assertThat(tombstone.key()).isEqualTo(k(key));
            assertThat(tombstone.value()).isNull();
            Alert resolved = h.alerts.readValue();
            assertThat(resolved.getAlertId()).isEqualTo(firing.getAlertId());
            assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(resolved.getResolvedAt()).isEqualTo(START);
            assertThat(h.alerts.isEmpty()).isTrue();

            // the renewed certificate enters the 30d bucket 60 days later, as a new alert id
            h.advanceHourly(Duration.ofDays(61));
            Alert again = h.alerts.readValue();
            assertThat(again.getThreshold()).isEqualTo("30d");
            assertThat(again.getAlertId()).isNotEqualTo(firing.getAlertId());
        }
    }

    @Test
    void repeatedIdenticalInputDoesNotRepeatRowsOrAlerts() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "3");
            Certificate c = cert(key, START.plus(Duration.ofDays(10)));
            h.certificates.pipeInput(k(key), c);
            h.certificates.pipeInput(k(key), c);
            h.certificates.pipeInput(k(key), c);
            assertThat(h.expiring.readValuesToList()).hasSize(1);
            assertThat(h.alerts.readValuesToList()).hasSize(1);
        }
    }

    @Test
    void aRemovedCertificateLeavesBothTablesAndResolvesItsAlerts() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key(null, "4");
            h.certificates.pipeInput(k(key), cert(key, START.minus(Duration.ofDays(1))));
            h.attempts.pipeInput(k(key), Fixtures.attempt(key, "a1", AttemptStatus.FAILED, START.minusSeconds(60), "dns"));
            assertThat(h.expiring.readValue().getBucket()).isEqualTo("expired");
            assertThat(h.failed.readValue().getConsecutiveFailures()).isEqualTo(1);
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("EXPIRED:expired:FIRING,RENEWAL_FAILED:renewal-failed:FIRING");

            h.certificates.pipeInput(k(key), (Certificate) null);
            assertThat(h.expiring.readRecord().value()).isNull();
            assertThat(h.failed.readRecord().value()).isNull();
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("EXPIRED:expired:RESOLVED,RENEWAL_FAILED:renewal-failed:RESOLVED");
            h.advanceHourly(Duration.ofDays(2));
            assertThat(h.alerts.isEmpty()).isTrue();
        }
    }

    @Test
    void failedRenewalsOrderByAttemptTimeIgnoreDuplicatesAndOlderAttempts() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "5");
            String kk = k(key);
            Instant t1 = START.minus(Duration.ofHours(5));
            Instant t2 = START.minus(Duration.ofHours(4));
            Instant t3 = START.minus(Duration.ofHours(3));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f1", AttemptStatus.FAILED, t1, "rate limited"));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f3", AttemptStatus.FAILED, t3, "dns timeout"));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f2", AttemptStatus.FAILED, t2, "unauthorized")); // late
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f3", AttemptStatus.FAILED, t3, "dns timeout")); // duplicate
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "r1", AttemptStatus.RUNNING, START, null)); // no verdict
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "s0", AttemptStatus.SUCCEEDED, t1.minusSeconds(600), null)); // older success
            List<FailedRenewal> rows = h.failed.readValuesToList();
            FailedRenewal last = rows.get(rows.size() - 1);
            assertThat(last.getConsecutiveFailures()).isEqualTo(3);
            assertThat(last.getFirstFailureAt()).isEqualTo(t1);
            assertThat(last.getLastFailureAt()).isEqualTo(t3);
            assertThat(last.getLastErrorMessage()).isEqualTo("dns timeout"); // the late f2 does not become "last"
            assertThat(last.getLastErrorCode()).isEqualTo("E_dns timeout");
            assertThat(last.getLastAttemptId()).isEqualTo("f3");
            assertThat(last.getLastAttemptType()).isEqualTo("acme_renew");
            assertThat(rows).hasSize(3); // f1, f3, f2 changed the row; duplicate, running, older success did not
            List<Alert> alerts = h.alerts.readValuesToList();
            assertThat(summary(alerts)).isEqualTo("RENEWAL_FAILED:renewal-failed:FIRING"); // one alert, not one per attempt

            h.attempts.pipeInput(kk, Fixtures.attempt(key, "s1", AttemptStatus.SUCCEEDED, START.minus(Duration.ofHours(1)), null));
            assertThat(h.failed.readRecord().value()).isNull();
            Alert resolved = h.alerts.readValue();
            assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(resolved.getAlertId()).isEqualTo(alerts.get(0).getAlertId());

            // a failure older than the success arriving late never undoes it; a duplicate success neither
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f2b", AttemptStatus.FAILED, t2.plusSeconds(1), "late"));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "s1", AttemptStatus.SUCCEEDED, START.minus(Duration.ofHours(1)), null));
            assertThat(h.failed.isEmpty()).isTrue();
            assertThat(h.alerts.isEmpty()).isTrue();

            // a new failure after the success is a new episode with a new alert id
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f4", AttemptStatus.FAILED, START, "again"));
            assertThat(h.failed.readValue().getConsecutiveFailures()).isEqualTo(1);
            Alert second = h.alerts.readValue();
            assertThat(second.getStatus()).isEqualTo(AlertStatus.FIRING);
            assertThat(second.getAlertId()).isNotEqualTo(alerts.get(0).getAlertId());
        }
    }

    @Test
    void aCertificateWithoutExpiryIsItsOwnStateAndNeverExpires() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "6");
            Certificate noExpiry = Certificate.newBuilder(cert(key, null)).setExpiryStatus(ExpiryStatus.UNPARSEABLE).setNotAfterRaw("31/02/2026").build();
            h.certificates.pipeInput(k(key), noExpiry);
            Alert unknown = h.alerts.readValue();
            assertThat(unknown.getKind()).isEqualTo(AlertKind.EXPIRY_UNKNOWN);
            assertThat(unknown.getSummary()).contains("UNPARSEABLE").contains("31/02/2026");
            h.certificates.pipeInput(k(key), noExpiry);
            h.advanceHourly(Duration.ofDays(3));
            h.advance(Duration.ofDays(1000));
            assertThat(h.alerts.isEmpty()).isTrue();
            assertThat(h.expiring.isEmpty()).isTrue();
            assertThat(h.driver.<String, Certificate>getKeyValueStore(Names.UNKNOWN_EXPIRY_STORE).get(k(key))).isNotNull();

            Instant now = START.plus(Duration.ofDays(1003));
            h.certificates.pipeInput(k(key), cert(key, now.plus(Duration.ofDays(3))));
            assertThat(summary(h.alerts.readValuesToList())).isEqualTo("EXPIRY_UNKNOWN:UNPARSEABLE:RESOLVED,EXPIRING:7d:FIRING");
            assertThat(h.driver.<String, Certificate>getKeyValueStore(Names.UNKNOWN_EXPIRY_STORE).get(k(key))).isNull();
        }
    }

    @Test
    void perTenantAndPerSourceOverridesReplaceTheDefaultThresholds() {
        StreamsSettings s = Harness.fixedThresholds();
        StreamsSettings.ThresholdOverride tenant = new StreamsSettings.ThresholdOverride();
        tenant.tenant = "bank";
        tenant.thresholdDays = List.of(60, 21);
        StreamsSettings.ThresholdOverride both = new StreamsSettings.ThresholdOverride();
        both.tenant = "bank";
        both.source = "smoxy-eu";
        both.thresholdDays = List.of(90);
        StreamsSettings.ThresholdOverride source = new StreamsSettings.ThresholdOverride();
        source.source = "other";
        source.thresholdDays = List.of(2);
        s.overrides = List.of(tenant, source);
        try (Harness h = new Harness(s)) {
            CertificateKey bank = key("bank", "7");
            CertificateKey shop = key("shop", "8");
            h.certificates.pipeInput(k(bank), cert(bank, START.plus(Duration.ofDays(50))));
            h.certificates.pipeInput(k(shop), cert(shop, START.plus(Duration.ofDays(50))));
            List<KeyValue<String, ExpiringCertificate>> rows = h.expiring.readKeyValuesToList();
            assertThat(rows).extracting(r -> r.key + "=" + r.value.getBucket()).containsExactly(k(bank) + "=60d");
            h.advanceHourly(Duration.ofDays(30)); // 20 days left
            assertThat(h.expiring.readKeyValuesToList()).extracting(r -> r.key + "=" + r.value.getBucket())
                    .containsExactly(k(shop) + "=30d", k(bank) + "=21d");
        }
        s.overrides = List.of(tenant, both);
        try (Harness h = new Harness(s)) {
            CertificateKey bank = key("bank", "9");
            h.certificates.pipeInput(k(bank), cert(bank, START.plus(Duration.ofDays(80))));
            assertThat(h.expiring.readValue().getBucket()).isEqualTo("90d"); // tenant+source beats tenant
        }
    }

    @Test
    void shortLivedCertificatesUseLifetimePercentages() {
        StreamsSettings s = Harness.fixedThresholds();
        s.lifetimePercentages = List.of(33, 10);
        try (Harness h = new Harness(s)) {
            // a 47-day certificate on day 20: a fixed 30-day threshold would already have fired on day 17
            CertificateKey short47 = key("acme", "47");
            h.certificates.pipeInput(k(short47), cert(short47, START.plus(Duration.ofDays(27)), START.minus(Duration.ofDays(20))));
            // a 398-day certificate keeps the day thresholds
            CertificateKey long398 = key("acme", "398");
            h.certificates.pipeInput(k(long398), cert(long398, START.plus(Duration.ofDays(27)), START.minus(Duration.ofDays(371))));
            assertThat(h.expiring.readKeyValuesToList()).extracting(r -> r.key + "=" + r.value.getBucket())
                    .containsExactly(k(long398) + "=30d");
            h.advanceHourly(Duration.ofDays(12)); // 15 days left of 47: below 33% (15.51 days)
            ExpiringCertificate row = h.expiring.readValuesToList().stream().filter(r -> r.getCertificate().getKey().equals(short47)).findFirst().orElseThrow();
            assertThat(row.getBucket()).isEqualTo("33%");
            assertThat(row.getThresholdDays()).isNull();
            h.alerts.readValuesToList();
            h.advanceHourly(Duration.ofDays(11)); // 4 days left: below 10% (4.7 days)
            assertThat(h.alerts.readValuesToList().stream().filter(a -> a.getCertificateKey().equals(short47)).map(a -> a.getThreshold() + ":" + a.getStatus()).toList())
                    .containsExactly("33%:RESOLVED", "10%:FIRING");
        }
    }

    @Test
    void aRenewalFailedAlertNeverContradictsTheRowItCameFrom() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "streak");
            String kk = k(key);
            Instant t1 = START.minus(Duration.ofHours(3));
            Instant t2 = START.minus(Duration.ofHours(2));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f1", AttemptStatus.FAILED, t1, "rate limited"));
            h.attempts.pipeInput(kk, Fixtures.attempt(key, "f2", AttemptStatus.FAILED, t2, "dns timeout"));
            List<FailedRenewal> rows = h.failed.readValuesToList();
            assertThat(rows).extracting(FailedRenewal::getConsecutiveFailures).containsExactly(1, 2);
            List<Alert> firing = h.alerts.readValuesToList();
            assertThat(summary(firing)).isEqualTo("RENEWAL_FAILED:renewal-failed:FIRING"); // one per streak, never re-fired
            // the text was written at the first failure and is never updated: it names that attempt and claims
            // no count, so it still holds now that the row counts two
            assertThat(firing.get(0).getSummary())
                    .contains("attempt f1 failed at " + rows.get(1).getFirstFailureAt())
                    .contains("E_rate limited: rate limited")
                    .doesNotContainPattern("\\d+ time");

            h.attempts.pipeInput(kk, Fixtures.attempt(key, "s1", AttemptStatus.SUCCEEDED, START, null));
            assertThat(h.failed.readRecord().value()).isNull();
            List<Alert> resolved = h.alerts.readValuesToList();
            assertThat(summary(resolved)).isEqualTo("RENEWAL_FAILED:renewal-failed:RESOLVED");
            assertThat(resolved.get(0).getAlertId()).isEqualTo(firing.get(0).getAlertId());
            // the RESOLVED text gives the final count: the last row the table held
            assertThat(resolved.get(0).getSummary())
                    .startsWith("Resolved (renewal succeeded after " + rows.get(1).getConsecutiveFailures() + " consecutive failure(s))");
        }
    }

    @Test
    void sourceDownFiresOnceAfterNConsecutiveFailedPollsAndResolvesOnSuccess() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START, PollOutcome.FAILED));
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(60), PollOutcome.FAILED));
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(60), PollOutcome.FAILED)); // repeated
            assertThat(h.alerts.isEmpty()).isTrue();
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(120), PollOutcome.FAILED));
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(180), PollOutcome.FAILED));
            List<Alert> firing = h.alerts.readValuesToList();
            assertThat(summary(firing)).isEqualTo("SOURCE_DOWN:3-failed-polls:FIRING");
            assertThat(firing.get(0).getSummary()).contains("pbx-berlin").contains("every poll since " + START + " failed")
                    .contains("3 in a row when this alert fired").contains("timeout");
            h.sourceStatus.pipeInput("pbx-berlin", Fixtures.poll("pbx-berlin", START.plusSeconds(240), PollOutcome.PARTIAL));
            Alert resolved = h.alerts.readValue();
            assertThat(resolved.getStatus()).isEqualTo(AlertStatus.RESOLVED);
            assertThat(resolved.getAlertId()).isEqualTo(firing.get(0).getAlertId());
            assertThat(resolved.getSummary()).startsWith("Resolved (poll partial after 4 failed polls)");
        }
    }

    @Test
    void poisonRecordsGoToTheDeadLetterTopicWithTheirOriginAndTheRestContinues() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            byte[] garbage = "not avro".getBytes(StandardCharsets.UTF_8);
            h.rawCertificates.pipeInput("bad-key".getBytes(StandardCharsets.UTF_8), garbage);
            CertificateKey key = key("acme", "10");
            CertificateKey other = key("acme", "11");
            h.certificates.pipeInput(k(other), cert(key, START.plus(Duration.ofDays(3)))); // key differs from field
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(3))));

            // the TopologyTestDriver drops the dead-letter records of the deserialization handler (it has no
            // record collector at that point); DeadLetterIntegrationTest checks them on a real broker
            List<TestRecord<byte[], byte[]>> dead = h.dlq.readRecordsToList();
            assertThat(dead).hasSize(1);
            TestRecord<byte[], byte[]> second = dead.get(0);
            assertThat(DeadLetters.header(second.headers(), DeadLetters.ORIGIN_TOPIC)).isEqualTo(h.topics.certificates().name());
            assertThat(DeadLetters.header(second.headers(), DeadLetters.STAGE)).isEqualTo("processing");
            assertThat(DeadLetters.header(second.headers(), DeadLetters.ORIGIN_PARTITION)).isEqualTo("0");
            assertThat(DeadLetters.header(second.headers(), DeadLetters.ORIGIN_OFFSET)).isEqualTo("1");
            assertThat(DeadLetters.header(second.headers(), DeadLetters.ERROR_CLASS)).isEqualTo(IllegalArgumentException.class.getName());
            assertThat(DeadLetters.header(second.headers(), DeadLetters.ERROR_MESSAGE)).contains("differs from field key");
            assertThat(new String(second.key(), StandardCharsets.UTF_8)).isEqualTo(k(other));
            assertThat(second.value()).isEqualTo(h.topics.certificates().valueSerde().serializer().serialize(h.topics.certificates().name(), cert(key, START.plus(Duration.ofDays(3)))));

            assertThat(h.expiring.readValue().getCertificate().getKey()).isEqualTo(key); // the good record went through
            assertThat(h.registry.get("certflow.streams.dead.letters").tag("stage", "deserialization").counter().count()).isEqualTo(1.0);
            assertThat(h.registry.get("certflow.streams.dead.letters").tag("stage", "processing").counter().count()).isEqualTo(1.0);
        }
    }

    @Test
    void alertIdsAreDeterministicAcrossRuns() {
        List<String> ids = new java.util.ArrayList<>();
        for (int run = 0; run < 2; run++) {
            try (Harness h = new Harness(Harness.fixedThresholds())) {
                CertificateKey key = key("acme", "12");
                h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(20))));
                h.attempts.pipeInput(k(key), Fixtures.attempt(key, "x", AttemptStatus.FAILED, START, "e"));
                ids.add(h.alerts.readValuesToList().stream().map(Alert::getAlertId).collect(Collectors.joining(",")));
            }
        }
        assertThat(ids.get(0)).isEqualTo(ids.get(1)).contains(",");
    }

    @Test
    void aTickVisitsOnlyTheCertificatesWhoseBucketChanges() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            for (int i = 0; i < 500; i++) {
                CertificateKey key = key("acme", "far-" + i);
                h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(200 + i))));
            }
            for (int i = 0; i < 7; i++) {
                CertificateKey key = key("acme", "near-" + i);
                h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(30)).plus(Duration.ofMinutes(30 + i))));
            }
            h.advance(Duration.ofHours(1));
            assertThat(h.expiring.readValuesToList()).hasSize(7);
            assertThat(h.registry.get("certflow.streams.tick.transitions").counter().count()).isEqualTo(7.0);
        }
    }

    @Test
    void aTickIsBoundedAndTheRestFollowsInTheNextTicks() {
        StreamsSettings s = Harness.fixedThresholds();
        s.maxTransitionsPerTick = 3;
        try (Harness h = new Harness(s)) {
            for (int i = 0; i < 7; i++) {
                CertificateKey key = key("acme", "b" + i);
                h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(30)).plus(Duration.ofMinutes(10 + i))));
            }
            h.advance(Duration.ofHours(1));
            assertThat(h.expiring.readValuesToList()).hasSize(3);
            h.advance(Duration.ofMinutes(1));
            assertThat(h.expiring.readValuesToList()).hasSize(3);
            h.advance(Duration.ofMinutes(1));
            assertThat(h.expiring.readValuesToList()).hasSize(1);
            h.advance(Duration.ofMinutes(1));
            assertThat(h.expiring.isEmpty()).isTrue();
            assertThat(h.registry.get("certflow.streams.tick.transitions").counter().count()).isEqualTo(7.0);
        }
    }

    @Test
    void aFailedRenewalRowCarriesTheLatestCertificate() {
        try (Harness h = new Harness(Harness.fixedThresholds())) {
            CertificateKey key = key("acme", "snap");
            h.attempts.pipeInput(k(key), Fixtures.attempt(key, "f1", AttemptStatus.FAILED, START, "dns"));
            assertThat(h.failed.readValue().getCertificate()).isNull();
            Certificate c = cert(key, START.plus(Duration.ofDays(200)));
            h.certificates.pipeInput(k(key), c);
            assertThat(h.failed.readValue().getCertificate()).isEqualTo(c);
            h.certificates.pipeInput(k(key), c);
            assertThat(h.failed.isEmpty()).isTrue(); // unchanged certificate: no new row
        }
    }

    @Test
    void everyNodeAndStoreIsNamedAndTheTopologyHasThreeSubTopologies() {
        try (Harness h = new Harness()) {
            TopologyDescription d = CertflowTopology.buildTopology(h.topics, h.settings, h.metrics).describe();
            assertThat(d.subtopologies()).hasSize(3);
            Set<String> nodes = d.subtopologies().stream().flatMap(s -> s.nodes().stream()).map(TopologyDescription.Node::name).collect(Collectors.toSet());
            assertThat(nodes).containsExactlyInAnyOrder(Names.CERTIFICATES_SOURCE, Names.RENEWAL_ATTEMPTS_SOURCE, Names.SOURCE_STATUS_SOURCE,
                    Names.MATCHES_SOURCE, Names.NAMES_SOURCE,
                    Names.CERTIFICATE_PROCESSOR, Names.RENEWAL_PROCESSOR, Names.SOURCE_STATUS_PROCESSOR, Names.MATCH_PROCESSOR,
                    Names.NAME_INDEX_PROCESSOR,
                    Names.EXPIRING_SINK, Names.FAILED_SINK, Names.CERTIFICATE_ALERTS_SINK, Names.SOURCE_ALERTS_SINK,
                    Names.NAMES_SINK, Names.MATCHES_SINK, Names.RENEWALS_SINK);
            Map<String, Set<String>> stores = d.subtopologies().stream().flatMap(s -> s.nodes().stream())
                    .filter(n -> n instanceof TopologyDescription.Processor)
                    .collect(Collectors.toMap(TopologyDescription.Node::name, n -> ((TopologyDescription.Processor) n).stores()));
            Set<String> lifecycle = Set.of(Names.CERTIFICATE_STORE, Names.SCHEDULE_STORE, Names.INDEX_STORE, Names.EXPIRY_ORDER_STORE,
                    Names.EXPIRING_STORE, Names.CERTIFICATE_ALERT_STORE, Names.GENERATION_STORE, Names.MATCH_STORE,
                    Names.FLEET_SUMMARY_STORE, Names.FLEET_INDEX_STORE, Names.FLEET_COUNTS_STORE, Names.HISTORY_STORE, Names.FAILED_STORE,
                    Names.RENEWAL_ROW_STORE);
            assertThat(stores.get(Names.CERTIFICATE_PROCESSOR)).containsAll(lifecycle)
                    .contains(Names.UNKNOWN_EXPIRY_STORE, Names.RENEWAL_STATE_STORE).hasSize(lifecycle.size() + 2);
            assertThat(stores.get(Names.RENEWAL_PROCESSOR)).containsAll(lifecycle)
                    .contains(Names.RENEWAL_STATE_STORE).hasSize(lifecycle.size() + 1);
            assertThat(stores.get(Names.MATCH_PROCESSOR)).containsExactlyInAnyOrderElementsOf(lifecycle);
            assertThat(stores.get(Names.NAME_INDEX_PROCESSOR)).containsExactlyInAnyOrder(Names.NAME_INDEX_STORE, Names.NAME_RESULT_STORE);
            assertThat(stores.get(Names.SOURCE_STATUS_PROCESSOR)).containsExactlyInAnyOrder(Names.SOURCE_STATE_STORE, Names.SOURCE_ALERT_STORE, Names.SOURCE_POLL_STORE);
            // the name index reads its own topic alone: a sub-topology of its own, partitioned by parent domain
            TopologyDescription.Subtopology index = d.subtopologies().stream()
                    .filter(sub -> sub.nodes().stream().anyMatch(n -> n.name().equals(Names.NAME_INDEX_PROCESSOR))).findFirst().orElseThrow();
            assertThat(index.nodes()).extracting(TopologyDescription.Node::name)
                    .containsExactlyInAnyOrder(Names.NAMES_SOURCE, Names.NAME_INDEX_PROCESSOR, Names.MATCHES_SINK);
            assertThat(d.toString()).doesNotContain("KSTREAM-").doesNotContain("KTABLE-");
        }
    }
}
