package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalStatus;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.RenewalFixtures.leegality;
import static dev.certflow.streams.RenewalFixtures.smoxyAuto;
import static dev.certflow.streams.RenewalFixtures.yeastarAuto;
import static dev.certflow.streams.RenewalFixtures.yeastarUpload;
import static org.assertj.core.api.Assertions.assertThat;

/** The expected renewal point of each source kind, rule by rule. */
class RenewalPolicyTest {
    private static final long DAY = ExpiryRules.DAY;
    private final StreamsSettings settings = new StreamsSettings();
    private final RenewalPolicy policy = new RenewalPolicy(settings.renewal);
    private final Instant notAfter = START.plus(Duration.ofDays(47));

    private static long at(Instant i) {
        return i.toEpochMilli();
    }

    @Test
    void smoxyAutoManagedIsDueAtSmoxysOwnPointThirtyDaysBeforeExpiry() {
        Certificate c = smoxyAuto("org", "1", "shop.example.com", List.of(), notAfter, START);
        RenewalPolicy.Plan p = policy.plan(c, at(START), at(START));
        assertThat(p.mode()).isEqualTo(RenewalPolicy.Mode.AUTO);
        assertThat(p.label()).isEqualTo("smoxy-auto-30d");
        assertThat(p.expectedAt()).isEqualTo(at(notAfter) - 30 * DAY);
        assertThat(p.overdueAt()).isEqualTo(at(notAfter) - 28 * DAY);
        // a 20-day certificate: 30 days before expiry is before issuance, so half its lifetime instead
        Certificate shortOne = smoxyAuto("org", "2", "shop.example.com", List.of(), START.plus(Duration.ofDays(20)), START);
        RenewalPolicy.Plan s = policy.plan(shortOne, at(START), at(START));
        assertThat(s.label()).isEqualTo("smoxy-auto-lifetime-1/2");
        assertThat(s.expectedAt()).isEqualTo(at(START) + 10 * DAY);
    }

    @Test
    void autoRenewedWithAKnownLifetimeIsDueAtOneThirdRemainingAndHalfUnderTenDays() {
        Certificate c = yeastarAuto("pbx-1", "1", "pbx.example.com", notAfter, START);
        RenewalPolicy.Plan p = policy.plan(c, at(START), at(START));
        assertThat(p.label()).isEqualTo("auto-lifetime-1/3");
        assertThat(p.expectedAt()).isEqualTo(at(notAfter) - 47 * DAY / 3);
        Certificate sixDays = yeastarAuto("pbx-1", "2", "pbx.example.com", START.plus(Duration.ofDays(6)), START);
        RenewalPolicy.Plan q = policy.plan(sixDays, at(START), at(START));
        assertThat(q.label()).isEqualTo("auto-lifetime-1/2");
        assertThat(q.expectedAt()).isEqualTo(at(START) + 3 * DAY);
        // grace runs past expiry: the overdue point is the expiry itself
        assertThat(q.overdueAt()).isEqualTo(at(START) + 5 * DAY);
        RenewalPolicy.Plan tiny = policy.plan(yeastarAuto("pbx-1", "3", "pbx.example.com", START.plus(Duration.ofDays(2)), START), at(START), at(START));
        assertThat(tiny.overdueAt()).isEqualTo(at(START) + 2 * DAY);
    }

    @Test
    void autoRenewedOfUnknownLifetimeUsesTheTimeSinceFirstSightAsALowerBoundCappedByAutoLeadTime() {
        Certificate c = yeastarAuto("pbx-1", "1", "pbx.example.com", notAfter, START);
        // first seen 20 days before expiry: a third of that (never earlier than the truth)
        RenewalPolicy.Plan p = policy.plan(c, null, at(notAfter) - 20 * DAY);
        assertThat(p.label()).isEqualTo("auto-seen-1/3");
        assertThat(p.expectedAt()).isEqualTo(at(notAfter) - 20 * DAY / 3);
        // first seen a year before expiry: capped at autoLeadTime
        RenewalPolicy.Plan q = policy.plan(c, null, at(notAfter) - 365 * DAY);
        assertThat(q.label()).isEqualTo("auto-lead-30d");
        assertThat(q.expectedAt()).isEqualTo(at(notAfter) - 30 * DAY);
    }

    @Test
    void manualCertificatesAreDueAtTheLeadTimeAtMostHalfTheirLifetime() {
        Certificate upload = yeastarUpload("pbx-1", "9", "pbx.example.com", START.plus(Duration.ofDays(398)), START);
        RenewalPolicy.Plan p = policy.plan(upload, null, at(START));
        assertThat(p.mode()).isEqualTo(RenewalPolicy.Mode.MANUAL);
        assertThat(p.label()).isEqualTo("manual-lead-30d");
        assertThat(p.expectedAt()).isEqualTo(at(START) + 368 * DAY);
        Certificate signing = leegality("hr", "s1", "Signing HR", START, START.plus(Duration.ofDays(40)), START);
        RenewalPolicy.Plan q = policy.plan(signing, at(START), at(START));
        assertThat(q.label()).isEqualTo("manual-lifetime-1/2");
        assertThat(q.expectedAt()).isEqualTo(at(START) + 20 * DAY);
        // Yeastar apply with auto-renewal off, and smoxy custom uploads, are renewed by hand
        assertThat(policy.mode(Certificate.newBuilder(yeastarAuto("p", "1", "a.example", notAfter, START)).setAutoRenewal(false).build()))
                .isEqualTo(RenewalPolicy.Mode.MANUAL);
        assertThat(policy.mode(Certificate.newBuilder(smoxyAuto("o", "1", "a.example", List.of(), notAfter, START))
                .setIssuanceMethod(IssuanceMethod.UPLOADED).build())).isEqualTo(RenewalPolicy.Mode.MANUAL);
    }

