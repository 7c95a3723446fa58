package dev.certflow.simulator;

import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;

/**
 * One certificate of the fleet with its whole scripted life. Scripted certificates are held by the
 * {@link Fleet}; background ones are computed on demand from the seed and never stored.
 *
 * @param unit            the tenant it belongs to
 * @param index           its position within the unit (Yeastar id = index + 1)
 * @param script          what it exercises
 * @param sourceId        the source's own id (the last part of the certificate key)
 * @param name            the certificate name as the source shows it
 * @param domain          the main domain
 * @param createdAt       when the source says it was created
 * @param expiry          the true initial expiry (null when the source gives none or garbage)
 * @param noExpiryStatus  what ingest should record while there is no expiry (PENDING, MISSING, UNPARSEABLE)
 * @param expiryFormat    Leegality only: the form its {@code expiry} is written in
 * @param rawExpiry       Leegality only: the unparseable string, for {@link Script#UNPARSEABLE_EXPIRY}
 * @param addedAt         when it appears (null = present from the start)
 * @param removedAt       when it disappears (null = never)
 * @param renewalFailedAt when a renewal fails (null = never)
 * @param renewedAt       when a renewal succeeds / the certificate is replaced (null = never)
 * @param renewedExpiry   the expiry after {@code renewedAt}
 * @param hash            the seed-derived hash the variable details are drawn from
 */
public record FleetCertificate(FleetUnit unit, int index, Script script, String sourceId, String name, String domain,
                               Instant createdAt, Instant expiry, ExpiryStatus noExpiryStatus,
                               ExpiryFormat expiryFormat, String rawExpiry,
                               Instant addedAt, Instant removedAt, Instant renewalFailedAt,
                               Instant renewedAt, Instant renewedExpiry, long hash) {

    /** The warning thresholds, in days, that alerts are raised at. */
    public static final List<Integer> THRESHOLD_DAYS = List.of(30, 14, 7, 1);

    public String kind() {
        return unit.kind();
    }

    public String sourceName() {
        return unit.sourceName();
    }

    public String tenant() {
        return unit.tenant();
    }

    /** The string form of the certificate key ingest should publish it under. */
    public String key() {
        return CertificateKeys.format(CertificateKeys.of(SourceKind.valueOf(kind().toUpperCase(Locale.ROOT)),
                sourceName(), tenant(), sourceId));
    }

    public boolean scripted() {
        return script != Script.BACKGROUND;
    }

    /** Whether the source lists the certificate at {@code t}. */
    public boolean presentAt(Instant t) {
        return (addedAt == null || !t.isBefore(addedAt)) && (removedAt == null || t.isBefore(removedAt));
    }

    /** The expiry in force at {@code t} (null when there is none). */
    public Instant expiryAt(Instant t) {
        return renewedAt != null && !t.isBefore(renewedAt) ? renewedExpiry : expiry;
    }

    /** What ingest should record as the expiry status at {@code t}. */
    public ExpiryStatus expiryStatusAt(Instant t) {
        return expiryAt(t) != null ? ExpiryStatus.KNOWN : noExpiryStatus;
    }

    /** The expected events, earliest first. Threshold instants before the start mean "already crossed". */
    public List<ScriptEvent> events() {
        List<ScriptEvent> events = new ArrayList<>();
        if (addedAt != null) {
            events.add(new ScriptEvent(addedAt, ScriptEvent.Type.ADDED, null, null));
        }
        Instant firstEnd = renewedAt != null ? renewedAt : removedAt;
        addExpiryEvents(events, expiry, firstEnd);
        if (renewalFailedAt != null) {
            events.add(new ScriptEvent(renewalFailedAt, ScriptEvent.Type.RENEWAL_FAILED, null, null));
        }
        if (renewedAt != null) {
            ScriptEvent.Type type = script == Script.REPLACED
                    ? ScriptEvent.Type.EXPIRY_REPLACED : ScriptEvent.Type.RENEWAL_SUCCEEDED;
            events.add(new ScriptEvent(renewedAt, type, null, renewedExpiry));
            addExpiryEvents(events, renewedExpiry, removedAt);
        }
        if (removedAt != null) {
            events.add(new ScriptEvent(removedAt, ScriptEvent.Type.REMOVED, null, null));
        }
        events.sort(Comparator.comparing(ScriptEvent::at));
        return List.copyOf(events);
    }

    private static void addExpiryEvents(List<ScriptEvent> out, Instant expiry, Instant end) {
        if (expiry == null) {
            return;
        }
        for (int days : THRESHOLD_DAYS) {
            Instant at = expiry.minus(Duration.ofDays(days));
            if (end == null || at.isBefore(end)) {
                out.add(new ScriptEvent(at, ScriptEvent.Type.THRESHOLD_CROSSED, days, expiry));
            }
        }
        if (end == null || expiry.isBefore(end)) {
            out.add(new ScriptEvent(expiry, ScriptEvent.Type.EXPIRED, null, expiry));
        }
    }
}
