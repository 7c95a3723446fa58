package dev.certflow.simulator;

import dev.certflow.events.ExpiryStatus;
import org.junit.jupiter.api.Test;

import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;

class FleetTest {
    private static final Instant START = TestHttp.START;

    @Test
    void sameSeedSameFleetOtherSeedOtherIds() {
        Fleet a = new Fleet(7, 300, START);
        Fleet b = new Fleet(7, 300, START);
        Fleet c = new Fleet(8, 300, START);
        assertThat(a.scenario()).isEqualTo(b.scenario());
        assertThat(a.units()).isEqualTo(b.units());
        for (int u = 0; u < a.units().size(); u++) {
            assertThat(a.certificate(u, 32)).isEqualTo(b.certificate(u, 32));
        }
        Set<String> idsA = a.scenario().stream().map(FleetCertificate::key).collect(Collectors.toSet());
        Set<String> idsC = c.scenario().stream().map(FleetCertificate::key).collect(Collectors.toSet());
        assertThat(idsA).hasSize(a.scenario().size());
        // Yeastar ids are positions (1..n) and stay; the UUIDs of the other kinds change with the seed
        assertThat(idsA).filteredOn(k -> !k.startsWith("yeastar/")).doesNotContainAnyElementsOf(idsC);
        assertThat(a.units().get(0).token()).isNotEqualTo(c.units().get(0).token());
    }

    @Test
    void unitsAreDepartmentsOrganisationsAndPbxsInTheirZones() {
        Fleet fleet = new Fleet(1, 300, START);
        assertThat(fleet.units()).extracting(FleetUnit::kind).containsExactly(
                "leegality", "leegality", "leegality", "smoxy", "smoxy", "smoxy", "yeastar", "yeastar", "yeastar");
        assertThat(fleet.units()).filteredOn(u -> u.kind().equals("yeastar")).extracting(u -> u.zone().getId())
                .containsExactly("Europe/Berlin", "America/New_York", "Asia/Kolkata");
        assertThat(fleet.units()).filteredOn(u -> u.kind().equals("leegality")).extracting(FleetUnit::label)
                .containsExactly("HR", "Finance", "Legal");
        int total = 0;
        for (int u = 0; u < 9; u++) {
            total += fleet.unitSize(u);
        }
        assertThat(total).isEqualTo(300);
        assertThat(fleet.units().get(6).toString()).doesNotContain(fleet.units().get(6).clientSecret());
    }

    @Test
    void scenarioCoversEveryScriptInEveryUnit() {
        Fleet fleet = new Fleet(1, 300, START);
        List<FleetCertificate> scenario = fleet.scenario();
        assertThat(scenario).hasSize(3 * 10 + 6 * 9);
        for (FleetUnit unit : fleet.units()) {
            Set<Script> scripts = scenario.stream().filter(c -> c.unit().equals(unit)).map(FleetCertificate::script)
                    .collect(Collectors.toSet());
            assertThat(scripts).contains(Script.CROSSES_30D, Script.CROSSES_14D, Script.CROSSES_7D, Script.CROSSES_1D,
                    Script.EXPIRED, Script.NO_EXPIRY, Script.REMOVED, Script.ADDED);
            assertThat(scripts).contains(unit.kind().equals("leegality") ? Script.UNPARSEABLE_EXPIRY
                    : Script.RENEWAL_FAILS_THEN_SUCCEEDS);
        }
        assertThat(fleet.heldCertificates()).isEqualTo(scenario.size());
    }

    @Test
    void thresholdScriptsCrossTheirThresholdShortlyAfterTheStart() {
        Fleet fleet = new Fleet(1, 300, START);
        for (FleetCertificate c : fleet.scenario()) {
            Integer days = switch (c.script()) {
                case CROSSES_30D -> 30;
                case CROSSES_14D -> 14;
                case CROSSES_7D -> 7;
                case CROSSES_1D -> 1;
                default -> null;
            };
            if (days == null) {
                continue;
            }
            ScriptEvent crossing = c.events().stream()
                    .filter(e -> e.type() == ScriptEvent.Type.THRESHOLD_CROSSED && e.days().equals(days))
                    .findFirst().orElseThrow();
            assertThat(crossing.at()).as(c.key()).isAfter(START).isBefore(START.plus(Duration.ofDays(2)));
            assertThat(c.expiryStatusAt(START)).isEqualTo(ExpiryStatus.KNOWN);
            // the larger thresholds were already crossed before the start
            assertThat(c.events()).filteredOn(e -> e.type() == ScriptEvent.Type.THRESHOLD_CROSSED && e.days() > days)
                    .allSatisfy(e -> assertThat(e.at()).isBefore(START));
        }
    }

    @Test
    void renewalFailsThenSucceedsWithANewExpiry() {
        Fleet fleet = new Fleet(1, 300, START);
        List<FleetCertificate> renewing = fleet.scenario().stream()
                .filter(c -> c.script() == Script.RENEWAL_FAILS_THEN_SUCCEEDS).toList();
        assertThat(renewing).hasSize(6).extracting(FleetCertificate::kind).containsOnly("smoxy", "yeastar");
        for (FleetCertificate c : renewing) {
            List<ScriptEvent.Type> types = c.events().stream().filter(e -> !e.at().isBefore(START))
                    .map(ScriptEvent::type).toList();
            assertThat(types).containsSubsequence(ScriptEvent.Type.RENEWAL_FAILED, ScriptEvent.Type.RENEWAL_SUCCEEDED);
            assertThat(c.renewalFailedAt()).isBefore(c.renewedAt());
            assertThat(c.expiryAt(c.renewedAt().minusSeconds(1))).isEqualTo(c.expiry());
            assertThat(c.expiryAt(c.renewedAt())).isEqualTo(c.renewedAt().plus(Duration.ofDays(90)));
            // the old expiry's 1-day threshold and expiry never happen: the renewal came first
            assertThat(c.events()).filteredOn(e -> e.type() == ScriptEvent.Type.EXPIRED)
                    .allSatisfy(e -> assertThat(e.expiry()).isEqualTo(c.renewedExpiry()));
        }
    }

