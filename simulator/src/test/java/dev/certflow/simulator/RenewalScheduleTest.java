package dev.certflow.simulator;

import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

/** The background fleet: realistic lifetimes, renewed on schedule at every instant, computed and never stored. */
class RenewalScheduleTest {
    private static final Instant START = TestHttp.START;
    private static final Duration DAY = Duration.ofDays(1);

    @Test
    void lifetimesFollowTheDocumentedMixPerRenewalMode() {
        Fleet fleet = new Fleet(5, 90_000, START);
        Map<RenewalMode, Map<Long, Integer>> seen = new EnumMap<>(RenewalMode.class);
        Map<RenewalMode, Integer> totals = new EnumMap<>(RenewalMode.class);
        for (FleetUnit u : fleet.units()) {
            for (int j = fleet.scriptedCount(u.index()); j < fleet.unitSize(u.index()); j++) {
                FleetCertificate c = fleet.certificate(u.index(), j);
                seen.computeIfAbsent(c.mode(), m -> new HashMap<>()).merge(c.lifetime().toDays(), 1, Integer::sum);
                totals.merge(c.mode(), 1, Integer::sum);
                Generation g = c.initial();
                // each generation lives exactly its lifetime (a date-only Leegality expiry rounds up to midnight)
                assertThat(Duration.between(g.issuedAt(), g.notAfter())).as(c.key())
                        .isBetween(c.lifetime(), c.lifetime().plus(DAY));
            }
        }
        assertThat(seen.keySet()).containsExactlyInAnyOrder(RenewalMode.values());
        for (RenewalMode mode : RenewalMode.values()) {
            Map<Long, Integer> counts = seen.get(mode);
            assertThat(counts.keySet()).as(mode.name()).hasSameSizeAs(mode.lifetimeMix());
            for (int[] entry : mode.lifetimeMix()) {
                double share = counts.getOrDefault((long) entry[0], 0) / (double) totals.get(mode);
                assertThat(share).as(mode + " " + entry[0] + " days").isCloseTo(entry[1] / 10.0, within(0.03));
            }
        }
        // the SC-081 end state is there: 47-day certificates in both automatic modes
        assertThat(seen.get(RenewalMode.SMOXY_AUTO)).containsKey(47L);
        assertThat(seen.get(RenewalMode.ONE_THIRD)).containsKey(47L);
    }

    /**
     * The renewal point each mode promises (smoxy's 30 days, a third of the lifetime, the 30-day manual lead
     * capped at half the lifetime): over a year sampled every 5 hours, no listed background certificate is
     * ever past that point plus the 2-day grace, inside the 7-day floor, or expired.
     */
    @Test
    void noBackgroundCertificateIsEverPastItsRenewalPointPlusGraceOrNearExpiry() {
        Fleet fleet = new Fleet(11, 2_700, START, Profile.YEAR);
        Map<RenewalMode, Integer> renewals = new EnumMap<>(RenewalMode.class);
        int checked = 0;
        for (FleetUnit u : fleet.units()) {
            for (int j = fleet.scriptedCount(u.index()); j < fleet.unitSize(u.index()); j++) {
                FleetCertificate c = fleet.certificate(u.index(), j);
                if (c.scripted()) {
                    continue;
                }
                Duration due = switch (c.mode()) {
                    case SMOXY_AUTO -> Duration.ofDays(30);
                    case ONE_THIRD -> c.lifetime().dividedBy(3);
                    case MANUAL, MANUAL_NEW_ID -> RenewalMode.manualLead(c.lifetime());
                    case NONE -> Duration.ofDays(300); // trusted CAs: years left
                };
                long least = Math.max(due.minus(ScriptEvent.GRACE).toSeconds(), Duration.ofDays(8).toSeconds());
                for (Instant t = START; t.isBefore(fleet.horizon()); t = t.plus(Duration.ofHours(5))) {
                    for (Generation g : c.listedAt(t)) {
                        long left = g.notAfter().getEpochSecond() - t.getEpochSecond();
                        if (left <= least) { // plain comparison: millions of samples
                            throw new AssertionError(c.key() + " " + c.mode() + " " + c.lifetime().toDays() + "d at " + t
                                    + ": " + Duration.ofSeconds(left) + " left, renewal due with " + due + " left");
                        }
                        checked++;
                    }
                }
                int renewed = c.generationAt(fleet.horizon()).number() - c.generationAt(START).number();
                if (c.mode() != RenewalMode.NONE) {
                    assertThat(renewed).as(c.key() + " renews within 400 days").isPositive();
                }
                renewals.merge(c.mode(), renewed, Integer::sum);
            }
        }
        assertThat(checked).isGreaterThan(2_600 * 1_900);
        // a 47-day certificate renews about 20 times in 400 days
        assertThat(renewals.get(RenewalMode.SMOXY_AUTO)).isGreaterThan(renewals.get(RenewalMode.MANUAL));
    }

