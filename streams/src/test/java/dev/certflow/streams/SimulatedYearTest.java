package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.RenewalFixtures.issued;
import static dev.certflow.streams.RenewalFixtures.k;
import static dev.certflow.streams.RenewalFixtures.leegality;
import static dev.certflow.streams.RenewalFixtures.smoxyAuto;
import static dev.certflow.streams.RenewalFixtures.yeastarAuto;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * A simulated year of a healthy fleet, an hour per tick: 47-day certificates renewed on schedule
 * (Yeastar apply with auto-renewal at one third remaining; smoxy auto-managed at its documented 30
 * days before expiry, an attempt reporting each issuance) and Leegality signing certificates
 * replaced by a new id 45 days before expiry, the old one removed when it expires. Under the default
 * policy nobody is paged; under the old fixed thresholds the same year pages for every cycle. The
 * expected fixed-threshold count comes from replaying the same inventory hour by hour through
 * {@link ExpiryRules} (the bucket changes a certificate goes through), not from the topology.
 */
class SimulatedYearTest {
    private static final int YEASTAR = 20;
    private static final int SMOXY = 20;
    private static final int LEEGALITY = 8;
    private static final Duration LIFETIME = Duration.ofDays(47);
    private static final Duration SIGNING_LIFETIME = Duration.ofDays(398);
    private static final Instant END = START.plus(Duration.ofDays(365));

    /** One certificate of the fleet, as the sources would show it over the year. */
    private static final class Holder {
        final String kind;
        final int index;
        int generation;
        Certificate current;
        Instant nextRenewal;
        Instant removeAt; // Leegality: the replaced one leaves the inventory at its expiry

        Holder(String kind, int index) {
            this.kind = kind;
            this.index = index;
        }
    }

    record Outcome(long fired, long resolved, long expectedFixedFirings, int certificates, int renewals) {
    }

    private static Instant renewalPoint(String kind, Instant issuedAt, Instant notAfter) {
        return switch (kind) {
            case "yeastar" -> notAfter.minus(LIFETIME.dividedBy(3));
            case "smoxy" -> notAfter.minus(Duration.ofDays(30)).plus(Duration.ofHours(1)); // smoxy starts 30 days before; issued an hour later
            default -> notAfter.minus(Duration.ofDays(45));
        };
    }

    private static Outcome simulate(StreamsSettings settings) {
        List<Holder> fleet = new ArrayList<>();
        List<Holder> leaving = new ArrayList<>();
        Map<String, Certificate> inventory = new HashMap<>();
        int renewals = 0;
        try (Harness h = new Harness(settings)) {
            for (int i = 0; i < YEASTAR + SMOXY + LEEGALITY; i++) {
                String kind = i < YEASTAR ? "yeastar" : i < YEASTAR + SMOXY ? "smoxy" : "leegality";
                Holder x = new Holder(kind, i);
                // phases spread over the part of the cycle before each renewal point
                double phase = (i % 20 + 0.37) / 20.0;
                Duration life = kind.equals("leegality") ? SIGNING_LIFETIME : LIFETIME;
                Duration beforeRenewal = life.minus(Duration.between(renewalPoint(kind, START, START.plus(life)), START.plus(life)));
                Instant issuedAt = START.minusMillis((long) (beforeRenewal.toMillis() * phase));
                x.current = certificate(x, issuedAt, issuedAt.plus(life), START);
                x.nextRenewal = renewalPoint(kind, issuedAt, x.current.getNotAfter());
                publish(h, x.current, inventory);
                fleet.add(x);
            }
            Map<String, String> lastBucket = new HashMap<>();
            ExpiryRules fixed = new ExpiryRules(Harness.fixedThresholds());
            long expected = replay(fixed, inventory, lastBucket, START);
            while (h.now().isBefore(END)) {
                h.advance(Duration.ofHours(1));
                Instant now = h.now();
                for (Holder x : fleet) {
                    if (!x.nextRenewal.isAfter(now)) {
                        renewals++;
                        renew(h, x, now, leaving, inventory);
                    }
                }
                for (Holder old : List.copyOf(leaving)) {
                    if (!old.removeAt.isAfter(now)) {
                        h.certificates.pipeInput(k(old.current), null);
                        inventory.remove(k(old.current));
                        leaving.remove(old);
                    }
                }
                expected += replay(fixed, inventory, lastBucket, now);
            }
            List<Alert> alerts = h.alerts.readValuesToList();
            long fired = alerts.stream().filter(a -> a.getStatus() == AlertStatus.FIRING).count();
            long resolved = alerts.size() - fired;
            if (fired > 0) {
                System.out.println("kinds fired: " + alerts.stream().filter(a -> a.getStatus() == AlertStatus.FIRING)
                        .collect(Collectors.groupingBy(a -> a.getKind() + ":" + a.getCertificateKey().getSourceKind(), Collectors.counting())));
            }
            return new Outcome(fired, resolved, expected, fleet.size(), renewals);
        }
    }

