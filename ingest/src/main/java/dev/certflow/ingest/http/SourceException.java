package dev.certflow.ingest.http;

import java.time.Duration;
import java.util.concurrent.ExecutionException;

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

    /**
     * Throws the cause of a read that failed on a helper thread as itself (a SourceException, an
     * unchecked exception, an Error). Anything else, such as the helper thread being interrupted by
     * something other than this poll, fails the poll (not a stopping one) with {@code what}.
     */
    public static IllegalStateException rethrow(ExecutionException failed, String what) throws SourceException {
        Throwable cause = failed.getCause();
        if (cause instanceof SourceException se) {
            throw se;
        }
        if (cause instanceof RuntimeException re) {
            throw re;
        }
        if (cause instanceof Error er) {
            throw er;
        }
        return new IllegalStateException(what, cause);
    }
}
