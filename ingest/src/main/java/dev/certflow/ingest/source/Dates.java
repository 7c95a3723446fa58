package dev.certflow.ingest.source;

import java.time.DateTimeException;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.format.ResolverStyle;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * Turns the date forms the sources send into UTC instants, converting zone-less values with the
 * source's configured zone. Returns null when a value cannot be read; the caller decides what that
 * means (it is never "expired").
 *
 * <p>Zone-less local times that fall into a DST gap move forward by the gap (02:30 on a spring-forward
 * night reads as 03:30); in an overlap the earlier offset wins, i.e. the earlier instant, so an expiry
 * is never reported later than it could be.
 */
public final class Dates {
    private static final Pattern DIGITS = Pattern.compile("^-?\\d{1,15}$");
    // compiled once: parsing runs per certificate
    private static final Pattern WHITESPACE = Pattern.compile("\\s+");
    private static final Pattern COMPACT_OFFSET = Pattern.compile("([+-])(\\d{2})(\\d{2})?$");
    private static final DateTimeFormatter YEASTAR = new DateTimeFormatterBuilder()
            .parseCaseInsensitive()
            .appendPattern("uuuu/M/d h:mm:ss a")
            .toFormatter(Locale.ENGLISH)
            .withResolverStyle(ResolverStyle.STRICT);
    /** Epoch values below this are seconds, not milliseconds (1e11 ms is March 1973). */
    private static final long SECONDS_LIMIT = 100_000_000_000L;

    private Dates() {
    }

    /**
     * ISO-8601 with offset ({@code 2026-09-30T12:00:00+00:00}, {@code ...Z}), with a zone id
     * ({@code ...+05:30[Asia/Kolkata]}), local date-time (space or T), date only (start of that day
     * in {@code zone}), or epoch milliseconds (seconds when below 1e11).
     */
    public static Instant parseFlexible(String raw, ZoneId zone) {
        if (raw == null) {
            return null;
        }
        String s = raw.trim();
        if (s.isEmpty()) {
            return null;
        }
        try {
            if (DIGITS.matcher(s).matches()) {
                long n = Long.parseLong(s);
                return Math.abs(n) < SECONDS_LIMIT ? Instant.ofEpochSecond(n) : Instant.ofEpochMilli(n);
            }
            String t = s.length() > 10 && s.charAt(10) == ' ' ? s.substring(0, 10) + 'T' + s.substring(11) : s;
            if (t.endsWith("]")) {
                return ZonedDateTime.parse(t, DateTimeFormatter.ISO_ZONED_DATE_TIME).toInstant();
            }
            if (t.length() == 10) {
                return LocalDate.parse(t, DateTimeFormatter.ISO_LOCAL_DATE).atStartOfDay(zone).toInstant();
            }
            if (hasOffset(t)) {
                return OffsetDateTime.parse(normaliseOffset(t), DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
            }
            return ZonedDateTime.ofLocal(LocalDateTime.parse(t, DateTimeFormatter.ISO_LOCAL_DATE_TIME), zone, null).toInstant();
        } catch (DateTimeException | ArithmeticException e) {
            return null;
        }
    }

    /** A Yeastar expiration such as {@code 2025/05/25 03:03:10 PM}, a local time in the PBX zone. */
    public static Instant parseYeastar(String raw, ZoneId zone) {
        if (raw == null) {
            return null;
        }
        try {
            String t = raw.trim();
            LocalDateTime local = usualYeastar(t);
            if (local == null) {
                local = LocalDateTime.parse(singleSpaced(t) ? t : WHITESPACE.matcher(t).replaceAll(" "), YEASTAR);
            }
            return ZonedDateTime.ofLocal(local, zone, null).toInstant();
        } catch (DateTimeException e) {
            return null;
        }
    }

    /**
     * The usual form {@code uuuu/MM/dd hh:mm:ss AM} (month, day and hour of one or two digits) read
     * without the formatter, which took 6 % of a first poll; null for any other text, which the
     * formatter then reads (or refuses) as before. Throws like the strict formatter on a date that
     * does not exist.
     */
    static LocalDateTime usualYeastar(String t) {
        int n = t.length();
        if (n < 19 || n > 22 || t.charAt(4) != '/') {
            return null;
        }
        int monthEnd = t.indexOf('/', 5);
        int dayEnd = monthEnd < 0 ? -1 : t.indexOf(' ', monthEnd + 1);
        int hourEnd = dayEnd < 0 ? -1 : t.indexOf(':', dayEnd + 1);
        if (hourEnd < 0) {
            return null;
        }
        int year = digits(t, 0, 4);
        int month = shortNumber(t, 5, monthEnd);
        int day = shortNumber(t, monthEnd + 1, dayEnd);
        int hour = shortNumber(t, dayEnd + 1, hourEnd);
        int i = hourEnd + 1; // "mm:ss AM" from here to the end
        if (year < 0 || month < 0 || day < 0 || hour < 1 || hour > 12 || i + 8 != n
                || t.charAt(i + 2) != ':' || t.charAt(i + 5) != ' ') {
            return null;
        }
        int minute = digits(t, i, 2);
        int second = digits(t, i + 3, 2);
        char half = Character.toUpperCase(t.charAt(i + 6));
        if (minute < 0 || minute > 59 || second < 0 || second > 59 || half != 'A' && half != 'P'
                || Character.toUpperCase(t.charAt(i + 7)) != 'M') {
            return null;
        }
        return LocalDateTime.of(year, month, day, hour % 12 + (half == 'P' ? 12 : 0), minute, second);
    }

    /** The value of {@code count} ASCII digits at {@code from}, or -1. */
    private static int digits(String t, int from, int count) {
        int v = 0;
        for (int k = from; k < from + count; k++) {
            char c = t.charAt(k);
            if (c < '0' || c > '9') {
                return -1;
            }
            v = v * 10 + (c - '0');
        }
        return v;
    }

    /** One or two digits from {@code from} to {@code end}, or -1. */
    private static int shortNumber(String t, int from, int end) {
        int len = end - from;
        return len == 1 || len == 2 ? digits(t, from, len) : -1;
    }

    /** True when {@code t} has no whitespace but single spaces (the usual form: nothing to collapse). */
    private static boolean singleSpaced(String t) {
        for (int i = 0; i < t.length(); i++) {
            char c = t.charAt(i);
            if (c == ' ' ? i + 1 < t.length() && t.charAt(i + 1) == ' ' : c <= ' ' && Character.isWhitespace(c)) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasOffset(String t) {
        if (t.endsWith("Z") || t.endsWith("z")) {
            return true;
        }
        int tIndex = t.indexOf('T');
        if (tIndex < 0) {
            return false;
        }
        String time = t.substring(tIndex);
        return time.indexOf('+') >= 0 || time.indexOf('-') >= 0;
    }

    /** {@code +0530} -> {@code +05:30}, {@code +05} -> {@code +05:00}, lower-case z -> Z. */
    private static String normaliseOffset(String t) {
        if (t.endsWith("z")) {
            return t.substring(0, t.length() - 1) + "Z";
        }
        java.util.regex.Matcher m = COMPACT_OFFSET.matcher(t);
        if (m.find() && !t.substring(0, m.start()).endsWith(":")) {
            String mm = m.group(3) == null ? "00" : m.group(3);
            return t.substring(0, m.start()) + m.group(1) + m.group(2) + ":" + mm;
        }
        return t;
    }
}