    @Test
    void everyRenewalLandsInsideItsModesWindow() {
        Fleet fleet = new Fleet(3, 2_700, START);
        for (FleetUnit u : fleet.units()) {
            for (int j = fleet.scriptedCount(u.index()); j < fleet.unitSize(u.index()); j++) {
                FleetCertificate c = fleet.certificate(u.index(), j);
                if (c.mode() == RenewalMode.NONE) {
                    assertThat(c.generationAt(START.plus(Duration.ofDays(700))).number()).isZero();
                    continue;
                }
                Duration[] window = c.mode().renewalWindow(c.lifetime());
                Generation g = c.initial();
                for (int k = 0; k < 12; k++) {
                    Generation next = c.generation(g.number() + 1);
                    Duration left = Duration.between(next.issuedAt(), g.notAfter());
                    assertThat(left).as(c.key() + " " + c.mode() + " generation " + g.number())
                            .isGreaterThan(window[0]).isLessThanOrEqualTo(window[1].plus(DAY));
                    assertThat(next.notAfter()).isAfter(g.notAfter());
                    g = next;
                }
            }
        }
        // automatic renewals land 1 to 13 hours after their point: at least 35 hours of the 2-day grace left
        assertThat(RenewalMode.SMOXY_AUTO.renewalWindow(Duration.ofDays(47)))
                .containsExactly(Duration.ofDays(30).minusHours(13), Duration.ofDays(30).minusHours(1));
        assertThat(RenewalMode.ONE_THIRD.renewalWindow(Duration.ofDays(90)))
                .containsExactly(Duration.ofDays(30).minusHours(13), Duration.ofDays(30).minusHours(1));
    }

    @Test
    void theGenerationInForceIsComputedFromTheInstantAloneAndNeverStored() {
        Fleet a = new Fleet(9, 1_000_000, START, Profile.YEAR);
        Fleet b = new Fleet(9, 1_000_000, START, Profile.YEAR);
        assertThat(a.heldCertificates()).isEqualTo(24);
        int unit = 4;
        int index = a.unitSize(unit) - 1;
        Instant late = START.plus(Duration.ofDays(3_000));
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        Generation far = a.certificate(unit, index).generationAt(late);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        // one division, not a walk through every renewal since the start (or a table of them)
        assertThat(allocated).isLessThan(64 * 1024);
        FleetCertificate c = a.certificate(unit, index);
        assertThat(far.number()).isGreaterThan(c.initial().number() + 3);
        // in any order, from another fleet object: the same answer
        assertThat(b.certificate(unit, index).generationAt(START.plus(Duration.ofDays(10)))).isNotNull();
        assertThat(b.certificate(unit, index).generationAt(late)).isEqualTo(far);
        assertThat(c.generation(far.number())).isEqualTo(far);
        assertThat(c.generationAt(far.issuedAt()).number()).isEqualTo(far.number());
        assertThat(c.generationAt(far.issuedAt().minusSeconds(1)).number()).isEqualTo(far.number() - 1);
    }

