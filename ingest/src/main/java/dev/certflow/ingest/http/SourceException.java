package dev.certflow.ingest.http;

import java.time.Duration;

/**
 * A poll-level failure of a source. The message names the source and what failed (status,
 * path, vendor error codes) and never a credential, a token or a query string.
 */
public class SourceException extends Exception {
    /** Error kinds, as they appear in {@code SourceStatus.errorKind} and the {@code kind} tag of the errors meter. */
    public static final String TIMEOUT = "timeout";
    public static final String CONNECT = "connect";
    public static final String HTTP_4XX = "http_4xx";
    public static final String HTTP_5XX = "http_5xx";
    public static final String RATE_LIMITED = "rate_limited";
    public static final String AUTH = "auth";
    public static final String REDIRECT = "redirect";
    /** The source's network policy refused the address (allowPrivateNetworks / allowedNetworks). */
    public static final String BLOCKED_ADDRESS = "blocked_address";
    /** TLS verification rejected the server's certificate (untrusted, or not valid for the host). */
    public static final String TLS = "tls";
    public static final String MALFORMED_BODY = "malformed_body";
    public static final String API_ERROR = "api_error";
    public static final String KAFKA = "kafka";
    public static final String INTERNAL = "internal";

    private final String kind;
    private final Duration retryAfter;

    public SourceException(String kind, String message) {
        this(kind, message, null);
    }

    public SourceException(String kind, String message, Duration retryAfter) {
        super(message, null, false, false); // no stack trace: an expected upstream condition, and no cause that could carry a URL
        this.kind = kind;
        this.retryAfter = retryAfter;
    }

    public String kind() {
        return kind;
    }

    /** A server-requested wait before the next try, or null. */
    public Duration retryAfter() {
        return retryAfter;
    }
}
