package dev.certflow.ingest.source;

import dev.certflow.events.ExpiryStatus;
import org.slf4j.Logger;

import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * How every source turns a raw expiry into an {@link ExpiryStatus}: blank is MISSING, a value its
 * parser refused is UNPARSEABLE (never "expired", never silently valid). An unparseable value is
 * counted on every poll but logged once per certificate and value, not on every poll.
 */
final class UnparseableReports {
    private static final int MAX = 100_000; // bounded: past this, warn again rather than grow
    private static final Map<String, String> REPORTED = new ConcurrentHashMap<>();

    private UnparseableReports() {
    }

    /**
     * @param raw    the value as the source sent it
     * @param parsed what the source's parser made of it (null when it could not read it)
     */
    static ExpiryStatus expiryStatus(String source, String certificateId, String field, String raw, Instant parsed,
                                     ItemCounter warnings, Logger log) {
        if (raw == null || raw.isBlank()) {
            return ExpiryStatus.MISSING;
        }
        if (parsed != null) {
            return ExpiryStatus.KNOWN;
        }
        warnings.itemWarning(source, field);
        if (firstTime(source, certificateId, raw)) {
            log.warn("Source {}: certificate {} field '{}' value '{}' is not a date; published with expiryStatus UNPARSEABLE",
                    source, certificateId, field, Json.shortText(raw));
        }
        return ExpiryStatus.UNPARSEABLE;
    }

    /** True the first time this source reports this value for this certificate. */
    static boolean firstTime(String source, String certificateId, String value) {
        if (REPORTED.size() >= MAX) {
            REPORTED.clear();
        }
        return !String.valueOf(value).equals(REPORTED.put(source + '\u0000' + certificateId, String.valueOf(value)));
    }
}
