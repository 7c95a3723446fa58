package dev.certflow.sink.digest;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.owners.OwnersConfig;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;

/**
 * When an owner's digests are due: at {@code digest.at} local time in the team's zone, every
 * {@code digest.every}. A period of whole days runs from {@code at} on the local days whose epoch day
 * is a multiple of the days (every day for {@code 1d}, so a daylight-saving change moves nothing); a
 * period shorter than a day that divides it gives slots {@code at + k * every} on each local day.
 * A local time that a clock change skips is taken as the first instant after the gap.
 */
public final class DigestSchedule {
    private static final Duration DAY = Duration.ofDays(1);

    private final ZoneId zone;
    private final LocalTime at;
    private final Duration every;

    public DigestSchedule(ZoneId zone, LocalTime at, Duration every) {
        this.zone = zone;
        this.at = at;
        this.every = every;
    }

    /** The schedule of a team; a period that is neither whole days nor a divisor of a day is refused naming the key. */
    public static DigestSchedule of(OwnersConfig.Team team, String key) {
        Duration every = team.digest.every;
        boolean days = every.toMillis() % DAY.toMillis() == 0;
        boolean divides = every.compareTo(DAY) < 0 && DAY.toMillis() % every.toMillis() == 0;
        if (!days && !divides) {
            throw new ConfigException("bad value '" + every + "' for configuration key '" + key + "digest.every': "
                    + "must be a whole number of days or divide a day (for example 1d, 7d, 12h, 6h)");
        }
        return new DigestSchedule(team.zone, team.digest.at, every);
    }

    /** The start of the period {@code now} is in: the latest slot at or before it. */
    public Instant periodStart(Instant now) {
        LocalDate day = now.atZone(zone).toLocalDate();
        if (every.toMillis() % DAY.toMillis() == 0) {
            long days = every.toDays();
            for (LocalDate d = day; ; d = d.minusDays(1)) {
                Instant slot = ZonedDateTime.of(d, at, zone).toInstant();
                if (!slot.isAfter(now) && Math.floorMod(d.toEpochDay(), days) == 0) {
                    return slot;
                }
            }
        }
        Instant best = null;
        for (LocalDate d : List.of(day, day.minusDays(1))) {
            for (Instant slot : slots(d)) {
                if (!slot.isAfter(now) && (best == null || slot.isAfter(best))) {
                    best = slot;
                }
            }
        }
        return best;
    }

    /** The start of the period before the one starting at {@code start}. */
    public Instant previous(Instant start) {
        return periodStart(start.minusMillis(1));
    }

    private List<Instant> slots(LocalDate day) {
        List<Instant> out = new ArrayList<>();
        long n = DAY.toMillis() / every.toMillis();
        for (long k = 0; k < n; k++) {
            LocalTime t = at.plus(every.multipliedBy(k));
            // slots that wrap past midnight belong to the next local day's count; keep them on this day's date
            LocalDate d = t.isBefore(at) ? day.plusDays(1) : day;
            out.add(ZonedDateTime.of(d, t, zone).toInstant());
        }
        return out;
    }

    public ZoneId zone() {
        return zone;
    }
}
