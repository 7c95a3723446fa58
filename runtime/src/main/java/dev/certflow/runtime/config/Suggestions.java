package dev.certflow.runtime.config;

import org.apache.commons.text.similarity.LevenshteinDistance;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/** "Did you mean" for configuration errors: the valid values nearest to a wrong one by edit distance. */
public final class Suggestions {
    private static final int MAX = 3;

    private Suggestions() {
    }

    /**
     * The candidates nearest to {@code value} (case-insensitive, at most three, sorted), or none when
     * even the nearest differs in more than about a third of its characters.
     */
    public static List<String> nearest(String value, Collection<String> candidates) {
        return nearest(value, candidates, false);
    }

    /**
     * The IANA zone ids nearest to {@code value}; a value without {@code /} is also compared with the
     * city part of each id, so {@code Berlin} suggests {@code Europe/Berlin}.
     */
    public static List<String> nearestZones(String value) {
        return nearest(value, new TreeSet<>(ZoneId.getAvailableZoneIds()), value != null && !value.contains("/"));
    }

    private static List<String> nearest(String value, Collection<String> candidates, boolean compareLastSegment) {
        if (value == null || value.isBlank()) {
            return List.of();
        }
        String v = normalise(value);
        LevenshteinDistance distance = new LevenshteinDistance(Math.max(2, v.length() / 3));
        int best = Integer.MAX_VALUE;
        List<String> found = new ArrayList<>();
        for (String candidate : candidates) {
            String c = normalise(candidate);
            int d = orMax(distance.apply(v, c));
            if (compareLastSegment && c.contains("/")) {
                d = Math.min(d, orMax(distance.apply(v, c.substring(c.lastIndexOf('/') + 1))));
            }
            if (d < best) {
                best = d;
                found.clear();
            }
            if (d == best && d != Integer.MAX_VALUE) {
                found.add(candidate);
            }
        }
        return found.stream().sorted().limit(MAX).toList();
    }

    /** {@code "; nearest: a, b"} for the end of a message, or empty. */
    public static String hint(List<String> nearest) {
        return nearest.isEmpty() ? "" : "; nearest: " + String.join(", ", nearest);
    }

    private static int orMax(int d) {
        return d < 0 ? Integer.MAX_VALUE : d; // -1: beyond the threshold
    }

    private static String normalise(String s) {
        return s.trim().toLowerCase(Locale.ROOT).replace(' ', '_');
    }
}