    /** Bucket changes into a bucket at {@code now} under the fixed thresholds: what EXPIRING/EXPIRED would fire. */
    private static long replay(ExpiryRules fixed, Map<String, Certificate> inventory, Map<String, String> last, Instant now) {
        long n = 0;
        for (Map.Entry<String, Certificate> e : inventory.entrySet()) {
            ExpiryRules.Bucket b = fixed.evaluate(e.getValue(), now.toEpochMilli()).bucket();
            String label = b == null ? null : b.label() + "@" + e.getValue().getNotAfter();
            if (label != null && !label.equals(last.get(e.getKey()))) {
                n++;
            }
            last.put(e.getKey(), label);
        }
        last.keySet().retainAll(inventory.keySet());
        return n;
    }

    private static void renew(Harness h, Holder x, Instant now, List<Holder> leaving, Map<String, Certificate> inventory) {
        Instant notAfter = now.plus(x.kind.equals("leegality") ? SIGNING_LIFETIME : LIFETIME);
        if (x.kind.equals("leegality")) {
            Holder old = new Holder(x.kind, x.index);
            old.current = x.current;
            old.removeAt = x.current.getNotAfter().plus(Duration.ofDays(1));
            leaving.add(old);
            x.generation++;
        }
        Certificate next = certificate(x, now, notAfter, now);
        if (x.kind.equals("smoxy")) {
            h.attempts.pipeInput(k(next), issued(next.getKey(), "renew-" + x.index + "-" + now.toEpochMilli(), now, notAfter, next.getSans()));
        }
        x.current = next;
        x.nextRenewal = renewalPoint(x.kind, now, notAfter);
        publish(h, next, inventory);
    }

    private static void publish(Harness h, Certificate c, Map<String, Certificate> inventory) {
        h.certificates.pipeInput(k(c), c);
        inventory.put(k(c), c);
    }

    private static Certificate certificate(Holder x, Instant issuedAt, Instant notAfter, Instant observedAt) {
        String name = x.kind + "-" + x.index + ".example.com";
        return switch (x.kind) {
            case "yeastar" -> yeastarAuto("pbx-" + (x.index % 4), "y" + x.index, name, notAfter, observedAt);
            case "smoxy" -> smoxyAuto("org-" + (x.index % 3), "s" + x.index, name, List.of(name, "www." + name), notAfter, observedAt);
            default -> leegality("dept-" + (x.index % 2), "lg" + x.index + "-" + x.generation, name, issuedAt, notAfter, observedAt);
        };
    }

    @Test
    void aHealthyFleetPagesNobodyForAYearUnderTheDefaultsAndEveryCycleUnderTheOldFixedThresholds() {
        Outcome defaults = simulate(new StreamsSettings());
        Outcome fixed = simulate(Harness.fixedThresholds());
        System.out.printf("simulated year, %d certificates, %d renewals: %d notifications (fired) under the default renewal policy, "
                        + "%d fired + %d resolved under the old fixed thresholds [30, 14, 7, 1]%n",
                defaults.certificates(), defaults.renewals(), defaults.fired(), fixed.fired(), fixed.resolved());
        assertThat(defaults.renewals()).isGreaterThan(300);
        assertThat(defaults.fired()).as("notifications for a healthy fleet under the defaults").isZero();
        assertThat(fixed.fired()).isEqualTo(fixed.expectedFixedFirings());
        assertThat(fixed.fired()).isGreaterThan(defaults.renewals());
    }
}
