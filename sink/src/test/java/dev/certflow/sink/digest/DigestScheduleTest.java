package dev.certflow.sink.digest;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.owners.OwnersConfig;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** Digest periods in the owner's zone, and the digest's id and text. */
class DigestScheduleTest {
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    private static DigestSchedule daily(String at) {
        return new DigestSchedule(BERLIN, LocalTime.parse(at), Duration.ofDays(1));
    }

    @Test
    void dailyAtALocalTimeInTheTeamsZone() {
        DigestSchedule s = daily("09:00");
        // 09:00 Berlin in winter is 08:00 UTC
        assertThat(s.periodStart(Instant.parse("2026-11-22T08:00:00Z"))).isEqualTo(Instant.parse("2026-11-22T08:00:00Z"));
        assertThat(s.periodStart(Instant.parse("2026-11-22T07:59:59Z"))).isEqualTo(Instant.parse("2026-11-21T08:00:00Z"));
        assertThat(s.periodStart(Instant.parse("2026-11-22T23:30:00Z"))).isEqualTo(Instant.parse("2026-11-22T08:00:00Z"));
        assertThat(s.previous(Instant.parse("2026-11-22T08:00:00Z"))).isEqualTo(Instant.parse("2026-11-21T08:00:00Z"));
    }

    @Test
    void daylightSavingTimeKeepsTheLocalTime() {
        DigestSchedule s = daily("09:00");
        // 2026-03-29: Berlin moves to UTC+2; 09:00 local is 07:00 UTC from then on
        assertThat(s.periodStart(Instant.parse("2026-03-29T07:00:00Z"))).isEqualTo(Instant.parse("2026-03-29T07:00:00Z"));
        assertThat(s.previous(Instant.parse("2026-03-29T07:00:00Z"))).isEqualTo(Instant.parse("2026-03-28T08:00:00Z"));
        // a time the change skips (02:30 on that day) is the first instant after the gap
        DigestSchedule gap = daily("02:30");
        assertThat(gap.periodStart(Instant.parse("2026-03-29T12:00:00Z"))).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
    }

    @Test
    void periodsShorterThanADayAndOfSeveralDays() {
        DigestSchedule twice = new DigestSchedule(ZoneId.of("UTC"), LocalTime.of(21, 0), Duration.ofHours(12));
        assertThat(twice.periodStart(Instant.parse("2026-11-22T08:59:00Z"))).isEqualTo(Instant.parse("2026-11-21T21:00:00Z"));
        assertThat(twice.periodStart(Instant.parse("2026-11-22T09:00:00Z"))).isEqualTo(Instant.parse("2026-11-22T09:00:00Z"));
        DigestSchedule weekly = new DigestSchedule(ZoneId.of("UTC"), LocalTime.of(9, 0), Duration.ofDays(7));
        Instant start = weekly.periodStart(Instant.parse("2026-11-22T10:00:00Z"));
        assertThat(Duration.between(weekly.previous(start), start)).isEqualTo(Duration.ofDays(7));
        assertThat(start).isBeforeOrEqualTo(Instant.parse("2026-11-22T10:00:00Z")).isAfter(Instant.parse("2026-11-15T09:00:00Z"));
        assertThat(weekly.periodStart(start.plus(Duration.ofDays(7)).minusMillis(1))).isEqualTo(start);
    }

    @Test
    void aPeriodThatIsNeitherDaysNorADivisorOfADayIsRefusedNamingTheKey() {
        OwnersConfig.Team t = new OwnersConfig.Team();
        t.name = "payments";
        t.digest.every = Duration.ofHours(5);
        assertThatThrownBy(() -> DigestSchedule.of(t, "owners.teams[0]."))
                .isInstanceOf(ConfigException.class).hasMessageContaining("owners.teams[0].digest.every").hasMessageContaining("PT5H");
    }

    @Test
    void theDigestIdIsDeterministicPerOwnerAndPeriod() {
        Instant p = Instant.parse("2026-11-22T08:00:00Z");
        assertThat(DigestReport.id("payments", p)).isEqualTo(DigestReport.id("payments", p)).hasSize(32)
                .isNotEqualTo(DigestReport.id("payments", p.plus(Duration.ofDays(1)))).isNotEqualTo(DigestReport.id("platform", p));
    }

    @Test
    void textAndSubjectListTheSectionsThatHaveSomething() {
        DigestReport.Item overdue = new DigestReport.Item("smoxy/sx/acme/1", "pay.example.com", "acme", "sx", Instant.parse("2026-12-01T00:00:00Z"),
                "overdue since 2026-11-20 00:00 UTC");
        Map<String, DigestReport.Section> sections = new java.util.LinkedHashMap<>();
        DigestReport.HEADINGS.keySet().forEach(k -> sections.put(k, new DigestReport.Section(0, List.of())));
        sections.put("overdue", new DigestReport.Section(51, List.of(overdue)));
        DigestReport r = new DigestReport("d1", "payments", Instant.parse("2026-11-22T08:00:00Z"), Instant.parse("2026-11-21T08:00:00Z"),
                Duration.ofDays(30), BERLIN, sections);
        assertThat(r.subject()).isEqualTo("certflow digest for payments: 51 overdue");
        assertThat(r.text()).contains("certflow digest for payments, 2026-11-22 09:00 Europe/Berlin (since 2026-11-21 09:00)")
                .contains("Overdue for renewal (51):\n- pay.example.com [smoxy/sx/acme/1], tenant acme, expires 2026-12-01: overdue since")
                .contains("- and 50 more").doesNotContain("Renewal failing").contains("digest id d1");
        assertThat(r.json()).contains("\"digestId\":\"d1\"").contains("\"overdue\":51");
        DigestReport empty = new DigestReport("d2", "payments", r.periodStart(), r.since(), r.horizon(), BERLIN,
                Map.of("overdue", new DigestReport.Section(0, List.of())));
        assertThat(empty.subject()).endsWith("nothing to report");
    }
}