    @Test
    void noExpiryIsItsOwnStatusNeverExpired() {
        Fleet fleet = new Fleet(1, 300, START);
        for (FleetCertificate c : fleet.scenario()) {
            if (c.script() == Script.NO_EXPIRY || c.script() == Script.UNPARSEABLE_EXPIRY) {
                assertThat(c.expiryAt(START.plus(Duration.ofDays(400)))).isNull();
                assertThat(c.events()).noneMatch(e -> e.type() == ScriptEvent.Type.EXPIRED);
                ExpiryStatus expected = c.script() == Script.UNPARSEABLE_EXPIRY ? ExpiryStatus.UNPARSEABLE
                        : c.kind().equals("yeastar") ? ExpiryStatus.PENDING : ExpiryStatus.MISSING;
                assertThat(c.expiryStatusAt(START)).as(c.key()).isEqualTo(expected);
            }
        }
    }

    @Test
    void removedAndAddedCertificatesComeAndGo() {
        Fleet fleet = new Fleet(1, 300, START);
        for (FleetUnit unit : fleet.units()) {
            int u = unit.index();
            FleetCertificate removed = fleet.scenario().stream()
                    .filter(c -> c.unit().equals(unit) && c.script() == Script.REMOVED).findFirst().orElseThrow();
            FleetCertificate added = fleet.scenario().stream()
                    .filter(c -> c.unit().equals(unit) && c.script() == Script.ADDED).findFirst().orElseThrow();
            int atStart = fleet.presentCount(u, START);
            assertThat(removed.presentAt(START)).isTrue();
            assertThat(added.presentAt(START)).isFalse();
            Instant afterAdd = added.addedAt().plusSeconds(1);
            assertThat(fleet.presentCount(u, afterAdd)).isEqualTo(atStart + 1);
            Instant afterRemove = removed.removedAt();
            assertThat(fleet.presentCount(u, afterRemove)).isEqualTo(atStart);
            assertThat(indexes(fleet, u, afterRemove)).contains(added.index()).doesNotContain(removed.index());
            assertThat(removed.events().get(removed.events().size() - 1).type()).isEqualTo(ScriptEvent.Type.REMOVED);
        }
    }

    @Test
    void outageOfOnePbx() {
        Fleet fleet = new Fleet(1, 300, START);
        assertThat(fleet.outages()).hasSize(1);
        Outage o = fleet.outageOf(Fleet.OUTAGE_PBX);
        assertThat(o.downAt(START)).isFalse();
        assertThat(o.downAt(START.plus(Duration.ofHours(5)))).isTrue();
        assertThat(o.droppingAt(START.plus(Duration.ofHours(5)))).isFalse();
        assertThat(o.droppingAt(START.plus(Duration.ofHours(8)))).isTrue();
        assertThat(o.downAt(START.plus(Duration.ofHours(10)))).isFalse();
        assertThat(fleet.outageOf("pbx-berlin")).isNull();
    }

    @Test
    void backgroundCertificatesAreComputedNotStoredAndFindableById() {
        Fleet fleet = new Fleet(3, 1000, START);
        FleetCertificate bg = fleet.certificate(4, 50);
        assertThat(bg.script()).isEqualTo(Script.BACKGROUND);
        assertThat(bg).isEqualTo(fleet.certificate(4, 50)).isNotSameAs(fleet.certificate(4, 50));
        assertThat(fleet.bySourceId(4, bg.sourceId())).isEqualTo(bg);
        assertThat(fleet.bySourceId(4, "00000000-0000-4000-8000-000000000032")).isNull();
        assertThat(fleet.bySourceId(7, "12")).isEqualTo(fleet.certificate(7, 11));
        // renewed on schedule: valid at the start, and another certificate of the same id a lifetime later
        assertThat(bg.expiry()).isAfter(START).isEqualTo(bg.expiryAt(START));
        assertThat(bg.expiryAt(START.plus(bg.lifetime()))).isAfter(bg.expiry());
        assertThat(bg.generationAt(START.plus(bg.lifetime())).sourceId()).isEqualTo(bg.sourceId());
    }

    @Test
    void aMillionCertificateFleetIsLazy() {
        var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long before = threads.getThreadAllocatedBytes(tid);
        Fleet fleet = new Fleet(9, 1_000_000, START);
        long allocated = threads.getThreadAllocatedBytes(tid) - before;
        assertThat(fleet.heldCertificates()).isEqualTo(84);
        // a million certificate objects would need hundreds of MB; generation allocates almost nothing
        assertThat(allocated).isLessThan(4L * 1024 * 1024);
        int last = fleet.unitSize(8) - 1;
        FleetCertificate c = fleet.certificate(8, last);
        assertThat(c.sourceId()).isEqualTo(Integer.toString(last + 1));
        assertThat(fleet.presentCount(8, START)).isGreaterThan(111_000);
        int[] page = fleet.presentIndexes(8, START, 111_000, 100);
        assertThat(page).isNotEmpty();
        Set<Integer> distinct = new HashSet<>();
        for (int i : page) {
            distinct.add(i);
        }
        assertThat(distinct).hasSize(page.length);
    }

    private static List<Integer> indexes(Fleet fleet, int unit, Instant t) {
        return java.util.Arrays.stream(fleet.presentIndexes(unit, t, 0, Integer.MAX_VALUE)).boxed().toList();
    }
}
