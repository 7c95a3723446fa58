package dev.certflow.simulator;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

/** The renewal year's scripted faults: their timelines, and the conclusions they declare checked against them. */
class YearScriptTest {
    private static final Instant START = TestHttp.START;
    private static final Duration DUE_LEAD = Duration.ofDays(30);
    private final Fleet fleet = new Fleet(7, 450, START, Profile.YEAR);

    private FleetCertificate one(String sourceName, Script script) {
        return fleet.scenario().stream().filter(c -> c.sourceName().equals(sourceName) && c.script() == script)
                .findFirst().orElseThrow();
    }

    private static Instant s(FleetCertificate c) {
        return START.plus(Duration.ofMinutes(7L * c.unit().index()));
    }

    private static Duration days(double d) {
        return Duration.ofMinutes(Math.round(d * 1440));
    }

    /** "ALERT[ days] TYPE @offset-from-the-unit-start" of every conclusion. */
    private static List<String> conclusions(FleetCertificate c, Instant s) {
        return c.expectedAlerts().stream().map(e -> e.alert() + (e.days() == null ? "" : " " + e.days()) + " " + e.type()
                + " @" + Duration.between(s, e.at()).toMinutes() / 1440.0).toList();
    }

    @Test
    void theYearHoldsEachFaultInEveryUnitAndNothingOfTheDay() {
        assertThat(fleet.scenario()).extracting(FleetCertificate::script).doesNotContain(Script.CROSSES_30D, Script.ADDED);
        assertThat(fleet.scenario().stream().collect(Collectors.groupingBy(FleetCertificate::script, Collectors.counting())))
                .containsEntry(Script.RENEWAL_STOPS, 6L).containsEntry(Script.RENEWAL_FAILS, 6L)
                .containsEntry(Script.RENEWED_NOT_DEPLOYED, 6L).containsEntry(Script.SAN_DROPPED, 3L)
                .containsEntry(Script.SUPERSEDED, 3L);
        // the PBX copy is the last certificate of its PBX, so deleting it shifts nobody between pages
        FleetCertificate copy = one("pbx-berlin", Script.RENEWED_NOT_DEPLOYED);
        assertThat(copy.index()).isEqualTo(fleet.unitSize(6) - 1);
        assertThat(fleet.certificate(6, copy.index())).isSameAs(copy);
        assertThat(fleet.certificate(6, copy.index() - 1).script()).isEqualTo(Script.BACKGROUND);
        assertThat(fleet.presentCount(6, START)).isEqualTo(fleet.unitSize(6));
        assertThat(fleet.presentCount(6, s(copy).plus(days(80)))).isEqualTo(fleet.unitSize(6) - 1);
        int[] lastPage = fleet.presentIndexes(6, START, fleet.unitSize(6) - 3, 10);
        assertThat(lastPage).containsExactly(copy.index() - 2, copy.index() - 1, copy.index());
        assertThat(fleet.bySourceId(6, copy.sourceId())).isSameAs(copy);
        // the outage is long enough to be polled at 100,000x (30 days = 26 real seconds)
        Outage o = fleet.outageOf(Fleet.OUTAGE_PBX);
        assertThat(Duration.between(o.from(), o.until())).isEqualTo(Duration.ofDays(30));
        assertThat(o.from()).isAfter(START.plus(Duration.ofDays(100)));
    }

