package dev.certflow.sink.delivery;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.net.NetworkPolicy;
import dev.certflow.runtime.net.OutboundUrls;
import dev.certflow.sink.SinkConfig;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * One alert channel: its type, where it is, its credential and the routes that select alerts
 * for it. With no routes the channel gets every alert; otherwise an alert goes to it when any
 * route matches.
 */
public class ChannelConfig {
    /** The channel types certflow can deliver to. */
    public enum Type { ALERTMANAGER, PAGERDUTY, SLACK, WEBHOOK, CONSOLE;

        public String id() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    /** Unique name, used in metrics, the delivery_attempts table and the DLQ headers. */
    public String name;
    /** alertmanager, pagerduty, slack, webhook or console. */
    public String type;
    /**
     * Alertmanager base URL (for example http://alertmanager:9093), PagerDuty events URL (default
     * https://events.pagerduty.com/v2/enqueue) or webhook URL. Slack takes {@link #webhookUrl} instead.
     */
    public String url;
    /** PagerDuty integration (routing) key. */
    public Secret routingKey;
    /** Slack incoming-webhook URL (it is the credential, so it is a secret). */
    public Secret webhookUrl;
    /** HMAC-SHA256 key for the webhook signature. */
    public Secret secret;
    /** Header carrying {@code sha256=<hex HMAC of the body>}. */
    public String signatureHeader = "X-Certflow-Signature";
    /**
     * Allow private (RFC 1918, fc00::/7), loopback, link-local and carrier-grade NAT addresses for
     * this channel (an Alertmanager inside the cluster, for example). Cloud metadata stays refused.
     */
    public boolean allowPrivateNetworks = false;
    /** Networks (CIDR or single addresses) this channel may connect to besides public addresses, for example {@code [10.0.5.0/24]}. */
    public List<String> allowedNetworks = new ArrayList<>();
    /** Overrides {@code sink.maxAttempts} for this channel (0 = inherit). */
    public int maxAttempts = 0;
    /** Overrides {@code sink.deliveryConcurrency} for this channel (0 = inherit). */
    public int concurrency = 0;
    public List<Route> routes = new ArrayList<>();

    public Type type() {
        return Type.valueOf(type.trim().toUpperCase(Locale.ROOT));
    }

    /** Checks the channel (called by {@link SinkConfig#validate}); {@code prefix} is its key, for example {@code sink.channels[0].}. */
    public void validate(String prefix, ConfigTree tree) {
        if (name == null || !name.matches("[A-Za-z0-9_.-]+")) {
            throw SinkConfig.bad(prefix, tree, "name", name, "required, letters, digits, '_', '.', '-'");
        }
        Type t;
        try {
            t = type();
        } catch (RuntimeException e) {
            throw SinkConfig.bad(prefix, tree, "type", type, "must be one of alertmanager, pagerduty, slack, webhook, console");
        }
        switch (t) {
            case ALERTMANAGER -> requireUrl(prefix, tree);
            case PAGERDUTY -> {
                if (routingKey == null) {
                    throw new ConfigException("missing required configuration key '" + prefix + "routingKey' (pagerduty channel '" + name + "')");
                }
                if (url == null || url.isBlank()) {
                    url = "https://events.pagerduty.com/v2/enqueue";
                }
                requireUrl(prefix, tree);
            }
            case SLACK -> {
                if (webhookUrl == null) {
                    throw new ConfigException("missing required configuration key '" + prefix + "webhookUrl' (slack channel '" + name + "')");
                }
            }
            case WEBHOOK -> {
                requireUrl(prefix, tree);
                if (secret == null) {
                    throw new ConfigException("missing required configuration key '" + prefix + "secret' (webhook channel '" + name + "' signs its bodies)");
                }
            }
            case CONSOLE -> { }
        }
        if (allowedNetworks == null) {
            allowedNetworks = new ArrayList<>();
        }
        for (int i = 0; i < allowedNetworks.size(); i++) {
            String why = OutboundUrls.networkRefusal(allowedNetworks.get(i));
            if (why != null) {
                throw SinkConfig.bad(prefix, tree, "allowedNetworks[" + i + "]", allowedNetworks.get(i), why + " (" + t.id() + " channel '" + name + "')");
            }
        }
        if (t == Type.SLACK) {
            checkUrl(prefix, tree, "webhookUrl", webhookUrl.reveal(), null); // the URL is the credential: never quoted
        } else if (t != Type.CONSOLE) {
            checkUrl(prefix, tree, "url", url, url);
        }
        if (maxAttempts < 0) {
            throw SinkConfig.bad(prefix, tree, "maxAttempts", maxAttempts, "must be 0 (inherit) or more");
        }
        if (concurrency < 0) {
            throw SinkConfig.bad(prefix, tree, "concurrency", concurrency, "must be 0 (inherit) or more");
        }
        for (int i = 0; i < routes.size(); i++) {
            routes.get(i).validate(prefix + "routes[" + i + "].", tree);
        }
    }

    private void requireUrl(String prefix, ConfigTree tree) {
        if (url == null || url.isBlank()) {
            throw SinkConfig.bad(prefix, tree, "url", url, "an http(s) URL is required for a " + type + " channel");
        }
    }

    private void checkUrl(String prefix, ConfigTree tree, String key, String value, String shown) {
        String why = OutboundUrls.refusal(value, networkPolicy());
        if (why != null) {
            throw SinkConfig.bad(prefix, tree, key, shown == null ? Secret.MASK : OutboundUrls.safe(shown), why + " (" + type().id() + " channel '" + name + "')");
        }
    }

    /** Where this channel may connect ({@link #allowPrivateNetworks}, {@link #allowedNetworks}). */
    public NetworkPolicy networkPolicy() {
        return NetworkPolicy.of(allowPrivateNetworks, allowedNetworks);
    }

    /** Whether this channel takes the alert. */
    public boolean accepts(dev.certflow.events.Alert alert) {
        return routes.isEmpty() || routes.stream().anyMatch(r -> r.matches(alert));
    }
}