    @Test
    void smoxyAttemptsRecordEveryRenewalWithTheExpiryItIssued() {
        Fleet fleet = new Fleet(2, 900, START);
        int checked = 0;
        for (int j = fleet.scriptedCount(3); j < fleet.unitSize(3); j++) {
            FleetCertificate c = fleet.certificate(3, j);
            Instant t = START.plus(Duration.ofDays(200));
            List<Fleet.SmoxyAttempt> attempts = fleet.smoxyAttempts(c, t);
            Generation g = c.generationAt(t);
            assertThat(attempts).hasSize(g.number() + 1);
            Fleet.SmoxyAttempt newest = attempts.get(0);
            assertThat(newest.status()).isEqualTo("succeeded");
            assertThat(newest.finishedAt()).isEqualTo(g.issuedAt());
            assertThat(newest.issuedExpiresAt()).isEqualTo(g.notAfter()).isEqualTo(c.expiryAt(t));
            assertThat(newest.startedAt()).isBefore(newest.finishedAt());
            assertThat(newest.type()).isEqualTo(c.mode() == RenewalMode.MANUAL ? "upload" : g.number() == 0 ? "acme_issue" : "acme_renew");
            assertThat(attempts.get(attempts.size() - 1).type()).isIn("acme_issue", "upload");
            assertThat(attempts).extracting(Fleet.SmoxyAttempt::id).doesNotHaveDuplicates();
            checked++;
        }
        assertThat(checked).isEqualTo(100 - 9);
    }

    @Test
    void leegalityRenewalsAreNewIdsWithTheSameNameListedTogetherForAWeek() {
        Fleet fleet = new Fleet(4, 900, START, Profile.YEAR);
        FleetCertificate c = fleet.certificate(1, 40);
        Generation first = c.initial();
        Generation next = c.generation(first.number() + 1);
        assertThat(c.mode()).isEqualTo(RenewalMode.MANUAL_NEW_ID);
        assertThat(next.sourceId()).isNotEqualTo(first.sourceId());
        assertThat(c.keyOf(next.sourceId())).startsWith("leegality/esign-main/" + c.tenant() + "/");
        assertThat(c.listedAt(next.issuedAt().minusSeconds(1))).containsExactly(first);
        assertThat(c.listedAt(next.issuedAt())).containsExactly(first, next);
        assertThat(c.listedAt(first.listedUntil().minusSeconds(1))).containsExactly(first, next);
        assertThat(c.listedAt(first.listedUntil())).containsExactly(next);
        assertThat(Duration.between(next.issuedAt(), first.listedUntil())).isEqualTo(RenewalMode.NEW_ID_OVERLAP);
        assertThat(c.createdAt(next)).isEqualTo(next.issuedAt());
        // every id of its life leads back to it
        assertThat(fleet.bySourceId(1, next.sourceId())).isEqualTo(c);
        assertThat(fleet.bySourceId(1, first.sourceId())).isEqualTo(c);
        assertThat(c.keys()).contains(c.keyOf(first.sourceId()), c.keyOf(next.sourceId()));
        List<ScriptEvent> superseded = c.events().stream().filter(e -> e.type() == ScriptEvent.Type.SUPERSEDED).toList();
        assertThat(superseded).isNotEmpty().allSatisfy(e -> assertThat(e.otherKey()).isNotNull());
    }

    @Test
    void aHealthyFleetConcludesNothingWhileTheOldFixedThresholdsWouldFireOften() {
        Fleet fleet = new Fleet(6, 2_000, START);
        Instant yearLater = START.plus(Duration.ofDays(365));
        for (int u = 0; u < 9; u++) {
            for (int j = fleet.scriptedCount(u); j < fleet.unitSize(u); j += 7) {
                assertThat(fleet.certificate(u, j).expectedAlerts()).isEmpty();
            }
        }
        long floors = fleet.fixedThresholdFirings(ScriptEvent.FLOOR_DAYS, START, yearLater, true);
        long old = fleet.fixedThresholdFirings(FleetCertificate.THRESHOLD_DAYS, START, yearLater, true);
        assertThat(floors).isZero();
        // the 30-day threshold fires for every smoxy renewal and every 47-day Yeastar certificate, every cycle
        assertThat(old).isGreaterThan(2_000);
    }
}
