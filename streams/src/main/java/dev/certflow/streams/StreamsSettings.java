package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.ReservedProperties;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.config.Validated;
import dev.certflow.runtime.owners.OwnerRules;
import dev.certflow.runtime.owners.OwnersConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@code streams} configuration section. Named {@code StreamsSettings} (like {@code KafkaSettings})
 * so it does not clash with Kafka's own {@code StreamsConfig}.
 *
 * <pre>
 * streams:
 *   applicationId: certflow-streams
 *   thresholdDays: [7, 1]                # floors that always page, plus the implicit "expired" bucket
 *   lifetimePercentages: []              # e.g. [33, 10]: used instead of days for short-lived certificates
 *   shortLivedMaxDays: 100               # lifetime (notAfter - notBefore) up to which percentages apply
 *   overrides:                           # most specific wins: tenant+source, then source, then tenant
 *     - { tenant: acme, thresholdDays: [60, 30, 7] }
 *   renewal:                             # when each certificate is expected to be renewed (RenewalPolicy)
 *     enabled: true                      # false + thresholdDays [30, 14, 7, 1] = the old fixed thresholds
 *     grace: 2d
 *     manualLeadTime: 30d
 *     autoLeadTime: 30d
 *     smoxyLeadTime: 30d
 *     deployGrace: 1d                    # a newer copy held elsewhere this long before RENEWED_NOT_DEPLOYED
 *     rules:                             # first match wins
 *       - { sourceKind: yeastar, tenant: pbx-berlin, mode: manual, leadTime: 45d }
 *   tickInterval: 1m
 *   instanceId: auto                     # static membership: a restart takes its tasks back at once
 *   rocksdb:                             # every store shares one block cache; memtables are charged to it
 *     cacheMiB: 128
 *     memtableMiB: 48
 *   sourceDownAfterFailures: 3
 *   api:
 *     writeToken: ${CERTFLOW_WRITE_TOKEN}   # bearer token for POST/DELETE (silences, acks); unset = writes refused (403)
 *     readToken: null                    # set to require a bearer token for GET too
 * </pre>
 */
public class StreamsSettings implements Validated {
    public String applicationId = "certflow-streams";
    /** Day thresholds of the expiring table, any order; the "expired" bucket always exists. */
    public List<Integer> thresholdDays = new ArrayList<>(List.of(7, 1));
    /** Lifetime percentages (remaining lifetime) used instead of days for short-lived certificates; empty = off. */
    public List<Integer> lifetimePercentages = new ArrayList<>();
    /** Certificates whose lifetime is at most this many days use {@link #lifetimePercentages} when set. */
    public int shortLivedMaxDays = 100;
    /** Per-tenant and/or per-source threshold overrides. */
    public List<ThresholdOverride> overrides = new ArrayList<>();
    /** The renewal policy: expected renewal points, RENEWAL_OVERDUE, supersession, renewed-not-deployed, drift. */
    public RenewalSettings renewal = new RenewalSettings();
    /** Wall-clock punctuation interval of the expiry tick. */
    public Duration tickInterval = Duration.ofMinutes(1);
    /**
     * At most this many certificates are re-evaluated by one tick (one transaction); the rest wait for
     * the next tick. Bounds a tick after long downtime or a bulk import.
     */
    public int maxTransitionsPerTick = 100_000;
    /** SOURCE_DOWN fires after this many consecutive failed polls of one source. */
    public int sourceDownAfterFailures = 3;
    /** Kafka Streams state directory; null = Kafka's default under java.io.tmpdir. */
    public String stateDir;
    /**
     * Static group membership: {@code auto} (an id generated once and kept in the state directory), an id of
     * your own (for example a StatefulSet pod's name; unique per instance) or {@code none} (a dynamic member,
     * whose restart waits out the session timeout of the member it replaces). See {@link StaticMembership}.
     */
    public String instanceId = StaticMembership.AUTO;
    /** host:port other instances use to reach this one's query API; null = localhost:&lt;ops port&gt;. */
    public String applicationServer;
    public int numStandbyReplicas = 0;
    public int numStreamThreads = 1;
    /** exactly_once_v2 (default) or at_least_once. */
    public String processingGuarantee = "exactly_once_v2";
    /** Commit interval; null keeps Kafka Streams' default (100 ms under exactly-once). */
    public Duration commitInterval;
    /** Stream thread failures replaced within {@link #threadReplacementWindow} before the client shuts down. */
    public int maxThreadReplacements = 3;
    public Duration threadReplacementWindow = Duration.ofMinutes(10);
    /** Off-heap memory of the state stores (RocksDB), bounded for all stores together: see {@link BoundedRocksDbConfig}. */
    public RocksDbSettings rocksdb = new RocksDbSettings();
    /** The query API's authentication (it is served on the ops port). */
    public ApiSettings api = new ApiSettings();
    /** The owners rules (the top-level {@code owners} section, bound by the command that starts streams); none by default. */
    // private and without a getter: not a configuration key
    private OwnerRules ownerRules = OwnerRules.none();

