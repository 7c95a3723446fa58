package dev.certflow.streams;

import dev.certflow.events.Certificate;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * The names a certificate is for, normalised for matching across holders: lower case, trailing dot
 * removed, IDNs as the source gives them. A wildcard {@code *.example.com} covers exactly one label:
 * {@code shop.example.com}, not {@code a.b.example.com} and not {@code example.com}.
 */
final class DomainNames {
    private DomainNames() {
    }

    static String normalise(String name) {
        if (name == null) {
            return null;
        }
        String n = name.trim().toLowerCase(Locale.ROOT);
        while (n.endsWith(".")) {
            n = n.substring(0, n.length() - 1);
        }
        return n.isEmpty() ? null : n;
    }

    /**
     * Every name of the certificate, sorted: the common name (the source's name where there is none,
     * as for Leegality signing certificates) and the SANs.
     */
    static List<String> of(Certificate c) {
        TreeSet<String> names = new TreeSet<>();
        String primary = primary(c);
        if (primary != null) {
            names.add(primary);
        }
        for (String san : c.getSans()) {
            String n = normalise(san);
            if (n != null) {
                names.add(n);
            }
        }
        return new ArrayList<>(names);
    }

    /** The common name, else the name, else the first SAN (sorted); null when the certificate has none. */
    static String primary(Certificate c) {
        String cn = normalise(c.getCommonName());
        if (cn != null) {
            return cn;
        }
        String name = normalise(c.getName());
        if (name != null) {
            return name;
        }
        return c.getSans().stream().map(DomainNames::normalise).filter(n -> n != null).sorted().findFirst().orElse(null);
    }

    /**
     * The partition key of a name: the name without its first label ({@code shop.example.com} and
     * {@code *.example.com} both give {@code example.com}), the name itself when it has one label.
     */
    static String parent(String name) {
        int dot = name.indexOf('.');
        return dot < 0 || dot == name.length() - 1 ? name : name.substring(dot + 1);
    }

    /** The wildcard that would cover {@code name}, or null for a wildcard or a one-label name. */
    static String coveringWildcard(String name) {
        if (name.startsWith("*.") || name.indexOf('.') < 0) {
            return null;
        }
        return "*." + parent(name);
    }

    /** True when {@code pattern} (a name or a one-label wildcard) covers {@code name}. */
    static boolean covers(String pattern, String name) {
        if (pattern.equals(name)) {
            return true;
        }
        return pattern.startsWith("*.") && !name.startsWith("*.") && name.indexOf('.') > 0
                && pattern.substring(2).equals(parent(name));
    }

    /** True when some name in {@code holder} covers each of {@code names}. */
    static boolean coversAll(Collection<String> holder, Collection<String> names) {
        if (names.isEmpty()) {
            return false;
        }
        for (String n : names) {
            boolean covered = false;
            for (String h : holder) {
                if (covers(h, n)) {
                    covered = true;
                    break;
                }
            }
            if (!covered) {
                return false;
            }
        }
        return true;
    }
}
