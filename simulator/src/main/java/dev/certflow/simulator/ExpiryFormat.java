package dev.certflow.simulator;

import java.time.Instant;
import java.time.ZoneId;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;

/** The forms a Leegality {@code expiry} / {@code createdAt} is written in (the API types them only as strings). */
public enum ExpiryFormat {
    /** ISO-8601 with the source zone's offset, e.g. {@code 2027-03-01T10:15:30+05:30}. */
    ISO_OFFSET,
    /** ISO-8601 in UTC, e.g. {@code 2027-03-01T04:45:30Z}. */
    ISO_UTC,
    /** ISO-8601 local date-time without offset, meant in the source zone. */
    ISO_LOCAL,
    /** Date only, meant as midnight in the source zone (the true expiry is that midnight). */
    DATE_ONLY,
    /** Epoch milliseconds as a string of digits. */
    EPOCH_MILLIS;

    /** Writes the instant in this format for the zone. */
    public String format(Instant at, ZoneId zone) {
        Instant s = at.truncatedTo(ChronoUnit.SECONDS);
        return switch (this) {
            case ISO_OFFSET -> DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(s.atZone(zone).toOffsetDateTime());
            case ISO_UTC -> DateTimeFormatter.ISO_INSTANT.format(s);
            case ISO_LOCAL -> DateTimeFormatter.ISO_LOCAL_DATE_TIME.format(s.atZone(zone).toLocalDateTime());
            case DATE_ONLY -> DateTimeFormatter.ISO_LOCAL_DATE.format(s.atZone(zone).toLocalDate());
            case EPOCH_MILLIS -> Long.toString(s.toEpochMilli());
        };
    }

    /** DATE_ONLY can only carry a local midnight: moves the instant up to the next one (never earlier). */
    public Instant representable(Instant at, ZoneId zone) {
        Instant s = at.truncatedTo(ChronoUnit.SECONDS);
        if (this != DATE_ONLY) {
            return s;
        }
        var local = s.atZone(zone);
        var midnight = local.toLocalDate().atStartOfDay(zone);
        return midnight.toInstant().equals(s) ? s : local.toLocalDate().plusDays(1).atStartOfDay(zone).toInstant();
    }
}