    @Test
    void theFirstMatchingRuleWinsAndSetsModeLeadTimeFractionAndGrace() {
        StreamsSettings.RenewalRule berlin = new StreamsSettings.RenewalRule();
        berlin.sourceKind = "yeastar";
        berlin.tenant = "pbx-berlin";
        berlin.leadTime = Duration.ofDays(45);
        berlin.grace = Duration.ofHours(6);
        StreamsSettings.RenewalRule signing = new StreamsSettings.RenewalRule();
        signing.type = "signing";
        signing.lifetimeFraction = 0.25;
        StreamsSettings.RenewalRule everyYeastar = new StreamsSettings.RenewalRule();
        everyYeastar.sourceKind = "YEASTAR";
        everyYeastar.mode = "manual";
        settings.renewal.rules = List.of(berlin, signing, everyYeastar);
        RenewalPolicy p = new RenewalPolicy(settings.renewal);

        RenewalPolicy.Plan b = p.plan(yeastarAuto("pbx-berlin", "1", "a.example", notAfter, START), at(START), at(START));
        assertThat(b.label()).isEqualTo("rule[0]");
        assertThat(b.expectedAt()).isEqualTo(at(notAfter) - 45 * DAY);
        assertThat(b.overdueAt()).isEqualTo(b.expectedAt() + Duration.ofHours(6).toMillis());
        RenewalPolicy.Plan s = p.plan(leegality("hr", "s1", "Signing", START, START.plus(Duration.ofDays(400)), START), at(START), at(START));
        assertThat(s.label()).isEqualTo("rule[1]");
        assertThat(s.expectedAt()).isEqualTo(at(START) + 300 * DAY);
        // a fraction needs the lifetime: without it the mode's defaults apply, and the label says so
        RenewalPolicy.Plan unknown = p.plan(leegality("hr", "s2", "Signing", null, START.plus(Duration.ofDays(400)), START), null, at(START));
        assertThat(unknown.label()).isEqualTo("rule[1]:manual-lead-30d");
        RenewalPolicy.Plan munich = p.plan(yeastarAuto("pbx-munich", "1", "a.example", notAfter, START), at(START), at(START));
        assertThat(munich.mode()).isEqualTo(RenewalPolicy.Mode.MANUAL);
        assertThat(munich.label()).isEqualTo("rule[2]:manual-lifetime-1/2");
    }

    @Test
    void statusRunsScheduledDueOverdueAndRenewedWins() {
        RenewalPolicy.Plan p = policy.plan(yeastarUpload("pbx-1", "9", "a.example", START.plus(Duration.ofDays(40)), START), null, at(START));
        assertThat(p.status(p.expectedAt() - 1, false)).isEqualTo(RenewalStatus.SCHEDULED);
        assertThat(p.status(p.expectedAt(), false)).isEqualTo(RenewalStatus.DUE);
        assertThat(p.status(p.overdueAt() - 1, false)).isEqualTo(RenewalStatus.DUE);
        assertThat(p.status(p.overdueAt(), false)).isEqualTo(RenewalStatus.OVERDUE);
        assertThat(p.status(p.overdueAt(), true)).isEqualTo(RenewalStatus.RENEWED);
    }

    @Test
    void namesAreNormalisedAndAWildcardCoversExactlyOneLabel() {
        assertThat(DomainNames.normalise(" Shop.Example.COM. ")).isEqualTo("shop.example.com");
        assertThat(DomainNames.covers("*.example.com", "shop.example.com")).isTrue();
        assertThat(DomainNames.covers("*.example.com", "a.b.example.com")).isFalse();
        assertThat(DomainNames.covers("*.example.com", "example.com")).isFalse();
        assertThat(DomainNames.covers("*.example.com", "*.example.com")).isTrue();
        assertThat(DomainNames.covers("shop.example.com", "*.example.com")).isFalse();
        assertThat(DomainNames.parent("*.example.com")).isEqualTo("example.com");
        assertThat(DomainNames.parent("shop.example.com")).isEqualTo("example.com");
        assertThat(DomainNames.parent("localhost")).isEqualTo("localhost");
        assertThat(DomainNames.coversAll(List.of("*.example.com", "example.com"), List.of("example.com", "www.example.com"))).isTrue();
        assertThat(DomainNames.coversAll(List.of("a.example.com"), List.of("a.example.com", "b.example.com"))).isFalse();
    }
}
