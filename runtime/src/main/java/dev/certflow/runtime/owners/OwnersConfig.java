package dev.certflow.runtime.owners;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.config.Validated;

import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code owners} section, shared by streams (which stamps each certificate's owner on its
 * alerts and rows) and the sink (which routes, digests and escalates per owner): the teams, where
 * to reach each, and the rules that give a certificate its owner (first match wins). A certificate
 * no rule matches is unowned; delivery sends what is unowned to {@link #defaultOwner}.
 */
@JsonPropertyOrder({"default", "teams", "rules"})
public class OwnersConfig implements Validated {
    /** The team that receives what no rule matches (such certificates are still listed as unowned); null = none. */
    @JsonProperty("default")
    public String defaultOwner;
    public List<Team> teams = new ArrayList<>();
    /** Tried in order; the first rule whose every given field matches decides the owner. */
    public List<Rule> rules = new ArrayList<>();

    /** Where a team (or an inline escalation target) is reached; every field optional. */
    public static class Contacts {
        public List<String> email = new ArrayList<>();
        /** The Slack incoming-webhook URL (a secret: whoever has it can post). */
        public Secret slackWebhook;
        public Secret pagerDutyRoutingKey;
        public Webhook webhook;
    }

    /** A team: its contacts, its zone (for the digest schedule), its digest and its escalation. */
    public static class Team extends Contacts {
        public String name;
        public ZoneId zone = ZoneId.of("UTC");
        public Digest digest = new Digest();
        /** Null: the default owner's escalation applies. */
        public Escalation escalation;
    }

    /** A generic webhook: the URL and an optional secret the receiver checks (an HMAC key or bearer token, as the sink documents). */
    public static class Webhook {
        public String url;
        public Secret secret;
    }

    /** The team's digest: at a local time in the team's zone, every period. */
    public static class Digest {
        public boolean enabled = true;
        public LocalTime at = LocalTime.of(9, 0);
        public Duration every = Duration.ofDays(1);
        /** Send a digest even when there is nothing to report. */
        public boolean sendEmpty = false;
        /** The digest lists what expires within this horizon. */
        public Duration horizon = Duration.ofDays(30);
    }

    /**
     * A critical alert not acknowledged within {@link #after} goes to {@link #to} (another team) or,
     * when {@code to} is null, to the contacts given inline here.
     */
    public static class Escalation extends Contacts {
        public Duration after = Duration.ofMinutes(30);
        public String to;
    }

    /** One ownership rule; a field left out matches everything, a list matches when any entry does. */
    public static class Rule {
        public String owner;
        /** leegality, smoxy, yeastar. */
        public List<String> sourceKinds = new ArrayList<>();
        /** Configured source instance names. */
        public List<String> sources = new ArrayList<>();
        public List<String> tenants = new ArrayList<>();
        /** Globs ({@code *} any run of characters, {@code ?} one) over the common name, the name and every SAN, case-insensitive. */
        public List<String> names = new ArrayList<>();
    }

    /** The team of that name, or null. */
    public Team team(String name) {
        return name == null ? null : teams.stream().filter(t -> name.equals(t.name)).findFirst().orElse(null);
    }

    /** The compiled rules. */
    public OwnerRules rules() {
        return new OwnerRules(rules);
    }

    private static final Set<String> SOURCE_KINDS = Set.of("leegality", "smoxy", "yeastar");

    @Override
    public void validate(String prefix, ConfigTree tree) {
        teams = teams == null ? new ArrayList<>() : teams;
        rules = rules == null ? new ArrayList<>() : rules;
        Set<String> names = new HashSet<>();
        for (int i = 0; i < teams.size(); i++) {
            Team t = teams.get(i);
            String p = prefix + "teams[" + i + "].";
            if (t == null || t.name == null || t.name.isBlank()) {
                throw new ConfigException("missing required configuration key '" + p + "name'");
            }
            if (!t.name.matches("[A-Za-z0-9][A-Za-z0-9._-]*")) {
                throw bad(p + "name", t.name, tree, "must be letters, digits, '.', '_' or '-' (it appears in labels and the query API)");
            }
            if (!names.add(t.name)) {
                throw bad(p + "name", t.name, tree, "another team has this name");
            }
            if (t.zone == null) {
                throw bad(p + "zone", null, tree, "must be an IANA time zone id");
            }
            if (t.digest == null) {
                t.digest = new Digest();
            }
            if (t.digest.at == null) {
                throw bad(p + "digest.at", null, tree, "must be a local time such as 09:00");
            }
            positive(p + "digest.every", t.digest.every, tree);
            positive(p + "digest.horizon", t.digest.horizon, tree);
            if (t.webhook != null && (t.webhook.url == null || t.webhook.url.isBlank())) {
                throw new ConfigException("missing required configuration key '" + p + "webhook.url'");
            }
            if (t.escalation != null) {
                positive(p + "escalation.after", t.escalation.after, tree);
            }
        }
        if (defaultOwner != null && !names.contains(defaultOwner)) {
            throw bad(prefix + "default", defaultOwner, tree, "is not one of the teams (" + String.join(", ", names) + ")");
        }
        for (int i = 0; i < teams.size(); i++) {
            Escalation e = teams.get(i).escalation;
            if (e != null && e.to != null && !names.contains(e.to)) {
                throw bad(prefix + "teams[" + i + "].escalation.to", e.to, tree, "is not one of the teams (" + String.join(", ", names) + ")");
            }
        }
        for (int i = 0; i < rules.size(); i++) {
            Rule r = rules.get(i);
            String p = prefix + "rules[" + i + "].";
            if (r == null || r.owner == null || r.owner.isBlank()) {
                throw new ConfigException("missing required configuration key '" + p + "owner'");
            }
            if (!names.contains(r.owner)) {
                throw bad(p + "owner", r.owner, tree, "is not one of the teams (" + String.join(", ", names) + ")");
            }
            r.sourceKinds = r.sourceKinds == null ? new ArrayList<>() : r.sourceKinds;
            r.sources = r.sources == null ? new ArrayList<>() : r.sources;
            r.tenants = r.tenants == null ? new ArrayList<>() : r.tenants;
            r.names = r.names == null ? new ArrayList<>() : r.names;
            for (String kind : r.sourceKinds) {
                if (kind == null || !SOURCE_KINDS.contains(kind.toLowerCase(java.util.Locale.ROOT))) {
                    throw bad(p + "sourceKinds", kind, tree, "must be leegality, smoxy or yeastar");
                }
            }
            for (String glob : r.names) {
                if (glob == null || glob.isBlank()) {
                    throw bad(p + "names", glob, tree, "a name pattern must not be empty");
                }
            }
        }
    }

    private static void positive(String key, Duration d, ConfigTree tree) {
        if (d == null || d.isNegative() || d.isZero()) {
            throw bad(key, d, tree, "must be positive");
        }
    }

    private static ConfigException bad(String key, Object value, ConfigTree tree, String why) {
        return new ConfigException("bad value '" + value + "' for configuration key '" + key + "'" + (tree == null ? "" : tree.from(key)) + ": " + why);
    }
}
