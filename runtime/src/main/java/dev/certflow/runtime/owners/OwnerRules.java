package dev.certflow.runtime.owners;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * The owners rules compiled for matching: {@link #ownerOf} gives a certificate's owner (the first
 * rule all of whose given fields match), or null when it is unowned. Rules are few and matching is
 * a handful of comparisons, so callers resolve the owner on every evaluation rather than caching it.
 */
public final class OwnerRules {
    private final List<Compiled> rules;

    public OwnerRules(List<OwnersConfig.Rule> rules) {
        this.rules = rules == null ? List.of() : rules.stream().map(Compiled::new).toList();
    }

    /** No rules: everything is unowned. */
    public static OwnerRules none() {
        return new OwnerRules(List.of());
    }

    /**
     * @param sourceKind leegality, smoxy or yeastar (any case)
     * @param names      the certificate's common name, name and SANs (nulls ignored)
     * @return the owner, or null for unowned
     */
    public String ownerOf(String sourceKind, String source, String tenant, Collection<String> names) {
        for (Compiled r : rules) {
            if (r.matchesSource(sourceKind, source) && r.matchesTenant(tenant) && r.matchesNames(names)) {
                return r.owner;
            }
        }
        return null;
    }

    /**
     * The owner of a source itself (SOURCE_DOWN): the first rule that constrains neither tenants nor
     * names and whose source kinds and sources match; null for unowned.
     */
    public String ownerOfSource(String sourceKind, String source) {
        for (Compiled r : rules) {
            if (r.tenants.isEmpty() && r.names.isEmpty() && r.matchesSource(sourceKind, source)) {
                return r.owner;
            }
        }
        return null;
    }

    /** {@code *} any run of characters (dots included), {@code ?} one character, the rest literal; case-insensitive, the whole name. */
    static Pattern glob(String glob) {
        StringBuilder re = new StringBuilder();
        StringBuilder literal = new StringBuilder();
        for (char c : glob.toCharArray()) {
            if (c == '*' || c == '?') {
                if (literal.length() > 0) {
                    re.append(Pattern.quote(literal.toString()));
                    literal.setLength(0);
                }
                re.append(c == '*' ? ".*" : ".");
            } else {
                literal.append(c);
            }
        }
        if (literal.length() > 0) {
            re.append(Pattern.quote(literal.toString()));
        }
        return Pattern.compile(re.toString(), Pattern.CASE_INSENSITIVE | Pattern.UNICODE_CASE | Pattern.DOTALL);
    }

    private static final class Compiled {
        final String owner;
        final Set<String> sourceKinds;
        final Set<String> sources;
        final Set<String> tenants;
        final List<Pattern> names;

        Compiled(OwnersConfig.Rule rule) {
            owner = rule.owner;
            sourceKinds = lower(rule.sourceKinds);
            sources = rule.sources == null ? Set.of() : Set.copyOf(rule.sources);
            tenants = rule.tenants == null ? Set.of() : Set.copyOf(rule.tenants);
            names = rule.names == null ? List.of() : rule.names.stream().map(OwnerRules::glob).toList();
        }

        private static Set<String> lower(List<String> values) {
            return values == null ? Set.of() : values.stream().map(v -> v.toLowerCase(Locale.ROOT)).collect(Collectors.toUnmodifiableSet());
        }

        boolean matchesSource(String sourceKind, String source) {
            return (sourceKinds.isEmpty() || (sourceKind != null && sourceKinds.contains(sourceKind.toLowerCase(Locale.ROOT))))
                    && (sources.isEmpty() || (source != null && sources.contains(source)));
        }

        boolean matchesTenant(String tenant) {
            return tenants.isEmpty() || (tenant != null && tenants.contains(tenant));
        }

        boolean matchesNames(Collection<String> candidates) {
            if (names.isEmpty()) {
                return true;
            }
            if (candidates == null) {
                return false;
            }
            for (String name : candidates) {
                if (name == null) {
                    continue;
                }
                for (Pattern p : names) {
                    if (p.matcher(name).matches()) {
                        return true;
                    }
                }
            }
            return false;
        }
    }
}
