package dev.certflow.ingest;

import dev.certflow.ingest.source.Dates;
import org.junit.jupiter.api.Test;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.util.Locale;
import java.util.Random;

import static org.assertj.core.api.Assertions.assertThat;

class DatesTest {
    private static final ZoneId KOLKATA = ZoneId.of("Asia/Kolkata");
    private static final ZoneId BERLIN = ZoneId.of("Europe/Berlin");

    @Test
    void readsIsoWithOffsetZoneOrNone() {
        assertThat(Dates.parseFlexible("2026-09-30T12:00:00+00:00", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        assertThat(Dates.parseFlexible("2026-09-30T12:00:00Z", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        assertThat(Dates.parseFlexible("2026-09-30T17:30:00.250+0530", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T12:00:00.250Z"));
        assertThat(Dates.parseFlexible("2026-09-30T17:30:00+05:30[Asia/Kolkata]", ZoneId.of("UTC"))).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        // zone-less: the configured zone
        assertThat(Dates.parseFlexible("2026-09-30T17:30:00", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        assertThat(Dates.parseFlexible("2026-09-30 17:30:00", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T12:00:00Z"));
        // date only: start of that day in the zone
        assertThat(Dates.parseFlexible("2026-10-01", KOLKATA)).isEqualTo(Instant.parse("2026-09-30T18:30:00Z"));
    }

    @Test
    void readsEpochMillisAndSeconds() {
        assertThat(Dates.parseFlexible("1790000000000", KOLKATA)).isEqualTo(Instant.ofEpochMilli(1790000000000L));
        assertThat(Dates.parseFlexible("1790000000", KOLKATA)).isEqualTo(Instant.ofEpochSecond(1790000000L));
    }

    @Test
    void garbageIsNullNotAnInstant() {
        assertThat(Dates.parseFlexible("string", KOLKATA)).isNull();
        assertThat(Dates.parseFlexible("2026-13-45", KOLKATA)).isNull();
        assertThat(Dates.parseFlexible("", KOLKATA)).isNull();
        assertThat(Dates.parseYeastar("2025-05-25 15:03:10", BERLIN)).isNull();
        assertThat(Dates.parseYeastar("2025/02/30 03:03:10 PM", BERLIN)).isNull();
    }

    @Test
    void yeastarTwelveHourClockInThePbxZone() {
        assertThat(Dates.parseYeastar("2025/05/25 03:03:10 PM", BERLIN)).isEqualTo(Instant.parse("2025-05-25T13:03:10Z"));
        assertThat(Dates.parseYeastar("2025/05/25 10:45:42 AM", BERLIN)).isEqualTo(Instant.parse("2025-05-25T08:45:42Z"));
        // 12 AM is midnight, 12 PM is noon
        assertThat(Dates.parseYeastar("2026/01/15 12:00:00 AM", BERLIN)).isEqualTo(Instant.parse("2026-01-14T23:00:00Z"));
        assertThat(Dates.parseYeastar("2026/01/15 12:30:00 PM", BERLIN)).isEqualTo(Instant.parse("2026-01-15T11:30:00Z"));
        assertThat(Dates.parseYeastar("2026/01/15 12:30:00 pm", BERLIN)).isEqualTo(Instant.parse("2026-01-15T11:30:00Z"));
    }

    @Test
    void yeastarFastPathReadsWhatTheStrictFormatterReads() {
        // parseYeastar reads the usual form without the formatter: for every text, valid or not, it must agree with
        // the formatter on the whitespace-collapsed text (what it did before)
        DateTimeFormatter formatter = new DateTimeFormatterBuilder().parseCaseInsensitive().appendPattern("uuuu/M/d h:mm:ss a")
                .toFormatter(Locale.ENGLISH).withResolverStyle(ResolverStyle.STRICT);
        Random random = new Random(15);
        String[] halves = {"AM", "PM", "am", "pM", "XM", "A", "AMM"};
        for (int n = 0; n < 50_000; n++) {
            String text = number(random, random.nextBoolean() ? 2026 : random.nextInt(10_000), 4) + "/" + number(random, random.nextInt(14), 1 + random.nextInt(3))
                    + "/" + number(random, random.nextInt(33), 1 + random.nextInt(2)) + " " + number(random, random.nextInt(14), 1 + random.nextInt(2))
                    + ":" + number(random, random.nextInt(61), 2) + ":" + number(random, random.nextInt(61), 1 + random.nextInt(2))
                    + " " + halves[random.nextInt(halves.length)];
            if (random.nextInt(10) == 0) {
                char[] c = text.toCharArray();
                c[random.nextInt(c.length)] = "0 :/9a".charAt(random.nextInt(6));
                text = new String(c);
            }
            Instant expected;
            try {
                expected = ZonedDateTime.ofLocal(LocalDateTime.parse(text.trim().replaceAll("\\s+", " "), formatter), BERLIN, null).toInstant();
            } catch (DateTimeException e) {
                expected = null;
            }
            assertThat(Dates.parseYeastar(text, BERLIN)).as(text).isEqualTo(expected);
        }
    }

    private static String number(Random random, int value, int width) {
        String digits = Integer.toString(value);
        return digits.length() >= width ? digits : "0".repeat(width - digits.length()) + digits;
    }

    @Test
    void yeastarWhitespaceRunsCollapseToOneSpace() {
        Instant expected = Instant.parse("2025-05-25T13:03:10Z");
        assertThat(Dates.parseYeastar("  2025/05/25  03:03:10\tPM ", BERLIN)).isEqualTo(expected);
        assertThat(Dates.parseYeastar("2025/05/25\n03:03:10 \r\nPM", BERLIN)).isEqualTo(expected);
        assertThat(Dates.parseYeastar("2025/05/25 03:03:10\u000bPM", BERLIN)).isEqualTo(expected);
        // not whitespace to \\s (as before): left as it is, so unreadable
        assertThat(Dates.parseYeastar("2025/05/25 03:03:10\u001fPM", BERLIN)).isNull();
        assertThat(Dates.parseYeastar("2025/05/25 03:03:10\u00a0PM", BERLIN)).isNull();
    }

    @Test
    void yeastarAcrossDaylightSavingChanges() {
        // winter (+01) and summer (+02) either side of 2026-03-29
        assertThat(Dates.parseYeastar("2026/03/28 09:00:00 AM", BERLIN)).isEqualTo(Instant.parse("2026-03-28T08:00:00Z"));
        assertThat(Dates.parseYeastar("2026/03/30 09:00:00 AM", BERLIN)).isEqualTo(Instant.parse("2026-03-30T07:00:00Z"));
        // 02:30 does not exist on 2026-03-29: moved forward by the gap to 03:30 CEST
        assertThat(Dates.parseYeastar("2026/03/29 02:30:00 AM", BERLIN)).isEqualTo(Instant.parse("2026-03-29T01:30:00Z"));
        // 02:30 happens twice on 2026-10-25: the earlier instant (CEST)
        assertThat(Dates.parseYeastar("2026/10/25 02:30:00 AM", BERLIN)).isEqualTo(Instant.parse("2026-10-25T00:30:00Z"));
    }
}
