package dev.certflow.streams;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateType;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.RenewalStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * When a certificate is expected to be renewed (pure, no Kafka). The first rule that applies:
 * <ol>
 *   <li>a {@code renewal.rules[]} entry matching source kind, source, tenant and type (first match):
 *       its {@code lifetimeFraction} where the lifetime is known, else its {@code leadTime}, else the
 *       defaults below for its {@code mode};</li>
 *   <li>automatically renewed and the vendor documents a point (smoxy {@code auto_managed}):
 *       {@code notAfter - smoxyLeadTime} (30 days), or half the lifetime when that would be at or
 *       before issuance;</li>
 *   <li>automatically renewed, lifetime known (notBefore, createdAt, a succeeded attempt, an
 *       observed renewal): {@code notAfter - lifetime/3} ({@code lifetime/2} under 10 days);</li>
 *   <li>automatically renewed, lifetime unknown: the same fraction of the time from first sight to
 *       expiry (a lower bound of the lifetime, so never earlier than the truth), at most {@code autoLeadTime};</li>
 *   <li>renewed by hand: {@code notAfter - manualLeadTime}, at most half the lifetime where it is known.</li>
 * </ol>
 * Automatic means ACME with auto-renewal on: smoxy {@code auto_managed} (always renewed by smoxy),
 * Yeastar {@code ca_type=apply} with {@code auto_renewal=1}. Everything else (uploads, Leegality
 * signing certificates, Yeastar {@code apply} with auto-renewal off) is renewed by hand.
 * The overdue point is the expected point plus grace, never after notAfter.
 */
public final class RenewalPolicy {
    private static final long TEN_DAYS = Duration.ofDays(10).toMillis();

    /** How a certificate is renewed. */
    public enum Mode { AUTO, MANUAL }

    /**
     * The expected renewal of one certificate generation.
     *
     * @param label short name of the rule that set it (smoxy-auto-30d, auto-lifetime-1/3, auto-seen-1/3,
     *              auto-lead-30d, manual-lead-30d, manual-lifetime-1/2, rule[i])
     */
    public record Plan(Mode mode, long expectedAt, long overdueAt, String label) {
        public RenewalStatus status(long now, boolean renewed) {
            if (renewed) {
                return RenewalStatus.RENEWED;
            }
            return now < expectedAt ? RenewalStatus.SCHEDULED : now < overdueAt ? RenewalStatus.DUE : RenewalStatus.OVERDUE;
        }
    }

    /**
     * A certificate's renewal state at an instant: its plan, its status, and what replaced it.
     *
     * @param supersededUntil expiry of the valid certificate that superseded this one ({@link ExpiryRules#NEVER}: not superseded)
     * @param replacedBy      the superseding certificate's key, or the attempt that issued a later expiry
     * @param renewedReason   why an overdue or expiry alert of this generation resolves now
     */
    record Assessment(Plan plan, RenewalStatus status, long supersededUntil, String replacedBy, String renewedReason) {
        boolean superseded() {
            return supersededUntil != ExpiryRules.NEVER;
        }
    }

    private final StreamsSettings.RenewalSettings settings;

    public RenewalPolicy(StreamsSettings.RenewalSettings settings) {
        this.settings = settings;
    }

    public boolean enabled() {
        return settings.enabled;
    }

    /** {@code renewal.deployGrace} in milliseconds. */
    long deployGrace() {
        return settings.deployGrace.toMillis();
    }

    /**
     * The plan for a certificate with a known expiry.
     *
     * @param startAt     issuance time where known, else null
     * @param firstSeenAt when this expiry was first seen
     */
    public Plan plan(Certificate c, Long startAt, long firstSeenAt) {
        long notAfter = c.getNotAfter().toEpochMilli();
        long lifetime = startAt != null && startAt < notAfter ? notAfter - startAt : -1;
        int ruleIndex = rule(c);
        StreamsSettings.RenewalRule r = ruleIndex < 0 ? null : settings.rules.get(ruleIndex);
        Mode mode = r != null && r.mode != null ? Mode.valueOf(r.mode.toUpperCase(Locale.ROOT)) : mode(c);
        long grace = (r != null && r.grace != null ? r.grace : settings.grace).toMillis();
        long lead;
        String label;
        if (r != null && r.lifetimeFraction != null && lifetime > 0) {
            lead = (long) (lifetime * r.lifetimeFraction);
            label = "rule[" + ruleIndex + "]";
        } else if (r != null && r.leadTime != null) {
            lead = r.leadTime.toMillis();
            label = "rule[" + ruleIndex + "]";
        } else {
            long[] out = new long[1];
            label = defaults(c, mode, notAfter, lifetime, firstSeenAt, out);
            lead = out[0];
            if (r != null) {
                label = "rule[" + ruleIndex + "]:" + label;
            }
        }
        long expected = notAfter - lead;
        return new Plan(mode, expected, Math.min(notAfter, expected + grace), label);
    }

