package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.Severity;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * Which threshold bucket a certificate is in at a given instant, and when that next changes. Pure
 * (no Kafka), so the punctuator, the query API and the benchmark share one definition.
 *
 * <p>Every threshold is a boundary instant before {@code notAfter}: {@code notAfter - d days}, or
 * for a lifetime percentage {@code notAfter - p% x (notAfter - notBefore)}; {@code notAfter} itself
 * is the {@code expired} boundary. The bucket at {@code now} is the latest boundary at or before
 * {@code now}; the next transition is the earliest boundary after it.
 */
public final class ExpiryRules {
    /** One day in milliseconds. */
    public static final long DAY = 86_400_000L;
    /** No further transition. */
    public static final long NEVER = Long.MAX_VALUE;
    public static final String EXPIRED = "expired";

    private final StreamsSettings settings;

    public ExpiryRules(StreamsSettings settings) {
        this.settings = settings;
    }

    /** A bucket: label (30d, 10%, expired), its threshold in days (null for percentages and expired), its boundary. */
    public record Bucket(String label, Integer thresholdDays, long boundary, long windowMillis) {
        public boolean expired() {
            return EXPIRED.equals(label);
        }

        /** Severity from how close to expiry the bucket is. */
        public Severity severity() {
            if (expired() || windowMillis <= DAY) {
                return Severity.CRITICAL;
            }
            if (windowMillis <= 7 * DAY) {
                return Severity.ERROR;
            }
            if (windowMillis <= 14 * DAY) {
                return Severity.WARNING;
            }
            return Severity.INFO;
        }
    }

    /** The bucket at an instant (null = not expiring yet) and the next instant it changes ({@link #NEVER} for none). */
    public record Evaluation(Bucket bucket, long nextTransition) {
    }

    /** True when the certificate has a usable expiry; only those can be in a bucket. */
    public static boolean hasKnownExpiry(Certificate c) {
        return c.getExpiryStatus() == ExpiryStatus.KNOWN && c.getNotAfter() != null;
    }

    /** Whole days until notAfter, rounded down (negative once expired). */
    public static int daysLeft(long notAfter, long now) {
        return (int) Math.floorDiv(notAfter - now, DAY);
    }

    public Evaluation evaluate(Certificate c, long now) {
        if (!hasKnownExpiry(c)) {
            return new Evaluation(null, NEVER);
        }
        List<Bucket> boundaries = boundaries(c);
        Bucket current = null;
        long next = NEVER;
        for (Bucket b : boundaries) {
            if (b.boundary() <= now) {
                current = b;
            } else {
                next = b.boundary();
                break;
            }
        }
        return new Evaluation(current, next);
    }

    /** All boundaries of this certificate, earliest first ("expired" last). */
    List<Bucket> boundaries(Certificate c) {
        long notAfter = c.getNotAfter().toEpochMilli();
        List<Integer> days = settings.thresholdDays;
        List<Integer> pct = settings.lifetimePercentages;
        StreamsSettings.ThresholdOverride o = override(c.getKey().getTenant(), c.getKey().getSourceName());
        if (o != null) {
            days = o.thresholdDays != null ? o.thresholdDays : days;
            pct = o.lifetimePercentages != null ? o.lifetimePercentages : pct;
        }
        List<Bucket> out = new ArrayList<>();
        long lifetime = c.getNotBefore() == null ? -1 : notAfter - c.getNotBefore().toEpochMilli();
        if (!pct.isEmpty() && lifetime > 0 && lifetime <= settings.shortLivedMaxDays * DAY) {
            for (int p : pct) {
                long window = lifetime * p / 100;
                out.add(new Bucket(p + "%", null, notAfter - window, window));
            }
        } else {
            for (int d : days) {
                if (d > 0) {
                    out.add(new Bucket(d + "d", d, notAfter - d * DAY, d * DAY));
                }
            }
        }
        // equal boundaries: keep the narrower window, it is the more urgent label
        out.sort(Comparator.comparingLong(Bucket::boundary).thenComparing(Comparator.comparingLong(Bucket::windowMillis).reversed()));
        out.add(new Bucket(EXPIRED, null, notAfter, 0));
        return out;
    }

    /** The most specific override: tenant+source, then source, then tenant. */
    StreamsSettings.ThresholdOverride override(String tenant, String source) {
        StreamsSettings.ThresholdOverride bySource = null;
        StreamsSettings.ThresholdOverride byTenant = null;
        for (StreamsSettings.ThresholdOverride o : settings.overrides) {
            boolean t = o.tenant != null && Objects.equals(o.tenant, tenant);
            boolean s = o.source != null && Objects.equals(o.source, source);
            if (t && s) {
                return o;
            }
            if (s && o.tenant == null && bySource == null) {
                bySource = o;
            }
            if (t && o.source == null && byTenant == null) {
                byTenant = o;
            }
        }
        return bySource != null ? bySource : byTenant;
    }
}
