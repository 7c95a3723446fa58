package dev.certflow.reliability;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * One trial's outputs against the oracle. {@code lost}: firing in the oracle but not at the end of
 * {@code certificate-alerts}, a certificate missing from the views, a transition missing from
 * {@code alert_history} or from the webhook receiver; {@code duplicated}: a transition (alert id and
 * status) more than once on the topic or in {@code alert_history}; {@code unexpected}: an alert firing,
 * or a row, the oracle does not have. Redeliveries to the webhook (the same Idempotency-Key twice) are
 * allowed (at least once, deduped by the key) and counted apart.
 */
record Verdict(int lost, int duplicated, int unexpected, int redelivered, List<String> problems) {
    boolean clean() {
        return lost == 0 && duplicated == 0 && unexpected == 0;
    }

    static Verdict of(Pipeline p, boolean checkWebhook) throws Exception {
        FleetOracle oracle = p.oracle;
        List<String> problems = new ArrayList<>();
        int lost = 0;
        int duplicated = 0;
        int unexpected = 0;

        List<Observed.AlertRecord> alerts = p.observed().alerts();
        Map<String, Integer> transitions = new HashMap<>();
        Map<String, Observed.AlertRecord> last = new LinkedHashMap<>();
        for (Observed.AlertRecord a : alerts) {
            transitions.merge(a.alertId() + " " + a.status(), 1, Integer::sum);
            last.put(a.alertId(), a); // one id is one key, one partition: topic order is transition order
        }
        for (var e : transitions.entrySet()) {
            if (e.getValue() > 1) {
                duplicated += e.getValue() - 1;
                problems.add("certificate-alerts: " + e.getKey() + " " + e.getValue() + " times");
            }
        }
        Set<String> firing = new TreeSet<>();
        last.values().stream().filter(a -> a.status().equals("FIRING")).forEach(a -> firing.add(a.slot()));
        for (String s : oracle.firing()) {
            if (!firing.contains(s)) {
                lost++;
                problems.add("lost alert: " + s);
            }
        }
        for (String s : firing) {
            if (!oracle.firing().contains(s)) {
                unexpected++;
                problems.add("unexpected alert: " + s);
            }
        }

        Map<String, java.time.Instant> view = Observed.certificatesView(p.jdbcUrl);
        for (var e : oracle.certificates().entrySet()) {
            if (!view.containsKey(e.getKey())) {
                lost++;
                problems.add("certificates view: missing " + e.getKey());
            } else if (!java.util.Objects.equals(view.get(e.getKey()), e.getValue())) {
                unexpected++;
                problems.add("certificates view: " + e.getKey() + " not_after " + view.get(e.getKey()) + ", oracle " + e.getValue());
            }
        }
        for (String k : view.keySet()) {
            if (!oracle.certificates().containsKey(k)) {
                unexpected++;
                problems.add("certificates view: unexpected " + k);
            }
        }
        List<String> expiring = Observed.expiringView(p.jdbcUrl);
        Set<String> expected = oracle.expiringRows();
        for (String k : expected) {
            if (!expiring.contains(k)) {
                lost++;
                problems.add("expiring_certificates: missing " + k);
            }
        }
        for (String k : new HashSet<>(expiring)) {
            if (!expected.contains(k)) {
                unexpected++;
                problems.add("expiring_certificates: unexpected " + k);
            }
        }

        Map<String, Integer> history = Observed.alertHistory(p.jdbcUrl);
        for (String t : transitions.keySet()) {
            int n = history.getOrDefault(t, 0);
            if (n == 0) {
                lost++;
                problems.add("alert_history: missing " + t);
            } else if (n > transitions.get(t)) {
                duplicated += n - transitions.get(t);
                problems.add("alert_history: " + t + " " + n + " rows");
            }
        }

        int redelivered = 0;
        if (checkWebhook) {
            Map<String, Integer> delivered = p.receiver.deliveries();
            Set<String> keys = new TreeSet<>();
            alerts.forEach(a -> keys.add(a.idempotencyKey()));
            for (String k : keys) {
                int n = delivered.getOrDefault(k, 0);
                if (n == 0) {
                    lost++;
                    problems.add("webhook: never received " + k);
                } else {
                    redelivered += n - 1;
                }
            }
            for (String k : delivered.keySet()) {
                if (!keys.contains(k)) {
                    unexpected++;
                    problems.add("webhook: received " + k + ", not on the topic");
                }
            }
        }
        return new Verdict(lost, duplicated, unexpected, redelivered, problems);
    }

    /** Checks until the outputs equal the oracle or {@code timeout} passes; the last verdict. */
    static Verdict await(Pipeline p, Duration timeout, boolean checkWebhook) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        Verdict v = null;
        Exception last = null;
        while (System.nanoTime() < deadline) {
            try {
                v = of(p, checkWebhook);
                last = null;
                if (v.clean()) {
                    return v;
                }
            } catch (Exception e) { // a view not migrated yet, a broker still starting
                last = e;
            }
            Thread.sleep(1000);
        }
        if (v == null) {
            throw last != null ? last : new IllegalStateException("no verdict within " + timeout);
        }
        return v;
    }

    String summary() {
        List<String> head = problems.subList(0, Math.min(15, problems.size()));
        return "lost " + lost + ", duplicated " + duplicated + ", unexpected " + unexpected + ", webhook redeliveries " + redelivered
                + (problems.isEmpty() ? "" : "; " + String.join("; ", head) + (problems.size() > head.size() ? "; ..." : ""));
    }
}