    /**
     * The renewal state of a certificate with a known expiry at {@code now}. A replacement counts
     * only while it is itself valid, so a certificate whose replacement expired alerts again.
     */
    Assessment assess(Certificate c, Generation g, CertificateNameMatch m, long now) {
        long notAfter = c.getNotAfter().toEpochMilli();
        Plan plan = plan(c, g == null ? null : g.startAt(), g == null ? c.getObservedAt().toEpochMilli() : g.firstSeenAt());
        long until = m == null || m.getSupersededBy() == null ? ExpiryRules.NEVER : m.getSupersededByNotAfter().toEpochMilli();
        if (until != ExpiryRules.NEVER && until > notAfter && until > now) {
            String by = CertificateKeys.format(m.getSupersededBy());
            return new Assessment(plan, RenewalStatus.RENEWED, until, by,
                    "superseded by " + by + " (expires " + m.getSupersededByNotAfter() + ")");
        }
        if (g != null && g.renewalObserved()) {
            return new Assessment(plan, RenewalStatus.RENEWED, ExpiryRules.NEVER, g.issuedBy(),
                    "renewal observed: attempt " + g.issuedBy() + " issued expiry " + Instant.ofEpochMilli(g.issuedNotAfter()));
        }
        return new Assessment(plan, plan.status(now, false), ExpiryRules.NEVER, null, "renewed, expiry " + c.getNotAfter());
    }

    private String defaults(Certificate c, Mode mode, long notAfter, long lifetime, long firstSeenAt, long[] lead) {
        if (mode == Mode.MANUAL) {
            long manual = settings.manualLeadTime.toMillis();
            if (lifetime > 0 && manual > lifetime / 2) {
                lead[0] = lifetime / 2;
                return "manual-lifetime-1/2";
            }
            lead[0] = manual;
            return "manual-lead-" + days(settings.manualLeadTime);
        }
        if (c.getKey().getSourceKind() == SourceKind.SMOXY && c.getIssuanceMethod() == IssuanceMethod.ACME) {
            long vendor = settings.smoxyLeadTime.toMillis();
            if (lifetime > 0 && vendor >= lifetime) {
                lead[0] = lifetime / 2;
                return "smoxy-auto-lifetime-1/2";
            }
            lead[0] = vendor;
            return "smoxy-auto-" + days(settings.smoxyLeadTime);
        }
        if (lifetime > 0) {
            lead[0] = lifetime < TEN_DAYS ? lifetime / 2 : lifetime / 3;
            return lifetime < TEN_DAYS ? "auto-lifetime-1/2" : "auto-lifetime-1/3";
        }
        long seen = notAfter - firstSeenAt;
        long fromSeen = seen < TEN_DAYS ? seen / 2 : seen / 3;
        long auto = settings.autoLeadTime.toMillis();
        if (seen > 0 && fromSeen < auto) {
            lead[0] = fromSeen;
            return seen < TEN_DAYS ? "auto-seen-1/2" : "auto-seen-1/3";
        }
        lead[0] = auto;
        return "auto-lead-" + days(settings.autoLeadTime);
    }

    /** AUTO for ACME certificates renewed by their platform (smoxy auto_managed; auto_renewal=1 elsewhere), else MANUAL. */
    public Mode mode(Certificate c) {
        int i = rule(c);
        if (i >= 0 && settings.rules.get(i).mode != null) {
            return Mode.valueOf(settings.rules.get(i).mode.toUpperCase(Locale.ROOT));
        }
        return mode0(c);
    }

    private static Mode mode0(Certificate c) {
        if (c.getIssuanceMethod() != IssuanceMethod.ACME) {
            return Mode.MANUAL;
        }
        if (Boolean.TRUE.equals(c.getAutoRenewal())) {
            return Mode.AUTO;
        }
        // smoxy gives no auto-renewal flag: auto_managed certificates are always renewed by smoxy
        return c.getAutoRenewal() == null && c.getKey().getSourceKind() == SourceKind.SMOXY ? Mode.AUTO : Mode.MANUAL;
    }

    /** Index of the first matching rule, or -1. */
    int rule(Certificate c) {
        List<StreamsSettings.RenewalRule> rules = settings.rules;
        for (int i = 0; i < rules.size(); i++) {
            StreamsSettings.RenewalRule r = rules.get(i);
            if ((r.sourceKind == null || sourceKind(r.sourceKind) == c.getKey().getSourceKind())
                    && (r.source == null || r.source.equals(c.getKey().getSourceName()))
                    && (r.tenant == null || r.tenant.equals(c.getKey().getTenant()))
                    && (r.type == null || certificateType(r.type) == c.getType())) {
                return i;
            }
        }
        return -1;
    }

    /** The source kind a configuration value names, or null. */
    static SourceKind sourceKind(String s) {
        for (SourceKind k : SourceKind.values()) {
            if (k != SourceKind.UNKNOWN && k.name().equalsIgnoreCase(Objects.requireNonNull(s).trim())) {
                return k;
            }
        }
        return null;
    }

    /** The certificate type a configuration value names, or null. */
    static CertificateType certificateType(String s) {
        for (CertificateType t : CertificateType.values()) {
            if (t.name().equalsIgnoreCase(Objects.requireNonNull(s).trim())) {
                return t;
            }
        }
        return null;
    }

    static String days(Duration d) {
        return d.toMillis() % ExpiryRules.DAY == 0 ? d.toDays() + "d" : d.toHours() + "h";
    }
}
