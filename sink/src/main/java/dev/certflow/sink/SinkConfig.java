package dev.certflow.sink;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.config.Validated;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.delivery.ChannelConfig;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code sink} section: where PostgreSQL is, how the view writer batches, and the alert
 * channels with their routes and retry policy.
 *
 * <pre>
 * sink:
 *   jdbcUrl: jdbc:postgresql://db:5432/certflow   # required by certflow sink; certflow local starts an embedded one without it
 *   user: certflow
 *   password: ${CERTFLOW_DB_PASSWORD}
 *   channels:
 *     - name: oncall
 *       type: pagerduty
 *       routingKey: ${PD_ROUTING_KEY}
 *       routes: [{severities: [CRITICAL, ERROR]}]
 * </pre>
 */
public class SinkConfig implements Validated {
    private static final String POSTGRESQL_URL = "jdbc:postgresql:";

    /** JDBC URL of the views database; required by {@code certflow sink}; without one {@code certflow local} starts an embedded PostgreSQL. */
    public String jdbcUrl;
    public String user = "postgres";
    public Secret password;
    public int poolSize = 4;
    /** Base consumer group; the view writer uses {@code <topicPrefix><groupId>-views}, delivery {@code -delivery}. */
    public String groupId = "certflow-sink";
    /** Keep the materialized views up to date. */
    public boolean viewsEnabled = true;
    /** Deliver alerts to the channels. */
    public boolean deliveryEnabled = true;
    /** Records per consumer poll (= the most rows in one view transaction). */
    public int batchSize = 500;
    public Duration pollTimeout = Duration.ofMillis(500);

    /** Attempts per alert and channel before the alert is dead-lettered. */
    public int maxAttempts = 5;
    public Duration initialBackoff = Duration.ofSeconds(1);
    public Duration maxBackoff = Duration.ofSeconds(60);
    public Duration connectTimeout = Duration.ofSeconds(5);
    /** Whole-request timeout; a slower receiver counts as a retryable failure. */
    public Duration requestTimeout = Duration.ofSeconds(10);
    /** Alerts dispatched but not yet finished on every channel before the consumer pauses. */
    public int maxInFlight = 1000;
    /** Alerts sent at once per channel (each channel's {@code concurrency} overrides it); one certificate's alerts stay in order. */
    public int deliveryConcurrency = 8;
    /** How often firing alerts are re-sent to Alertmanager while they last (below its resolve_timeout of 5m). */
    public Duration alertmanagerResendInterval = Duration.ofMinutes(1);

    public List<ChannelConfig> channels = new ArrayList<>();

    /**
     * Deliver to the owners' own contacts ({@code owners.teams[]}: pagerDutyRoutingKey, slackWebhook,
     * webhook), each as a channel of its own named {@code owner-<team>-<type>}, besides {@link #channels}.
     */
    public boolean ownerChannels = true;
    /** Which severities the owners' channels notify at once, and which page. */
    public Notify notify = new Notify();
    /** Where the owners' channels, the escalation targets and the digests' HTTP channels may connect besides public addresses. */
    public OwnerNetworks ownerNetworks = new OwnerNetworks();
    /** Send each owner its digest on the owner's schedule ({@code owners.teams[].digest}). */
    public boolean digestsEnabled = true;
    /** The SMTP server digests are mailed through (the owners' {@code email}); none: no e-mail. */
    public Smtp smtp = new Smtp();

    /** Networks the owners' own channels may reach ({@code sink.ownerNetworks}), as {@code channels[]} have per channel. */
    public static class OwnerNetworks {
        public boolean allowPrivateNetworks = false;
        public List<String> allowedNetworks = new ArrayList<>();
    }

    /** The SMTP server for digests ({@code sink.smtp}); the password is a secret ({@code ${ENV}} or {@code file:}). */
    public static class Smtp {
        /** Host name; null = no e-mail digests. */
        public String host;
        public int port = 587;
        public String username;
        public Secret password;
        /** The From address (its domain also names the digests' Message-IDs). */
        public String from = "certflow@localhost";
        /** STARTTLS, required when on (port 587); {@code ssl} for implicit TLS (port 465). Off only for a local relay. */
        public boolean startTls = true;
        public boolean ssl = false;
        public Duration timeout = Duration.ofSeconds(10);
    }

    /** The severity policy of the owners' channels ({@code sink.notify}). */
    public static class Notify {
        /** Severities sent at once to the owner's Slack and webhook (the rest only reach the digest). */
        public List<String> immediate = new ArrayList<>(List.of("CRITICAL", "ERROR", "WARNING"));
        /** Severities that page (the owner's PagerDuty routing key). */
        public List<String> paging = new ArrayList<>(List.of("CRITICAL"));
    }

    // the owners section, handed over by the command (not a key of the sink section, so not a public field)
    private OwnersConfig owners = new OwnersConfig();