    @Test
    void renewalStopsSilentlyUntilALateRenewal() {
        FleetCertificate smoxy = one("smoxy-acme", Script.RENEWAL_STOPS);
        Instant s = s(smoxy);
        Instant late = s.plus(days(56));
        assertThat(smoxy.expiryAt(late.minusSeconds(1))).isEqualTo(s.plus(days(60)));
        // no attempt at all between the start and the late renewal
        assertThat(fleet.smoxyAttempts(smoxy, late.minusSeconds(1))).isEqualTo(fleet.smoxyAttempts(smoxy, START));
        List<Fleet.SmoxyAttempt> after = fleet.smoxyAttempts(smoxy, late);
        assertThat(after).hasSize(2);
        assertThat(after.get(0).type()).isEqualTo("acme_renew");
        assertThat(after.get(0).status()).isEqualTo("succeeded");
        assertThat(after.get(0).issuedExpiresAt()).isEqualTo(late.plus(days(90))).isEqualTo(smoxy.expiryAt(late));
        assertThat(conclusions(smoxy, s)).containsExactly("RENEWAL_OVERDUE FIRING @32.0", "EXPIRING 7 FIRING @53.0",
                "EXPIRING 7 RESOLVED @56.0", "RENEWAL_OVERDUE RESOLVED @56.0");
        assertThat(smoxy.events()).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(ScriptEvent.Type.RENEWAL_DUE);
            assertThat(e.at()).isEqualTo(s.plus(days(30)));
        });

        FleetCertificate pbx = one("pbx-mumbai", Script.RENEWAL_STOPS);
        Instant p = s(pbx);
        assertThat(YeastarApi.applied(pbx)).isTrue();
        for (double d = 0; d < 65 - 1.0 / 24; d += 0.5) {
            assertThat(YeastarApi.applyStatus(pbx, p.plus(days(d)))).as("+" + d + "d").isEqualTo("issuance_success");
        }
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(65)).minusSeconds(60))).isEqualTo("issuing");
        assertThat(pbx.expiryAt(p.plus(days(64)))).isEqualTo(p.plus(days(60)));
        assertThat(pbx.expiryAt(p.plus(days(65)))).isEqualTo(p.plus(days(155)));
        // Yeastar gives no issuance: first seen at the start with 60 days (plus the unit's stagger) left, the policy
        // expects the renewal a third of that before expiry, at S+40d less a third of the stagger
        double overdueAt = Duration.between(p, p.plus(days(42)).minus(Duration.between(START, p).dividedBy(3))).toMinutes() / 1440.0;
        assertThat(conclusions(pbx, p)).containsExactly("RENEWAL_OVERDUE FIRING @" + overdueAt, "EXPIRING 7 FIRING @53.0",
                "EXPIRING 7 RESOLVED @59.0", "EXPIRING 1 FIRING @59.0", "EXPIRING 1 RESOLVED @60.0", "EXPIRED FIRING @60.0",
                "EXPIRED RESOLVED @65.0", "RENEWAL_OVERDUE RESOLVED @65.0");
    }

    @Test
    void renewalFailsDailyThenSucceeds() {
        FleetCertificate smoxy = one("smoxy-globex", Script.RENEWAL_FAILS);
        Instant s = s(smoxy);
        List<Fleet.SmoxyAttempt> attempts = fleet.smoxyAttempts(smoxy, s.plus(days(57)));
        assertThat(attempts).extracting(Fleet.SmoxyAttempt::status)
                .containsExactly("succeeded", "failed", "failed", "failed", "failed", "failed", "failed", "succeeded");
        assertThat(attempts.get(1).errorCode()).isEqualTo("acme_error");
        assertThat(attempts.get(6).finishedAt()).isEqualTo(s.plus(days(50.5)));
        assertThat(attempts.get(0).finishedAt()).isEqualTo(s.plus(days(56.5)));
        assertThat(attempts.get(0).issuedExpiresAt()).isEqualTo(s.plus(days(146.5)));
        assertThat(conclusions(smoxy, s)).containsExactly("RENEWAL_FAILED FIRING @50.5", "RENEWAL_OVERDUE FIRING @52.0",
                "RENEWAL_FAILED RESOLVED @56.5", "RENEWAL_OVERDUE RESOLVED @56.5");

        FleetCertificate pbx = one("pbx-berlin", Script.RENEWAL_FAILS);
        Instant p = s(pbx);
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(50)))).isEqualTo("issuance_success");
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(50.5)).minusSeconds(60))).isEqualTo("issuing");
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(50.5)))).isEqualTo("issuance_fail");
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(53)))).isEqualTo("issuance_fail");
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(56.5)).minusSeconds(60))).isEqualTo("issuing");
        assertThat(YeastarApi.applyStatus(pbx, p.plus(days(56.5)))).isEqualTo("issuance_success");
        assertThat(pbx.expiryAt(p.plus(days(56.5)))).isEqualTo(p.plus(days(146.5)));
    }

    @Test
    void renewedInSmoxyNotDeployedOnThePbx() {
        FleetCertificate smoxy = one("smoxy-initech", Script.RENEWED_NOT_DEPLOYED);
        FleetCertificate copy = one("pbx-mumbai", Script.RENEWED_NOT_DEPLOYED);
        Instant s = s(smoxy);
        assertThat(copy.domain()).isEqualTo(smoxy.domain()).isEqualTo("shop.initech.example");
        assertThat(smoxy.initial().sans()).contains(copy.domain());
        assertThat(copy.mode()).isEqualTo(RenewalMode.MANUAL);
        assertThat(YeastarApi.applied(copy)).isFalse();
        assertThat(copy.expiry()).isEqualTo(smoxy.expiry()).isEqualTo(s.plus(days(60)));
        Instant renewal = s.plus(days(30.5));
        assertThat(smoxy.expiryAt(renewal)).isEqualTo(s.plus(days(120.5)));
        assertThat(copy.expiryAt(renewal)).isEqualTo(s.plus(days(60)));
        assertThat(copy.expiryAt(s.plus(days(40)))).isEqualTo(smoxy.expiryAt(renewal));
        assertThat(copy.presentAt(s.plus(days(80)))).isFalse();
        // deleted before smoxy renews again: one episode only
        assertThat(smoxy.generation(2).issuedAt()).isAfter(s.plus(days(80)));
        assertThat(smoxy.expectedAlerts()).isEmpty();
        assertThat(conclusions(copy, s)).containsExactly("RENEWED_NOT_DEPLOYED FIRING @31.5", "RENEWAL_OVERDUE FIRING @32.0",
                "RENEWED_NOT_DEPLOYED RESOLVED @40.0", "RENEWAL_OVERDUE RESOLVED @40.0");
        assertThat(copy.expectedAlerts()).filteredOn(e -> e.alert() == ScriptEvent.Alert.RENEWED_NOT_DEPLOYED)
                .allSatisfy(e -> assertThat(e.otherKey()).isEqualTo(smoxy.key()));
        assertThat(copy.events()).anySatisfy(e -> assertThat(e.type()).isEqualTo(ScriptEvent.Type.EXPIRY_REPLACED))
                .anySatisfy(e -> assertThat(e.type()).isEqualTo(ScriptEvent.Type.REMOVED));
    }

    @Test
    void aRenewalDropsASanAndTheNextRestoresIt() {
        FleetCertificate c = one("smoxy-acme", Script.SAN_DROPPED);
        Instant s = s(c);
        String www = "www." + c.domain();
        assertThat(c.generationAt(s.plus(days(10))).sans()).containsExactly(c.domain(), www);
        assertThat(c.generationAt(s.plus(days(10.5))).sans()).containsExactly(c.domain());
        assertThat(fleet.smoxyAttempts(c, s.plus(days(10.5))).get(0).sans()).containsExactly(c.domain());
        assertThat(c.generationAt(s.plus(days(71))).sans()).containsExactly(c.domain(), www);
        assertThat(conclusions(c, s)).containsExactly("RENEWAL_DRIFT FIRING @10.5", "RENEWAL_DRIFT RESOLVED @71.0");
        assertThat(c.expectedAlerts().get(0).detail()).contains(www);
    }

    @Test
    void aLeegalityCertificateIsSupersededLateByANewIdWithTheSameName() {
        FleetCertificate c = fleet.scenario().stream().filter(x -> x.script() == Script.SUPERSEDED).findFirst().orElseThrow();
        Instant s = s(c);
        Generation old = c.initial();
        Generation replacement = c.generation(1);
        assertThat(replacement.sourceId()).isNotEqualTo(old.sourceId());
        assertThat(c.listedAt(s.plus(days(35)))).containsExactly(old);
        assertThat(c.listedAt(s.plus(days(36)))).containsExactly(old, replacement);
        assertThat(c.listedAt(s.plus(days(44)))).containsExactly(old, replacement); // through its 1-day floor and expiry
        assertThat(c.listedAt(s.plus(days(45)))).containsExactly(replacement);
        assertThat(Duration.between(c.createdAt(replacement), replacement.notAfter())).isEqualTo(Duration.ofDays(398));
        String newKey = c.keyOf(replacement.sourceId());
        assertThat(conclusions(c, s)).containsExactly("RENEWAL_OVERDUE FIRING @12.0", "EXPIRING 7 FIRING @33.0",
                "RENEWAL_OVERDUE RESOLVED @36.0", "EXPIRING 7 RESOLVED @36.0");
        assertThat(c.expectedAlerts()).filteredOn(e -> e.type() == ScriptEvent.Type.RESOLVED)
                .allSatisfy(e -> assertThat(e.otherKey()).isEqualTo(newKey));
        assertThat(c.events()).anySatisfy(e -> {
            assertThat(e.type()).isEqualTo(ScriptEvent.Type.SUPERSEDED);
            assertThat(e.otherKey()).isEqualTo(newKey);
            assertThat(e.at()).isEqualTo(s.plus(days(36)));
        });
        assertThat(c.keys()).contains(c.key(), newKey);
    }

    /** Every declared conclusion, checked against the certificate's own life rather than restated. */
    @Test
    void everyConclusionFollowsFromTheTimeline() {
        for (FleetCertificate c : fleet.scenario()) {
            List<ScriptEvent> alerts = c.expectedAlerts();
            List<ScriptEvent> open = new ArrayList<>();
            for (ScriptEvent e : alerts) {
                String what = c.script() + " " + c.key() + " " + e;
                if (e.type() == ScriptEvent.Type.FIRING) {
                    open.add(e);
                    Generation g = c.generationAt(e.at());
                    switch (e.alert()) {
                        case RENEWAL_OVERDUE -> {
                            assertThat(g.notAfter()).as(what).isEqualTo(e.expiry());
                            // Yeastar apply: first seen at the start, issuance unknown (Fleet.firstSightDue)
                            Instant due = c.kind().equals("yeastar") && c.mode().automatic() ? fleet.firstSightDue(e.expiry())
                                    : e.expiry().minus(DUE_LEAD);
                            assertThat(e.at()).as(what).isEqualTo(due.plus(ScriptEvent.GRACE));
                            assertThat(fleet.smoxyAttempts(c, e.at())).as(what).noneMatch(a ->
                                    a.status().equals("succeeded") && a.issuedExpiresAt().isAfter(e.expiry()));
                        }
                        case EXPIRING -> {
                            assertThat(g.notAfter()).as(what).isEqualTo(e.expiry());
                            assertThat(e.at()).as(what).isEqualTo(e.expiry().minus(Duration.ofDays(e.days())));
                            assertThat(ScriptEvent.FLOOR_DAYS).contains(e.days());
                        }
                        case EXPIRED -> assertThat(e.at()).as(what).isEqualTo(g.notAfter()).isEqualTo(e.expiry());
                        case RENEWAL_FAILED -> assertThat(c.failedAttempts()).as(what).startsWith(e.at());
                        case RENEWAL_DRIFT -> {
                            assertThat(g.issuedAt()).as(what).isEqualTo(e.at());
                            assertThat(g.sans()).as(what + ": a SAN of the previous certificate is gone")
                                    .doesNotContainSequence(c.generation(g.number() - 1).sans());
                            assertThat(c.generation(g.number() - 1).sans()).as(what).containsAll(g.sans());
                        }
                        case RENEWED_NOT_DEPLOYED -> {
                            FleetCertificate holder = fleet.scenario().stream().filter(x -> x.key().equals(e.otherKey()))
                                    .findFirst().orElseThrow();
                            // a deploy grace after the other holder renewed
                            Generation renewed = holder.generationAt(e.at());
                            assertThat(renewed.issuedAt()).as(what).isEqualTo(e.at().minus(ScriptEvent.DEPLOY_GRACE));
                            assertThat(renewed.notAfter()).as(what).isAfter(g.notAfter());
                            assertThat(renewed.sans()).as(what).containsAll(g.sans());
                            assertThat(e.at()).as(what + ": inside the copy's window").isAfter(g.notAfter().minus(DUE_LEAD));
                        }
                    }
                } else {
                    ScriptEvent fired = open.stream().filter(f -> f.alert() == e.alert() && f.expiry().equals(e.expiry())
                            && java.util.Objects.equals(f.days(), e.days())).findFirst().orElse(null);
                    assertThat(fired).as(what + " resolves something fired").isNotNull();
                    open.remove(fired);
                    if (e.alert() != ScriptEvent.Alert.EXPIRING || c.generationAt(e.at()).notAfter().isAfter(e.expiry())) {
                        // resolved by the renewal: the source shows a later expiry from that instant on, not before
                        assertThat(c.generationAt(e.at()).notAfter()).as(what).isAfter(e.expiry());
                        assertThat(c.generationAt(e.at().minusSeconds(1)).notAfter()).as(what).isEqualTo(e.expiry());
                    }
                }
            }
            assertThat(open).as(c.script() + " " + c.key() + ": every alert is resolved").isEmpty();
            Set<ScriptEvent.Alert> kinds = alerts.stream().map(ScriptEvent::alert).collect(Collectors.toSet());
            switch (c.script()) {
                case RENEWAL_STOPS -> assertThat(kinds).contains(ScriptEvent.Alert.RENEWAL_OVERDUE, ScriptEvent.Alert.EXPIRING);
                case RENEWAL_FAILS -> assertThat(kinds).containsExactlyInAnyOrder(ScriptEvent.Alert.RENEWAL_FAILED,
                        ScriptEvent.Alert.RENEWAL_OVERDUE);
                case SAN_DROPPED -> assertThat(kinds).containsExactly(ScriptEvent.Alert.RENEWAL_DRIFT);
                case SUPERSEDED -> assertThat(kinds).containsExactlyInAnyOrder(ScriptEvent.Alert.RENEWAL_OVERDUE,
                        ScriptEvent.Alert.EXPIRING);
                case RENEWED_NOT_DEPLOYED -> assertThat(kinds).isEqualTo(c.kind().equals("smoxy") ? Set.of()
                        : Set.of(ScriptEvent.Alert.RENEWED_NOT_DEPLOYED, ScriptEvent.Alert.RENEWAL_OVERDUE));
                default -> throw new AssertionError("unexpected script in the year: " + c.script());
            }
            // after its fault every scripted certificate renews on schedule up to the horizon: no alert after the last
            Instant lastConclusion = alerts.isEmpty() ? START : alerts.get(alerts.size() - 1).at();
            for (Instant t = lastConclusion; t.isBefore(fleet.horizon()) && c.presentAt(t); t = t.plus(Duration.ofHours(6))) {
                Generation g = c.generationAt(t);
                assertThat(Duration.between(t, g.notAfter())).as(c.key() + " at " + t).isGreaterThan(DUE_LEAD.minus(ScriptEvent.GRACE));
            }
        }
    }
}
