package dev.certflow.runtime.net;

import java.net.InetAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.UnknownHostException;
import java.util.Locale;
import java.util.Optional;

/**
 * Configuration-time checks of an outbound URL (a source's {@code baseUrl}, a channel's
 * {@code url} or {@code webhookUrl}): http or https only, a host, no credentials in it, and a host
 * the {@link NetworkPolicy} does not refuse by itself (an IP literal in a refused range, a cloud
 * metadata name). Names are not looked up here: the client checks what they resolve to on every
 * connection.
 */
public final class OutboundUrls {
    private OutboundUrls() {
    }

    /** Why {@code url} is refused, or null when it is fine. Never quotes the URL. */
    public static String refusal(String url, NetworkPolicy policy) {
        URI uri;
        try {
            uri = new URI(url.trim());
        } catch (URISyntaxException e) {
            return "not a URL (" + e.getReason() + ")";
        }
        String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
        if (!scheme.equals("http") && !scheme.equals("https")) {
            return scheme.isEmpty() ? "must be an absolute http or https URL"
                    : "only http and https URLs are fetched, not '" + scheme + ":'";
        }
        if (uri.getRawUserInfo() != null) {
            return "credentials in the URL are not accepted (use the credential keys)";
        }
        String host = uri.getHost();
        if (host == null || host.isEmpty()) {
            return "must name a host";
        }
        Optional<String> byName = policy.refusal(host);
        if (byName.isPresent()) {
            return byName.get();
        }
        String literal = host.startsWith("[") ? host.substring(1, host.length() - 1) : host;
        byte[] ip = Cidr.literal(literal);
        if (ip != null) {
            try {
                Optional<String> why = policy.refusal(InetAddress.getByAddress(ip));
                if (why.isPresent()) {
                    return why.get();
                }
            } catch (UnknownHostException e) {
                return "not an address";
            }
        }
        return null;
    }

    /** Why an {@code allowedNetworks} entry is refused, or null. */
    public static String networkRefusal(String entry) {
        try {
            Cidr.parse(entry);
            return null;
        } catch (IllegalArgumentException e) {
            return e.getMessage();
        }
    }

    /** The URL as it may appear in a message: scheme, host, port and path; no credentials, no query. */
    public static String safe(String url) {
        try {
            URI u = new URI(url.trim());
            if (u.getScheme() == null || u.getRawAuthority() == null) {
                return u.getScheme() == null ? "(not a URL)" : u.getScheme() + ":…";
            }
            return u.getScheme() + "://" + u.getHost() + (u.getPort() >= 0 ? ":" + u.getPort() : "")
                    + (u.getRawPath() == null ? "" : u.getRawPath()) + (u.getRawQuery() != null ? "?…" : "");
        } catch (URISyntaxException e) {
            return "(not a URL)";
        }
    }
}
