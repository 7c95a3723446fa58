package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.sink.SinkConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * A filter selecting alerts for a channel. Each list left empty matches anything; a non-empty
 * list matches when the alert's value is in it. All lists must match.
 */
public class Route {
    /** The owner name a route lists to take unowned alerts. */
    public static final String UNOWNED = "-";

    /** Alert kinds (EXPIRING, EXPIRED, RENEWAL_FAILED, EXPIRY_UNKNOWN, SOURCE_DOWN). */
    public List<String> kinds = new ArrayList<>();
    /** Severities (CRITICAL, ERROR, WARNING, INFO). */
    public List<String> severities = new ArrayList<>();
    /** Tenants (the alert's {@code tenant}; alerts without one, such as SOURCE_DOWN, never match a tenant list). */
    public List<String> tenants = new ArrayList<>();
    /** Source instance names (the alert's {@code sourceName}, for example {@code lg-badtoken}), for every alert kind. */
    public List<String> sources = new ArrayList<>();
    /** Source kinds (LEEGALITY, SMOXY, YEASTAR), for every alert kind. */
    public List<String> sourceKinds = new ArrayList<>();
    /** Owners (the alert's {@code owner}, a team name); {@code "-"} matches an unowned alert. */
    public List<String> owners = new ArrayList<>();

    void validate(String prefix, ConfigTree tree) {
        for (int i = 0; i < kinds.size(); i++) {
            try {
                AlertKind.valueOf(kinds.get(i).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw SinkConfig.bad(prefix, tree, "kinds[" + i + "]", kinds.get(i), "not an alert kind (EXPIRING, EXPIRED, RENEWAL_FAILED, EXPIRY_UNKNOWN, SOURCE_DOWN)");
            }
        }
        for (int i = 0; i < sourceKinds.size(); i++) {
            try {
                SourceKind.valueOf(sourceKinds.get(i).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw SinkConfig.bad(prefix, tree, "sourceKinds[" + i + "]", sourceKinds.get(i), "not a source kind (LEEGALITY, SMOXY, YEASTAR)");
            }
        }
        for (int i = 0; i < severities.size(); i++) {
            try {
                Severity.valueOf(severities.get(i).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw SinkConfig.bad(prefix, tree, "severities[" + i + "]", severities.get(i), "not a severity (CRITICAL, ERROR, WARNING, INFO)");
            }
        }
    }

    public boolean matches(Alert alert) {
        return in(kinds, alert.getKind().name())
                && in(severities, alert.getSeverity().name())
                && in(tenants, AlertFields.tenant(alert))
                && in(sources, AlertFields.sourceName(alert))
                && in(sourceKinds, AlertFields.sourceKindName(alert))
                && in(owners, alert.getOwner() == null ? UNOWNED : alert.getOwner());
    }

    private static boolean in(List<String> allowed, String value) {
        return allowed.isEmpty() || (value != null && allowed.stream().anyMatch(a -> a.equalsIgnoreCase(value)));
    }
}
