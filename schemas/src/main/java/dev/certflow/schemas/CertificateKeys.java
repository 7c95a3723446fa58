package dev.certflow.schemas;

import dev.certflow.events.CertificateKey;
import dev.certflow.events.SourceKind;

import java.net.URLDecoder;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.Locale;

/**
 * The string form of a {@link CertificateKey}, used as the Kafka record key on every certificate topic.
 *
 * <p>Format: {@code kind/sourceName/tenant/sourceId}, kind in lower case, each other part
 * percent-encoded (RFC 3986 unreserved characters stay as they are), and {@code -} for a missing
 * tenant (a real tenant called "-" is written {@code %2D}). Example:
 * {@code yeastar/pbx-berlin/pbx-berlin/3}. The form is stable: changing it re-keys every topic.
 */
public final class CertificateKeys {
    static {
        // generated classes (and their copy builders) need to be trusted before any serde exists
        dev.certflow.schemas.serde.TrustedPackages.trustCertflowEvents();
    }

    private static final String NO_TENANT = "-";

    private CertificateKeys() {
    }

    public static CertificateKey of(SourceKind kind, String sourceName, String tenant, String sourceId) {
        return CertificateKey.newBuilder()
                .setSourceKind(kind)
                .setSourceName(sourceName)
                .setTenant(tenant)
                .setSourceId(sourceId)
                .build();
    }

    public static String format(CertificateKey key) {
        String tenant = key.getTenant() == null ? NO_TENANT : encode(key.getTenant());
        return key.getSourceKind().name().toLowerCase(Locale.ROOT)
                + '/' + encode(key.getSourceName())
                + '/' + tenant
                + '/' + encode(key.getSourceId());
    }

    /** Parses the string form; throws {@link IllegalArgumentException} naming the value when it is not one. */
    public static CertificateKey parse(String text) {
        String[] parts = text == null ? new String[0] : text.split("/", -1);
        if (parts.length != 4) {
            throw new IllegalArgumentException("certificate key '" + text + "' is not kind/sourceName/tenant/sourceId");
        }
        SourceKind kind;
        try {
            kind = SourceKind.valueOf(parts[0].toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("certificate key '" + text + "' has unknown source kind '" + parts[0] + "'", e);
        }
        String tenant = NO_TENANT.equals(parts[2]) ? null : decode(parts[2]);
        return of(kind, decode(parts[1]), tenant, decode(parts[3]));
    }

    static String encode(String part) {
        if (unreserved(part)) {
            return part; // the usual id or name: nothing to encode (URLEncoder cost 6 % of ingest's first poll)
        }
        // URLEncoder is form encoding; turn it into RFC 3986 percent-encoding and also escape '-' alone
        String encoded = URLEncoder.encode(part, StandardCharsets.UTF_8)
                .replace("+", "%20").replace("*", "%2A").replace("%7E", "~");
        return NO_TENANT.equals(encoded) ? "%2D" : encoded;
    }

    /** True when every character is RFC 3986 unreserved, so percent-encoding leaves the part as it is ("-" alone is not). */
    private static boolean unreserved(String part) {
        if (part.isEmpty() || NO_TENANT.equals(part)) {
            return false;
        }
        for (int i = 0; i < part.length(); i++) {
            char c = part.charAt(i);
            if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~')) {
                return false;
            }
        }
        return true;
    }

    static String decode(String part) {
        return URLDecoder.decode(part.replace("+", "%2B"), StandardCharsets.UTF_8);
    }
}
