package dev.certflow.ingest.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;

import java.net.URI;
import java.time.Duration;
import java.util.Locale;
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

    public abstract SourceKind kind();

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
        try {
            URI uri = URI.create(baseUrl);
            String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("http") && !scheme.equals("https") || uri.getHost() == null || uri.getRawQuery() != null) {
                throw new IllegalArgumentException("not an http(s) URL");
            }
        } catch (IllegalArgumentException e) {
            throw IngestConfig.bad(prefix + "baseUrl", baseUrl, "must be an http(s) URL with a host and no query", tree);
        }
        IngestConfig.positive(prefix + "pollInterval", pollInterval, tree);
        IngestConfig.positive(prefix + "requestTimeout", requestTimeout, tree);
    }

    /** The base URL without a trailing slash. */
    public String base() {
        return baseUrl.endsWith("/") ? baseUrl.substring(0, baseUrl.length() - 1) : baseUrl;
    }
}