    /** The {@code owners} section the sink routes by (empty until set). */
    public OwnersConfig owners() {
        return owners;
    }

    /** Sets the {@code owners} section (the commands bind it beside this one). */
    public SinkConfig owners(OwnersConfig owners) {
        this.owners = owners == null ? new OwnersConfig() : owners;
        return this;
    }

    @Override
    public void validate(String prefix, ConfigTree tree) {
        positive(prefix, tree, "poolSize", poolSize);
        positive(prefix, tree, "batchSize", batchSize);
        positive(prefix, tree, "maxAttempts", maxAttempts);
        positive(prefix, tree, "maxInFlight", maxInFlight);
        positive(prefix, tree, "deliveryConcurrency", deliveryConcurrency);
        if (groupId == null || groupId.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "groupId'");
        }
        for (String key : List.of("pollTimeout", "initialBackoff", "maxBackoff", "connectTimeout", "requestTimeout", "alertmanagerResendInterval")) {
            Duration d = switch (key) {
                case "pollTimeout" -> pollTimeout;
                case "initialBackoff" -> initialBackoff;
                case "maxBackoff" -> maxBackoff;
                case "connectTimeout" -> connectTimeout;
                case "requestTimeout" -> requestTimeout;
                default -> alertmanagerResendInterval;
            };
            if (d == null || d.isNegative() || d.isZero()) {
                throw bad(prefix, tree, key, d, "must be a positive duration");
            }
        }
        if (notify == null) {
            notify = new Notify();
        }
        if (ownerNetworks == null) {
            ownerNetworks = new OwnerNetworks();
        }
        if (smtp == null) {
            smtp = new Smtp();
        }
        if (smtp.host != null && (smtp.port < 1 || smtp.port > 65535)) {
            throw bad(prefix + "smtp.", tree, "port", smtp.port, "must be a TCP port (1-65535)");
        }
        if (smtp.timeout == null || smtp.timeout.isNegative() || smtp.timeout.isZero()) {
            throw bad(prefix + "smtp.", tree, "timeout", smtp.timeout, "must be a positive duration");
        }
        checkSeverities(prefix + "notify.", tree, "immediate", notify.immediate);
        checkSeverities(prefix + "notify.", tree, "paging", notify.paging);
        Set<String> names = new HashSet<>();
        for (int i = 0; i < channels.size(); i++) {
            ChannelConfig c = channels.get(i);
            String p = prefix + "channels[" + i + "].";
            c.validate(p, tree);
            if (!names.add(c.name)) {
                throw bad(prefix, tree, "channels[" + i + "].name", c.name, "channel names must be unique");
            }
        }
    }

    /**
     * What {@code certflow sink} needs besides {@link #validate}: a real database. A throwaway
     * embedded one would lose the views at every restart, so only {@code certflow local} starts one.
     * A URL that is not PostgreSQL's is refused showing only its scheme: the rest may carry a password.
     */
    public void requireDatabase(String prefix, ConfigTree tree) {
        if (jdbcUrl == null || jdbcUrl.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "jdbcUrl'" + (tree == null ? "" : tree.from(prefix + "jdbcUrl"))
                    + ": the JDBC URL of the views database, for example jdbc:postgresql://db:5432/certflow"
                    + " (only certflow local starts an embedded PostgreSQL)");
        }
        if (!jdbcUrl.startsWith(POSTGRESQL_URL)) {
            String scheme = jdbcUrl.startsWith("jdbc:") ? "jdbc:" + jdbcUrl.substring(5).split(":", 2)[0] : jdbcUrl.split(":", 2)[0];
            throw bad(prefix, tree, "jdbcUrl", scheme.length() < jdbcUrl.length() ? scheme + ":..." : scheme,
                    "not a PostgreSQL JDBC URL; certflow sink needs a real database, for example jdbc:postgresql://db:5432/certflow "
                            + "(only certflow local starts an embedded PostgreSQL, when no URL is configured)");
        }
    }

    private static void checkSeverities(String prefix, ConfigTree tree, String key, List<String> values) {
        for (int i = 0; i < values.size(); i++) {
            try {
                dev.certflow.events.Severity.valueOf(values.get(i).trim().toUpperCase(java.util.Locale.ROOT));
            } catch (RuntimeException e) {
                throw bad(prefix, tree, key + "[" + i + "]", values.get(i), "not a severity (CRITICAL, ERROR, WARNING, INFO)");
            }
        }
    }

    private static void positive(String prefix, ConfigTree tree, String key, int value) {
        if (value < 1) {
            throw bad(prefix, tree, key, value, "must be 1 or more");
        }
    }

    /** The error for a bad value: the key, where it was set, the value and why. */
    public static ConfigException bad(String prefix, ConfigTree tree, String key, Object value, String why) {
        String from = tree == null ? "" : tree.from(prefix + key);
        return new ConfigException("bad value '" + value + "' for configuration key '" + prefix + key + "'" + from + ": " + why);
    }
}
