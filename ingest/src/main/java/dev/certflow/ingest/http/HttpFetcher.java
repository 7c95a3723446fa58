package dev.certflow.ingest.http;

import dev.certflow.runtime.service.Sleeper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import dev.certflow.runtime.net.BlockedAddressException;
import dev.certflow.runtime.net.OutboundHttp;
import org.apache.hc.client5.http.ConnectTimeoutException;

import java.io.IOException;
import java.io.InputStream;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.util.function.Function;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * The one way ingest talks HTTP: each source's {@link OutboundHttp} client (its network policy
 * checked on every connection, redirects never followed, the JVM's TLS verification), a timeout on
 * every request and on every stall while its body is read, and capped exponential backoff with jitter on
 * connection errors, timeouts, 429 (honouring {@code Retry-After}) and 5xx. A 429 pauses every
 * request of the same source, not only the one that got it, so concurrent requests of one source
 * (smoxy's attempts) slow down together. Messages and logs name
 * the source, the method and the URL path only: query strings (Yeastar puts its token there) and
 * headers never leave this class. A connection the network policy refuses fails the poll at once
 * (kind {@code blocked_address}), and so does a certificate TLS verification rejects (kind {@code tls}):
 * neither is retried.
 */
public final class HttpFetcher {
    private static final Logger LOG = LoggerFactory.getLogger(HttpFetcher.class);
    private static final int MAX_ERROR_BODY = 64 * 1024;
    private static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(30);

    private final Function<String, OutboundHttp> clients;
    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final Duration maxRetryAfter;
    private final Sleeper sleeper;
    private final Clock clock;
    private final LongSupplier nanoTime;
    // per source: no request before this System.nanoTime() value (the end of the last 429's pause)
    private final Map<String, AtomicLong> pausedUntil = new ConcurrentHashMap<>();

    /** @param clients each source's client, by source name */
    public HttpFetcher(Function<String, OutboundHttp> clients, int maxRetries, Duration initialBackoff, Duration maxBackoff,
                       Duration maxRetryAfter, Sleeper sleeper, Clock clock) {
        this(clients, maxRetries, initialBackoff, maxBackoff, maxRetryAfter, sleeper, clock, System::nanoTime);
    }

    /** @param nanoTime the monotonic time that 429 pauses are measured in ({@code System::nanoTime}; tests pass their own) */
    public HttpFetcher(Function<String, OutboundHttp> clients, int maxRetries, Duration initialBackoff, Duration maxBackoff,
                       Duration maxRetryAfter, Sleeper sleeper, Clock clock, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.clients = clients;
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.maxRetryAfter = maxRetryAfter;
        this.sleeper = sleeper;
        this.clock = clock;
    }

    /** A response whose body is still to be read (2xx) or already read (others, capped). */
    public static final class Response implements AutoCloseable {
        private final int status;
        private final InputStream body;
        private final byte[] errorBody;

        Response(int status, InputStream body, byte[] errorBody) {
            this.status = status;
            this.body = body;
            this.errorBody = errorBody;
        }

        public int status() {
            return status;
        }

        public boolean ok() {
            return status >= 200 && status < 300;
        }

        /** The streaming body of a 2xx answer. */
        public InputStream body() {
            return body;
        }

        /** The (capped) body of a non-2xx answer. */
        public byte[] errorBody() {
            return errorBody;
        }

        @Override
        public void close() {
            if (body != null) {
                try {
                    body.close();
                } catch (IOException ignored) {
                    // nothing left to read
                }
            }
        }
    }

    /**
     * Sends a request, retrying what is worth retrying. Returns 2xx and 4xx (other than 429)
     * answers to the caller; throws after the retries for the rest. Waits first while the source is
     * paused by a 429 that another request of it received.
     *
     * @param source   source name, for messages
     * @param request  a complete request (timeout set by the caller)
     */
    public Response send(String source, HttpRequest request) throws SourceException, InterruptedException {
        return exchange(source, request, null);
    }

    /** Reads a whole answer; an {@link IOException} while reading is an I/O failure of the request. */
    @FunctionalInterface
    public interface BodyReader<T> {
        T read(Response response) throws IOException, SourceException;
    }

    /**
     * Like {@link #send(String, HttpRequest)}, and reads the answer with {@code reader} inside the
     * retries: an I/O error while reading the body (the connection lost mid-answer) is retried like
     * one while sending, within the same {@code maxRetries}. For answers read whole, never for a
     * stream whose pages are published while it is read.
     */
    public <T> T send(String source, HttpRequest request, BodyReader<T> reader) throws SourceException, InterruptedException {
        return exchange(source, request, reader);
    }

    @SuppressWarnings("unchecked")
    private <T> T exchange(String source, HttpRequest request, BodyReader<T> reader) throws SourceException, InterruptedException {
        String what = request.method() + " " + describe(request.uri());
        SourceException last = null;
        OutboundHttp client = clients.apply(source);
        AtomicLong paused = pausedUntil.computeIfAbsent(source, s -> new AtomicLong(nanoTime.getAsLong()));
        for (int attempt = 0; attempt <= maxRetries; attempt++) {
            Duration wait = Duration.ZERO;
            if (attempt > 0) {
                wait = last.retryAfter() != null ? last.retryAfter() : Backoff.delay(initialBackoff, maxBackoff, attempt);
            }
            Duration pause = remaining(paused);
            if (pause.compareTo(wait) > 0) {
                wait = pause;
            }
            if (attempt > 0) {
                LOG.info("Source {}: {} failed ({}), retry {} of {} in {} ms", source, what, last.kind(), attempt, maxRetries, wait.toMillis());
            } else if (!wait.isZero()) {
                LOG.debug("Source {}: {} waits {} ms (the source answered 429)", source, what, wait.toMillis());
            }
            if (!wait.isZero()) {
                sleeper.sleep(wait);
            }
            OutboundHttp.Exchange response;
            try {
                response = client.open(request, DEFAULT_TIMEOUT);
            } catch (BlockedAddressException e) {
                throw new SourceException(SourceException.BLOCKED_ADDRESS, "source " + source + ": " + what + ": " + e.getMessage());
            } catch (ConnectTimeoutException e) {
                last = new SourceException(SourceException.CONNECT, "source " + source + ": " + what + ": connect timed out");
                continue;
            } catch (SocketTimeoutException e) {
                last = new SourceException(SourceException.TIMEOUT, "source " + source + ": " + what + ": no answer within " + request.timeout().map(Duration::toString).orElse("the timeout"));
                continue;
            } catch (IOException e) {
                String reason = OutboundHttp.reason(e);
                if (OutboundHttp.isCertificateRejected(e)) {
                    // the same certificate fails the same way on every try
                    throw new SourceException(SourceException.TLS, "source " + source + ": " + what + ": " + reason);
                }
                last = new SourceException(SourceException.CONNECT, "source " + source + ": " + what + ": " + reason);
                continue;
            }
            int status = response.status();
            if (status >= 200 && status < 300) {
                Response ok = new Response(status, response.body(), null);
                if (reader == null) {
                    return (T) ok;
                }
                try (ok) {
                    return reader.read(ok);
                } catch (IOException e) {
                    last = new SourceException(SourceException.CONNECT, "source " + source + ": " + what + ": reading the body failed ("
                            + OutboundHttp.reason(e) + ")");
                    continue;
                }
            }
            byte[] errorBody = response.readCapped(MAX_ERROR_BODY);
            if (status >= 300 && status < 400) {
                // never followed: a redirect could carry credentials to another host
                throw new SourceException(SourceException.REDIRECT, "source " + source + ": " + what + ": HTTP " + status + " redirect not followed");
            }
            if (status == 429) {
                Duration retryAfter = retryAfter(response.header("Retry-After").orElse(null));
                if (retryAfter != null && retryAfter.compareTo(maxRetryAfter) > 0) {
                    throw new SourceException(SourceException.RATE_LIMITED, "source " + source + ": " + what + ": HTTP 429, Retry-After "
                            + retryAfter.toSeconds() + " s", retryAfter);
                }
                last = new SourceException(SourceException.RATE_LIMITED, "source " + source + ": " + what + ": HTTP 429", retryAfter);
                pause(paused, retryAfter != null ? retryAfter : Backoff.delay(initialBackoff, maxBackoff, attempt + 1));
                continue;
            }
            if (status >= 500) {
                last = new SourceException(SourceException.HTTP_5XX, "source " + source + ": " + what + ": HTTP " + status);
                LastErrorBody.set(errorBody);
                continue;
            }
            Response refused = new Response(status, null, errorBody);
            if (reader == null) {
                return (T) refused;
            }
            try {
                return reader.read(refused);
            } catch (IOException e) {
                throw new IllegalStateException("an error answer is already read", e); // errorBody is in memory: no I/O left
            }
        }
        throw last;
    }

    private Duration remaining(AtomicLong pausedUntil) {
        long left = pausedUntil.get() - nanoTime.getAsLong();
        return left > 0 ? Duration.ofNanos(left) : Duration.ZERO;
    }

    private void pause(AtomicLong pausedUntil, Duration pause) {
        long until = nanoTime.getAsLong() + pause.toNanos();
        pausedUntil.accumulateAndGet(until, (current, next) -> next - current > 0 ? next : current); // nanoTime: compare differences
    }

    /** Holds the body of the last 5xx answer on this thread, so a client can log the vendor's error codes. */
    public static final class LastErrorBody {
        private static final ThreadLocal<byte[]> BODY = new ThreadLocal<>();

        private LastErrorBody() {
        }

        static void set(byte[] body) {
            BODY.set(body);
        }

        /** Returns and clears it. */
        public static byte[] take() {
            byte[] b = BODY.get();
            BODY.remove();
            return b;
        }
    }

    Duration retryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String h = header.trim();
        try {
            long seconds = Long.parseLong(h);
            return Duration.ofSeconds(Math.max(0, seconds));
        } catch (NumberFormatException e) {
            try {
                ZonedDateTime at = ZonedDateTime.parse(h, DateTimeFormatter.RFC_1123_DATE_TIME);
                Duration d = Duration.between(clock.instant(), at.toInstant());
                return d.isNegative() ? Duration.ZERO : d;
            } catch (RuntimeException ignored) {
                return null;
            }
        }
    }

    /** scheme://host[:port]/path, never the query. */
    public static String describe(URI uri) {
        return uri.getScheme() + "://" + uri.getHost() + (uri.getPort() >= 0 ? ":" + uri.getPort() : "") + (uri.getRawPath() == null ? "" : uri.getRawPath());
    }

    public static HttpRequest.Builder request(URI uri, Duration timeout, Map<String, String> headers) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri).timeout(timeout);
        headers.forEach(b::header);
        return b;
    }
}