    /** Extra Kafka Streams properties, passed through as they are (except the ones certflow sets itself: {@link ReservedProperties}). */
    public Map<String, String> properties = new LinkedHashMap<>();

    /** The owners rules stamped on every alert and row. */
    public OwnerRules ownerRules() {
        return ownerRules;
    }

    /** Takes the rules of the top-level {@code owners} section. */
    public StreamsSettings withOwners(OwnersConfig owners) {
        this.ownerRules = owners == null ? OwnerRules.none() : owners.rules();
        return this;
    }

    /** The {@code rocksdb} section: the memory every state store of this instance shares. */
    public static class RocksDbSettings {
        /** The block cache all stores (every store, every partition) share, memtables included. */
        public int cacheMiB = 128;
        /** The part of the cache the stores' memtables (write buffers) may take together. */
        public int memtableMiB = 48;
    }

    /**
     * Bearer tokens of the query API (secrets: {@code ${ENV}} or {@code file:}). Writes (silences,
     * acknowledgements) need {@link #writeToken}; with none configured they are refused. Reads are
     * open unless {@link #readToken} is set (then either token reads).
     */
    public static class ApiSettings {
        public Secret writeToken;
        public Secret readToken;
    }

    /** One override: matches a tenant, a source instance name, or both. */
    public static class ThresholdOverride {
        public String tenant;
        public String source;
        public List<Integer> thresholdDays;
        public List<Integer> lifetimePercentages;
    }

    /** The {@code renewal} section: see {@link RenewalPolicy} for how a certificate's expected renewal point is chosen. */
    public static class RenewalSettings {
        /** False: no renewal states or alerts, the expiry thresholds alone (with thresholdDays [30, 14, 7, 1]: the old fixed thresholds). */
        public boolean enabled = true;
        /** Time after the expected renewal point before a certificate with no renewal is OVERDUE (ACME clients retry at least daily). */
        public Duration grace = Duration.ofDays(2);
        /** Manually renewed certificates are due this long before expiry (at most half their lifetime where it is known). */
        public Duration manualLeadTime = Duration.ofDays(30);
        /** Automatically renewed certificates of unknown lifetime are due at most this long before expiry. */
        public Duration autoLeadTime = Duration.ofDays(30);
        /** smoxy's documented renewal point for auto-managed certificates: this long before expiry. */
        public Duration smoxyLeadTime = Duration.ofDays(30);
        /**
         * How long a newer certificate for the same names must have been held elsewhere before a copy in its
         * renewal window is RENEWED_NOT_DEPLOYED: the holders are polled at different times and a deployment
         * takes a while, so a copy updated within this long never pages.
         */
        public Duration deployGrace = Duration.ofDays(1);
        /** Overrides, first match wins. */
        public List<RenewalRule> rules = new ArrayList<>();
    }

