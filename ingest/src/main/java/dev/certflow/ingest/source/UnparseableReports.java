package dev.certflow.ingest.source;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Remembers which unparseable values were already reported, so a bad expiry is warned about when
 * it appears (or changes), not on every poll; the error meter still counts every occurrence.
 */
final class UnparseableReports {
    private static final int MAX = 100_000; // bounded: past this, warn again rather than grow
    private static final Map<String, String> REPORTED = new ConcurrentHashMap<>();

    private UnparseableReports() {
    }

    /** True the first time this source reports this value for this certificate. */
    static boolean firstTime(String source, String certificateId, String value) {
        if (REPORTED.size() >= MAX) {
            REPORTED.clear();
        }
        return !String.valueOf(value).equals(REPORTED.put(source + '\u0000' + certificateId, String.valueOf(value)));
    }
}
