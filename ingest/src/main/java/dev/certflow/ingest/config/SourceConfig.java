package dev.certflow.ingest.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;

import dev.certflow.runtime.net.NetworkPolicy;
import dev.certflow.runtime.net.OutboundUrls;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;

/**
 * One configured source instance. {@code kind} selects the subtype; keys of another kind are
 * unknown keys and fail at start.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
@JsonSubTypes({
        @JsonSubTypes.Type(value = LeegalitySourceConfig.class, name = "leegality"),
        @JsonSubTypes.Type(value = SmoxySourceConfig.class, name = "smoxy"),
        @JsonSubTypes.Type(value = YeastarSourceConfig.class, name = "yeastar")})
public abstract class SourceConfig {
    private static final Pattern NAME = Pattern.compile("^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$");

    /** Unique instance name; part of every record key and of the transactional id. */
    public String name;
    public String baseUrl;
    public Duration pollInterval = Duration.ofMinutes(5);
    public Duration requestTimeout = Duration.ofSeconds(10);
    /** Turn one source off without deleting it. */
    public boolean enabled = true;
    /**
     * Allow private (RFC 1918, fc00::/7), loopback, link-local and carrier-grade NAT addresses for
     * this source (an on-premises PBX, for example). Cloud metadata addresses stay refused.
     */
    public boolean allowPrivateNetworks = false;
    /** Networks (CIDR or single addresses) this source may connect to besides public addresses, for example {@code [10.20.0.0/16]}. */
    public List<String> allowedNetworks = new ArrayList<>();

    private NetworkPolicy policy;

    public abstract SourceKind kind();

    /** Where this source may connect ({@link #allowPrivateNetworks}, {@link #allowedNetworks}); valid after {@link #validate}. */
    public NetworkPolicy networkPolicy() {
        return policy != null ? policy : NetworkPolicy.of(allowPrivateNetworks, allowedNetworks);
    }

    public void validate(String prefix, ConfigTree tree) {
        if (name == null || name.isBlank()) {
            throw IngestConfig.missing(prefix + "name");
        }
        if (!NAME.matcher(name).matches()) {
            throw IngestConfig.bad(prefix + "name", name, "use letters, digits, '.', '_' and '-' (at most 100)", tree);
        }
        if (baseUrl == null || baseUrl.isBlank()) {
            throw IngestConfig.missing(prefix + "baseUrl");
        }
        if (allowedNetworks == null) {
            allowedNetworks = new ArrayList<>();
        }
        for (int i = 0; i < allowedNetworks.size(); i++) {
            String why = OutboundUrls.networkRefusal(allowedNetworks.get(i));
            if (why != null) {
                throw IngestConfig.bad(prefix + "allowedNetworks[" + i + "]", allowedNetworks.get(i), why + " (source " + name + ")", tree);
            }
        }
        policy = NetworkPolicy.of(allowPrivateNetworks, allowedNetworks);
        if (baseUrl.contains("?")) {
            throw IngestConfig.bad(prefix + "baseUrl", OutboundUrls.safe(baseUrl), "must have no query (source " + name + ")", tree);
        }
        String why = OutboundUrls.refusal(baseUrl, policy);
        if (why != null) {
            throw IngestConfig.bad(prefix + "baseUrl", OutboundUrls.safe(baseUrl), why + " (source " + name + ")", tree);
        }
        IngestConfig.positive(prefix + "pollInterval", pollInterval, tree);
        IngestConfig.positive(prefix + "requestTimeout", requestTimeout, tree);
    }

    /** The base URL without a trailing slash. */
    public String base() {
        return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }
}
