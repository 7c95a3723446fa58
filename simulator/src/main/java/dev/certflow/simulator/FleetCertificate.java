package dev.certflow.simulator;

import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * One certificate of the fleet with its whole life: the generations it goes through (first issuance,
 * then one per renewal), listed at its source from {@code addedAt} to {@code removedAt}. Scripted
 * certificates are held by the {@link Fleet}; background ones are computed on demand from the seed and
 * never stored, and so is the periodic part ({@link Cycle}) of any life: the generation in force at an
 * instant is computed, whatever the instant.
 *
 * @param unit            the tenant it belongs to
 * @param index           its position within the unit (Yeastar id = index + 1)
 * @param script          what it exercises
 * @param mode            how it is renewed
 * @param lifetime        the lifetime of its generations (nominal; scripted generations may differ)
 * @param name            the certificate name as the source shows it
 * @param domain          the main domain (common name)
 * @param noExpiryStatus  what ingest should record while there is no expiry (PENDING, MISSING, UNPARSEABLE)
 * @param expiryFormat    Leegality only: the form its {@code expiry} is written in
 * @param rawExpiry       Leegality only: the unparseable string, for {@link Script#UNPARSEABLE_EXPIRY}
 * @param addedAt         when it appears (null = present from the start)
 * @param removedAt       when it disappears (null = never)
 * @param head            the scripted generations, numbered from 0 (empty for background certificates)
 * @param tail            the periodic generations after {@code head} (null = none: the life ends with the head)
 * @param failedAttempts  when scripted renewal attempts fail
 * @param conclusions     what streams must conclude, declared by the script ({@link ScriptEvent#conclusion()})
 * @param start           the fleet start
 * @param horizon         how far {@link #events()} follow the periodic part
 * @param hash            the seed-derived hash the variable details are drawn from
 */
public record FleetCertificate(FleetUnit unit, int index, Script script, RenewalMode mode, Duration lifetime,
                               String name, String domain, ExpiryStatus noExpiryStatus, ExpiryFormat expiryFormat,
                               String rawExpiry, Instant addedAt, Instant removedAt, List<Generation> head, Cycle tail,
                               List<Instant> failedAttempts, List<ScriptEvent> conclusions, Instant start,
                               Instant horizon, long hash) {

    /** The old fixed thresholds, in days, whose crossings {@link #events()} list as facts. */
    public static final List<Integer> THRESHOLD_DAYS = List.of(30, 14, 7, 1);

    public FleetCertificate {
        head = List.copyOf(head);
        failedAttempts = List.copyOf(failedAttempts);
        conclusions = List.copyOf(conclusions);
        if (head.isEmpty() && tail == null) {
            throw new IllegalArgumentException("a certificate needs at least one generation");
        }
    }

    public String kind() {
        return unit.kind();
    }

    public String sourceName() {
        return unit.sourceName();
    }

    public String tenant() {
        return unit.tenant();
    }

    public boolean scripted() {
        return script != Script.BACKGROUND;
    }

    /** The string form of the key ingest publishes the certificate with this source id under. */
    public String keyOf(String sourceId) {
        return keyOf(unit, sourceId);
    }

    static String keyOf(FleetUnit unit, String sourceId) {
        return CertificateKeys.format(CertificateKeys.of(SourceKind.valueOf(unit.kind().toUpperCase(Locale.ROOT)),
                unit.sourceName(), unit.tenant(), sourceId));
    }

    /** The key of the certificate in force at the fleet start (the one ingest first publishes). */
    public String key() {
        return keyOf(sourceId());
    }

    /** Every key the certificate is published under up to the horizon (more than one where renewals get new ids). */
    public Set<String> keys() {
        Set<String> keys = new LinkedHashSet<>();
        for (Generation g : life(horizon)) {
            keys.add(keyOf(g.sourceId()));
        }
        return keys;
    }

    /** The source id of the certificate in force at the fleet start. */
    public String sourceId() {
        return initial().sourceId();
    }

    /** Generation {@code number}, or null when the life has none of that number. */
    public Generation generation(int number) {
        if (number < 0) {
            return null;
        }
        if (tail != null && number >= tail.first()) {
            return tail.generation(number - tail.first());
        }
        return number < head.size() ? head.get(number) : null;
    }

    /** The generation in force at {@code t} (the first one before it is issued). */
    public Generation generationAt(Instant t) {
        if (tail != null && (head.isEmpty() || t.getEpochSecond() >= tail.t0())) {
            return tail.generationAt(t);
        }
        Generation current = head.get(0);
        for (Generation g : head) {
            if (!t.isBefore(g.issuedAt())) {
                current = g;
            }
        }
        return current;
    }

    /** The generation in force at the fleet start. */
    public Generation initial() {
        return generationAt(start);
    }

    /** Whether the source lists the certificate (some generation of it) at {@code t}. */
    public boolean presentAt(Instant t) {
        return (addedAt == null || !t.isBefore(addedAt)) && (removedAt == null || t.isBefore(removedAt));
    }

    /**
     * What the source lists at {@code t}: the generation in force and, for a week after a renewal with
     * a new id, the one it replaced (oldest first); nothing while the certificate is not present.
     */
    public List<Generation> listedAt(Instant t) {
        if (!presentAt(t)) {
            return List.of();
        }
        Generation current = generationAt(t);
        Generation previous = generation(current.number() - 1);
        if (previous != null && previous.listedUntil() != null && !previous.sourceId().equals(current.sourceId())
                && t.isBefore(previous.listedUntil()) && !t.isBefore(current.issuedAt())) {
            return List.of(previous, current);
        }
        return List.of(current);
    }

    /** When the source first showed this generation's id: its own issuance, or the first generation of an in-place life. */
    public Instant createdAt(Generation g) {
        Generation first = g;
        for (Generation p = generation(g.number() - 1); p != null && p.sourceId().equals(g.sourceId()); p = generation(p.number() - 1)) {
            first = p;
        }
        return first.issuedAt();
    }

    /** When the certificate in force at the start was created at the source. */
    public Instant createdAt() {
        return createdAt(initial());
    }

    /** The expiry of the certificate in force at the start (null when there is none). */
    public Instant expiry() {
        return initial().notAfter();
    }

    /** The expiry in force at {@code t} (null when there is none). */
    public Instant expiryAt(Instant t) {
        return generationAt(t).notAfter();
    }

    /** What ingest should record as the expiry status at {@code t}. */
    public ExpiryStatus expiryStatusAt(Instant t) {
        return expiryAt(t) != null ? ExpiryStatus.KNOWN : noExpiryStatus;
    }

    /** When the certificate is first renewed or replaced (generation 1), or null. */
    public Instant renewedAt() {
        Generation g = generation(1);
        return g == null ? null : g.issuedAt();
    }

    /** The expiry of generation 1, or null. */
    public Instant renewedExpiry() {
        Generation g = generation(1);
        return g == null ? null : g.notAfter();
    }

    /** When the first scripted renewal attempt fails, or null. */
    public Instant renewalFailedAt() {
        return failedAttempts.isEmpty() ? null : failedAttempts.get(0);
    }

    /** The generations issued by {@code t} that carry an expiry, oldest first. */
    List<Generation> issuedBy(Instant t) {
        List<Generation> out = new ArrayList<>();
        for (Generation g : life(t)) {
            if (!g.issuedAt().isAfter(t) && g.notAfter() != null) {
                out.add(g);
            }
        }
        return out;
    }

    /** The instant of the next source-side attempt after {@code t}: a scripted failure or the next issuance; null if none. */
    Instant nextAttemptAfter(Instant t) {
        Generation current = generationAt(t);
        Instant next;
        if (t.isBefore(current.issuedAt())) {
            next = current.issuedAt();
        } else {
            Generation following = generation(current.number() + 1);
            next = following == null ? null : following.issuedAt();
        }
        for (Instant f : failedAttempts) {
            if (f.isAfter(t) && (next == null || f.isBefore(next))) {
                next = f;
            }
        }
        return next;
    }

    /** Whether the latest attempt finished by {@code t} is a failure. */
    boolean lastAttemptFailed(Instant t) {
        Generation current = generationAt(t);
        Instant success = t.isBefore(current.issuedAt()) ? null : current.issuedAt();
        Instant failure = null;
        for (Instant f : failedAttempts) {
            if (!f.isAfter(t)) {
                failure = f;
            }
        }
        return failure != null && (success == null || failure.isAfter(success));
    }

    /** The scripted generations and the periodic ones issued by {@code until}, oldest first. */
    private List<Generation> life(Instant until) {
        List<Generation> out = new ArrayList<>(head);
        if (tail != null) {
            long last = until.getEpochSecond();
            for (long m = 0; m == 0 || tail.issuedAt(m) <= last; m++) {
                out.add(tail.generation(m));
            }
        }
        return out;
    }

    /** What streams must conclude (alerts fired and resolved), earliest first; empty for a healthy certificate. */
    public List<ScriptEvent> expectedAlerts() {
        return events().stream().filter(ScriptEvent::conclusion).toList();
    }

    /**
     * The expected events up to the horizon, earliest first: facts (renewals, old fixed threshold
     * crossings of every generation while it is listed, additions, removals) and the script's conclusions.
     * Threshold instants before the start mean "already crossed".
     */
    public List<ScriptEvent> events() {
        List<ScriptEvent> events = new ArrayList<>();
        if (addedAt != null) {
            events.add(new ScriptEvent(addedAt, ScriptEvent.Type.ADDED, null, null));
        }
        List<Generation> gens = life(horizon);
        for (int i = 0; i < gens.size(); i++) {
            Generation g = gens.get(i);
            boolean periodic = tail != null && g.number() >= tail.first();
            if (periodic && g.issuedAt().isAfter(horizon)) {
                break;
            }
            if (i > 0) {
                Generation before = gens.get(i - 1);
                ScriptEvent.Type type = !before.sourceId().equals(g.sourceId()) ? ScriptEvent.Type.SUPERSEDED
                        : showsAttempts() ? ScriptEvent.Type.RENEWAL_SUCCEEDED : ScriptEvent.Type.EXPIRY_REPLACED;
                events.add(new ScriptEvent(g.issuedAt(), type, null, g.notAfter(), null,
                        type == ScriptEvent.Type.SUPERSEDED ? keyOf(g.sourceId()) : null, null));
            }
            addExpiryEvents(events, g.notAfter(), end(g), periodic ? horizon : null);
        }
        for (Instant f : failedAttempts) {
            events.add(new ScriptEvent(f, ScriptEvent.Type.RENEWAL_FAILED, null, null));
        }
        if (removedAt != null) {
            events.add(new ScriptEvent(removedAt, ScriptEvent.Type.REMOVED, null, null));
        }
        events.addAll(conclusions);
        events.sort(Comparator.comparing(ScriptEvent::at)); // stable: facts before the conclusions they cause
        return List.copyOf(events);
    }

    /** Whether the source shows renewal attempts for it (smoxy always; Yeastar for applied certificates). */
    boolean showsAttempts() {
        return kind().equals("smoxy") || (kind().equals("yeastar") && mode.automatic());
    }

    /** When a generation stops being listed: replaced in place, disabled after its successor, or removed. */
    private Instant end(Generation g) {
        Generation next = generation(g.number() + 1);
        Instant end;
        if (next == null) {
            end = null;
        } else if (next.sourceId().equals(g.sourceId())) {
            end = next.issuedAt();
        } else {
            end = g.listedUntil() != null ? g.listedUntil() : next.issuedAt();
        }
        return removedAt != null && (end == null || removedAt.isBefore(end)) ? removedAt : end;
    }

    private static void addExpiryEvents(List<ScriptEvent> out, Instant expiry, Instant end, Instant limit) {
        if (expiry == null) {
            return;
        }
        for (int days : THRESHOLD_DAYS) {
            Instant at = expiry.minus(Duration.ofDays(days));
            if ((end == null || at.isBefore(end)) && (limit == null || !at.isAfter(limit))) {
                out.add(new ScriptEvent(at, ScriptEvent.Type.THRESHOLD_CROSSED, days, expiry));
            }
        }
        if ((end == null || expiry.isBefore(end)) && (limit == null || !expiry.isAfter(limit))) {
            out.add(new ScriptEvent(expiry, ScriptEvent.Type.EXPIRED, null, expiry));
        }
    }
}
