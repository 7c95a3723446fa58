package dev.certflow.sink.oncall;

import dev.certflow.events.Alert;
import dev.certflow.events.Silence;
import dev.certflow.events.SilenceMatchOp;
import dev.certflow.events.SilenceMatcher;
import dev.certflow.sink.delivery.AlertFields;
import dev.certflow.sink.delivery.Payloads;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One silence compiled for matching, with Alertmanager's semantics: every matcher must hold; an
 * alert without the named value has the empty string (so {@code NOT_EQUAL x} matches it); regular
 * expressions are anchored (the whole value must match). Names: {@code kind}, {@code severity},
 * {@code owner}, {@code tenant}, {@code source}, {@code source_kind}, {@code certificate_key},
 * {@code incident}, {@code alertname}, else an alert label. {@code kind}, {@code severity} and
 * {@code source_kind} compare without case ({@code kind=EXPIRING} and {@code kind=expiring}, as
 * Alertmanager shows them, mean the same); everything else is case-sensitive.
 */
public final class SilenceRules {
    private static final Set<String> CASELESS = Set.of("kind", "severity", "source_kind");

    private record Compiled(String name, String value, SilenceMatchOp op, Pattern pattern) {
    }

    private final Silence silence;
    private final List<Compiled> matchers;
    private final String invalid;

    private SilenceRules(Silence silence, List<Compiled> matchers, String invalid) {
        this.silence = silence;
        this.matchers = matchers;
        this.invalid = invalid;
    }

    /** Compiles a silence; one whose regular expression does not compile, or without matchers, matches nothing (see {@link #invalid}). */
    public static SilenceRules of(Silence silence) {
        List<Compiled> out = new ArrayList<>();
        if (silence.getMatchers().isEmpty()) {
            return new SilenceRules(silence, List.of(), "it has no matchers");
        }
        for (SilenceMatcher m : silence.getMatchers()) {
            String name = m.getName() == null ? "" : m.getName().trim();
            boolean caseless = CASELESS.contains(name.toLowerCase(Locale.ROOT));
            Pattern p = null;
            if (m.getOp() == SilenceMatchOp.REGEX || m.getOp() == SilenceMatchOp.NOT_REGEX) {
                try {
                    p = Pattern.compile(m.getValue(), caseless ? Pattern.CASE_INSENSITIVE : 0);
                } catch (PatternSyntaxException e) {
                    return new SilenceRules(silence, List.of(), "matcher '" + name + "' has an invalid regular expression: " + e.getDescription());
                }
            }
            out.add(new Compiled(name, m.getValue(), m.getOp(), p));
        }
        return new SilenceRules(silence, List.copyOf(out), null);
    }

    public Silence silence() {
        return silence;
    }

    public String id() {
        return silence.getSilenceId();
    }

    /** Why this silence matches nothing, or null when it is usable. */
    public String invalid() {
        return invalid;
    }

    /** Whether the silence is in force at {@code now}: from startsAt (inclusive) to endsAt (exclusive). */
    public boolean activeAt(Instant now) {
        return !now.isBefore(silence.getStartsAt()) && now.isBefore(silence.getEndsAt());
    }

    /** Whether every matcher holds for the alert (regardless of time). */
    public boolean matches(Alert alert) {
        if (invalid != null) {
            return false;
        }
        for (Compiled m : matchers) {
            String actual = value(alert, m.name());
            boolean caseless = CASELESS.contains(m.name().toLowerCase(Locale.ROOT));
            boolean holds = switch (m.op()) {
                case EQUAL -> equal(actual, m.value(), caseless);
                case NOT_EQUAL -> !equal(actual, m.value(), caseless);
                case REGEX -> m.pattern().matcher(actual).matches();
                case NOT_REGEX -> !m.pattern().matcher(actual).matches();
            };
            if (!holds) {
                return false;
            }
        }
        return true;
    }

    private static boolean equal(String actual, String expected, boolean caseless) {
        String e = expected == null ? "" : expected;
        return caseless ? actual.equalsIgnoreCase(e) : actual.equals(e);
    }

    /** The alert's value for a matcher name; the empty string when it has none. */
    static String value(Alert alert, String name) {
        String v = switch (name) {
            case "kind" -> alert.getKind().name();
            case "severity" -> alert.getSeverity().name();
            case "owner" -> alert.getOwner();
            case "tenant" -> AlertFields.tenant(alert);
            case "source" -> AlertFields.sourceName(alert);
            case "source_kind" -> AlertFields.sourceKindName(alert);
            case "certificate_key" -> AlertFields.certificateKey(alert);
            case "incident" -> AlertFields.incidentId(alert);
            case "alertname" -> Payloads.alertName(alert);
            case "alert_id" -> alert.getAlertId();
            default -> alert.getLabels().get(name);
        };
        return v == null ? "" : v;
    }
}
