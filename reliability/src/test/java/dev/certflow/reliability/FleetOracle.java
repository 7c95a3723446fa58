package dev.certflow.reliability;

import dev.certflow.simulator.Fleet;
import dev.certflow.simulator.FleetCertificate;
import dev.certflow.simulator.Generation;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * What the pipeline must end with for a fleet the simulator holds at one instant, computed from the
 * fleet's script alone (which certificates each source lists, and each one's expiry), never from the
 * topology: with the renewal policy off and the floors at 7 and 1 days, a listed certificate with a
 * known expiry at or before the instant fires EXPIRED, within a day EXPIRING 1d, within a week
 * EXPIRING 7d; one without a usable expiry fires EXPIRY_UNKNOWN; every other one nothing. Every listed
 * certificate is one row of the {@code certificates} view, every alerting one with an expiry one row of
 * {@code expiring_certificates}.
 *
 * @param at           the held instant
 * @param certificates listed certificate key -> its notAfter (null when it has none)
 * @param firing       the alerts that must be firing at the end, as {@link #slot slots}
 */
record FleetOracle(Instant at, Map<String, Instant> certificates, Set<String> firing) {
    static final List<Integer> FLOORS = List.of(7, 1);

    /** One alert's identity across a run: {@code KIND threshold key} (threshold {@code -} when it has none). */
    static String slot(String kind, String threshold, String key) {
        return kind + " " + (threshold == null || threshold.isEmpty() ? "-" : threshold) + " " + key;
    }

    static FleetOracle of(Fleet fleet, Instant at) {
        Map<String, Instant> certificates = new TreeMap<>();
        Set<String> firing = new TreeSet<>();
        for (int unit = 0; unit < fleet.units().size(); unit++) {
            int count = fleet.presentCount(unit, at);
            for (int index : fleet.presentIndexes(unit, at, 0, count)) {
                FleetCertificate c = fleet.certificate(unit, index);
                for (Generation g : c.listedAt(at)) {
                    String key = c.keyOf(g.sourceId());
                    Instant notAfter = g.notAfter();
                    certificates.put(key, notAfter);
                    String alert = alertOf(notAfter, at);
                    if (alert != null) {
                        firing.add(alert.startsWith("EXPIRING") ? slot("EXPIRING", alert.substring(9), key) : slot(alert, null, key));
                    }
                }
            }
        }
        return new FleetOracle(at, certificates, firing);
    }

    /** {@code EXPIRED}, {@code EXPIRING 1d}, {@code EXPIRING 7d}, {@code EXPIRY_UNKNOWN} or null. */
    private static String alertOf(Instant notAfter, Instant at) {
        if (notAfter == null) {
            return "EXPIRY_UNKNOWN";
        }
        if (!notAfter.isAfter(at)) {
            return "EXPIRED";
        }
        for (int i = FLOORS.size() - 1; i >= 0; i--) {
            int days = FLOORS.get(i);
            if (!notAfter.isAfter(at.plus(Duration.ofDays(days)))) {
                return "EXPIRING " + days + "d";
            }
        }
        return null;
    }

    /** Keys of the certificates that must have an {@code expiring_certificates} row (in a floor or expired). */
    Set<String> expiringRows() {
        Set<String> out = new TreeSet<>();
        for (String s : firing) {
            if (s.startsWith("EXPIRING ") || s.startsWith("EXPIRED ")) {
                out.add(s.substring(s.lastIndexOf(' ') + 1));
            }
        }
        return out;
    }

    /**
     * Certificates whose state changes within {@code window} after the instant (an expiry or a floor
     * crossed while the trial runs on the real clock): a trial's instant is chosen so there are none.
     */
    List<String> changingWithin(Duration window) {
        List<String> out = new ArrayList<>();
        certificates.forEach((key, notAfter) -> {
            if (notAfter == null) {
                return;
            }
            List<Instant> edges = new ArrayList<>(List.of(notAfter));
            FLOORS.forEach(d -> edges.add(notAfter.minus(Duration.ofDays(d))));
            for (Instant edge : edges) {
                if (!edge.isBefore(at.minus(Duration.ofMinutes(10))) && edge.isBefore(at.plus(window))) {
                    out.add(key + " at " + edge);
                }
            }
        });
        return out;
    }
}
