package dev.certflow.streams;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpHandler;
import dev.certflow.runtime.config.Secret;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * Bearer-token checks of the query API. Writes need {@code streams.api.writeToken}; with none
 * configured every write is refused with 403 (a safe default, not an open API). Reads are open
 * unless {@code streams.api.readToken} is set; then the read or the write token reads. Tokens are
 * compared in constant time and never logged: a refusal logs the method, path and remote address.
 */
final class ApiAuth {
    private static final Logger LOG = LoggerFactory.getLogger(ApiAuth.class);
    static final String CHALLENGE = "Bearer realm=\"certflow\"";

    private final Secret writeToken;
    private final Secret readToken;

    ApiAuth(StreamsSettings.ApiSettings api) {
        this(api == null ? null : api.writeToken, api == null ? null : api.readToken);
    }

    ApiAuth(Secret writeToken, Secret readToken) {
        this.writeToken = writeToken;
        this.readToken = readToken;
    }

    /** The token this instance sends to its peers for their {@code local=true} reads; null when reads are open. */
    Secret peerToken() {
        return readToken != null ? readToken : null;
    }

    /** Wraps a read-only handler: passes when reads are open or a valid token is given; answers 401 otherwise. */
    HttpHandler reads(HttpHandler inner) {
        return ex -> {
            if (mayRead(ex)) {
                inner.handle(ex);
            }
        };
    }

    /** True when the request may read; else the 401 has been sent. */
    boolean mayRead(HttpExchange ex) throws IOException {
        if (readToken == null) {
            return true;
        }
        String given = bearer(ex);
        if (given != null && (matches(given, readToken) || (writeToken != null && matches(given, writeToken)))) {
            return true;
        }
        refuse(ex, given == null ? "missing bearer token" : "wrong bearer token");
        return false;
    }

    /** True when the request may write; else 403 (no write token configured) or 401 has been sent. */
    boolean mayWrite(HttpExchange ex) throws IOException {
        if (writeToken == null) {
            LOG.warn("Refused {} {} from {}: no streams.api.writeToken is configured", ex.getRequestMethod(), ex.getRequestURI().getPath(),
                    ex.getRemoteAddress());
            WriteApi.error(ex, 403, "writes are disabled: configure streams.api.writeToken (a secret, ${ENV} or file:) to allow them");
            return false;
        }
        String given = bearer(ex);
        if (given != null && matches(given, writeToken)) {
            return true;
        }
        refuse(ex, given == null ? "missing bearer token" : "wrong bearer token");
        return false;
    }

    private void refuse(HttpExchange ex, String why) throws IOException {
        LOG.warn("Refused {} {} from {}: {}", ex.getRequestMethod(), ex.getRequestURI().getPath(), ex.getRemoteAddress(), why);
        ex.getResponseHeaders().set("WWW-Authenticate", CHALLENGE);
        WriteApi.error(ex, 401, why + ": send Authorization: Bearer <token>");
    }

    /** The bearer token of the request, or null when there is no (well-formed) Authorization header. */
    private static String bearer(HttpExchange ex) {
        String h = ex.getRequestHeaders().getFirst("Authorization");
        if (h == null || h.length() < 7 || !h.regionMatches(true, 0, "Bearer ", 0, 7)) {
            return null;
        }
        String token = h.substring(7).trim();
        return token.isEmpty() ? null : token;
    }

    private static boolean matches(String given, Secret expected) {
        return MessageDigest.isEqual(given.getBytes(StandardCharsets.UTF_8), expected.reveal().getBytes(StandardCharsets.UTF_8));
    }
}