    /** One renewal rule: matches every given field (none given: every certificate) and sets what it lists. */
    public static class RenewalRule {
        /** leegality, smoxy or yeastar. */
        public String sourceKind;
        /** Source instance name. */
        public String source;
        public String tenant;
        /** tls_server, trusted_ca, signing or unknown (CertificateType). */
        public String type;
        /** auto or manual: how the certificate is renewed, replacing what the source fields say. */
        public String mode;
        /** Expected renewal this long before expiry. */
        public Duration leadTime;
        /** Expected renewal when this fraction of the lifetime remains (where the lifetime is known), e.g. 0.33. */
        public Double lifetimeFraction;
        /** Grace for the certificates this rule matches. */
        public Duration grace;
    }

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (applicationId == null || applicationId.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "applicationId'");
        }
        checkDays(prefix + "thresholdDays", thresholdDays, tree);
        checkPercentages(prefix + "lifetimePercentages", lifetimePercentages, tree);
        for (int i = 0; i < overrides.size(); i++) {
            ThresholdOverride o = overrides.get(i);
            String p = prefix + "overrides[" + i + "].";
            if (o.tenant == null && o.source == null) {
                throw new ConfigException("configuration key '" + p + "tenant' or '" + p + "source' is required");
            }
            if (o.thresholdDays != null) {
                checkDays(p + "thresholdDays", o.thresholdDays, tree);
            }
            if (o.lifetimePercentages != null) {
                checkPercentages(p + "lifetimePercentages", o.lifetimePercentages, tree);
            }
        }
        validateRenewal(prefix + "renewal.", tree);
        if (tickInterval == null || tickInterval.isNegative() || tickInterval.isZero()) {
            throw bad(prefix + "tickInterval", tickInterval, tree, "must be positive");
        }
        if (maxTransitionsPerTick < 1) {
            throw bad(prefix + "maxTransitionsPerTick", maxTransitionsPerTick, tree, "must be 1 or more");
        }
        if (sourceDownAfterFailures < 1) {
            throw bad(prefix + "sourceDownAfterFailures", sourceDownAfterFailures, tree, "must be 1 or more");
        }
        if (!"exactly_once_v2".equals(processingGuarantee) && !"at_least_once".equals(processingGuarantee)) {
            throw bad(prefix + "processingGuarantee", processingGuarantee, tree, "must be exactly_once_v2 or at_least_once");
        }
        if (numStreamThreads < 1) {
            throw bad(prefix + "numStreamThreads", numStreamThreads, tree, "must be 1 or more");
        }
        if (instanceId == null || !StaticMembership.VALID.matcher(instanceId).matches()) {
            throw bad(prefix + "instanceId", instanceId, tree, "must be auto, none or a group.instance.id "
                    + "(letters, digits, '.', '_' and '-', at most 249)");
        }
        if (applicationServer != null && !applicationServer.matches("[^:/\\s]+:\\d{1,5}")) {
            throw bad(prefix + "applicationServer", applicationServer, tree, "must be host:port");
        }
        if (rocksdb == null) {
            throw new ConfigException("configuration key '" + prefix + "rocksdb' must not be empty");
        }
        if (rocksdb.cacheMiB < 8) {
            throw bad(prefix + "rocksdb.cacheMiB", rocksdb.cacheMiB, tree, "must be 8 or more");
        }
        if (rocksdb.memtableMiB < 1 || rocksdb.memtableMiB >= rocksdb.cacheMiB) {
            throw bad(prefix + "rocksdb.memtableMiB", rocksdb.memtableMiB, tree, "must be 1 or more and less than rocksdb.cacheMiB (" + rocksdb.cacheMiB + ")");
        }
        ReservedProperties.check(prefix + "properties", properties, tree);
        if (api == null) {
            api = new ApiSettings();
        }
        if (api.writeToken != null && api.writeToken.reveal().length() < 16) {
            throw new ConfigException("configuration key '" + prefix + "api.writeToken'" + (tree == null ? "" : tree.from(prefix + "api.writeToken"))
                    + " is too short: use at least 16 characters (for example openssl rand -hex 32)");
        }
    }

    private void validateRenewal(String p, ConfigTree tree) {
        if (renewal == null) {
            throw new ConfigException("configuration key '" + p.substring(0, p.length() - 1) + "' must not be empty");
        }
        checkDuration(p + "grace", renewal.grace, tree, true);
        checkDuration(p + "manualLeadTime", renewal.manualLeadTime, tree, false);
        checkDuration(p + "autoLeadTime", renewal.autoLeadTime, tree, false);
        checkDuration(p + "smoxyLeadTime", renewal.smoxyLeadTime, tree, false);
        checkDuration(p + "deployGrace", renewal.deployGrace, tree, true);
        if (renewal.rules == null) {
            renewal.rules = new ArrayList<>();
        }
        for (int i = 0; i < renewal.rules.size(); i++) {
            RenewalRule r = renewal.rules.get(i);
            String rp = p + "rules[" + i + "].";
            if (r == null) {
                throw new ConfigException("configuration key '" + p + "rules[" + i + "]' must not be empty");
            }
            if (r.sourceKind != null && RenewalPolicy.sourceKind(r.sourceKind) == null) {
                throw bad(rp + "sourceKind", r.sourceKind, tree, "must be leegality, smoxy or yeastar");
            }
            if (r.type != null && RenewalPolicy.certificateType(r.type) == null) {
                throw bad(rp + "type", r.type, tree, "must be tls_server, trusted_ca, signing or unknown");
            }
            if (r.mode != null && !"auto".equalsIgnoreCase(r.mode) && !"manual".equalsIgnoreCase(r.mode)) {
                throw bad(rp + "mode", r.mode, tree, "must be auto or manual");
            }
            if (r.leadTime != null) {
                checkDuration(rp + "leadTime", r.leadTime, tree, false);
            }
            if (r.grace != null) {
                checkDuration(rp + "grace", r.grace, tree, true);
            }
            if (r.lifetimeFraction != null && !(r.lifetimeFraction > 0 && r.lifetimeFraction < 1)) {
                throw bad(rp + "lifetimeFraction", r.lifetimeFraction, tree, "must be between 0 and 1 (for example 0.33)");
            }
            if (r.mode == null && r.leadTime == null && r.lifetimeFraction == null && r.grace == null) {
                throw new ConfigException("configuration key '" + rp.substring(0, rp.length() - 1)
                        + "' sets nothing: give at least one of mode, leadTime, lifetimeFraction, grace");
            }
        }
    }

    private static void checkDuration(String key, Duration d, ConfigTree tree, boolean zeroAllowed) {
        if (d == null || d.isNegative() || (!zeroAllowed && d.isZero()) || d.compareTo(Duration.ofDays(3650)) > 0) {
            throw bad(key, d, tree, zeroAllowed ? "must be 0 to 3650 days" : "must be positive and at most 3650 days");
        }
    }

    private static void checkDays(String key, List<Integer> days, ConfigTree tree) {
        if (days == null || days.isEmpty()) {
            throw bad(key, days, tree, "must list at least one threshold");
        }
        for (Integer d : days) {
            if (d == null || d < 0 || d > 3650) {
                throw bad(key, days, tree, "thresholds must be 0 to 3650 days");
            }
        }
    }

    private static void checkPercentages(String key, List<Integer> pct, ConfigTree tree) {
        for (Integer p : pct) {
            if (p == null || p <= 0 || p >= 100) {
                throw bad(key, pct, tree, "percentages must be 1 to 99");
            }
        }
    }

    private static ConfigException bad(String key, Object value, ConfigTree tree, String why) {
        String from = tree == null ? "" : tree.from(key);
        return new ConfigException("bad value '" + value + "' for configuration key '" + key + "'" + from + ": " + why);
    }
}
