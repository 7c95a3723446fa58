package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.runtime.config.Secret;
import dev.certflow.sink.ChannelConfig;
import dev.certflow.sink.SinkConfig;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.channels.ClosedChannelException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The HTTP channels: Alertmanager API v2, PagerDuty Events API v2, Slack incoming webhook and
 * the signed generic JSON webhook. Each channel has its own {@link HttpClient}, so a slow
 * receiver holds only its own connections. 2xx is delivered; 408, 429 and 5xx, timeouts and I/O
 * errors are retryable; other statuses are not.
 */
public final class HttpChannel implements Channel {
    private static final int MAX_ERROR_BODY = 200;

    private final ChannelConfig config;
    private final ChannelConfig.Type type;
    private final HttpClient client;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final List<String> secrets = new ArrayList<>();

    public HttpChannel(ChannelConfig config, SinkConfig sink) {
        this.config = config;
        this.type = config.type();
        this.requestTimeout = sink.requestTimeout;
        this.connectTimeout = sink.connectTimeout;
        this.client = HttpClient.newBuilder().connectTimeout(sink.connectTimeout).followRedirects(HttpClient.Redirect.NEVER).build();
        for (Secret s : new Secret[]{config.routingKey, config.webhookUrl, config.secret}) {
            if (s != null && !s.reveal().isEmpty()) {
                secrets.add(s.reveal());
            }
        }
    }

    @Override
    public String name() {
        return config.name;
    }

    @Override
    public ChannelConfig.Type type() {
        return type;
    }

    @Override
    public boolean resendsFiring() {
        return type == ChannelConfig.Type.ALERTMANAGER;
    }

    /** The request for one alert (visible for tests). */
    HttpRequest request(Alert alert) {
        String body;
        URI uri;
        HttpRequest.Builder b = HttpRequest.newBuilder().timeout(requestTimeout).header("Content-Type", "application/json")
                .header("User-Agent", "certflow-sink");
        switch (type) {
            case ALERTMANAGER -> {
                uri = URI.create(stripSlash(config.url) + "/api/v2/alerts");
                body = Payloads.alertmanager(alert, Instant.now());
            }
            case PAGERDUTY -> {
                uri = URI.create(config.url);
                body = Payloads.pagerDuty(alert, config.routingKey.reveal());
            }
            case SLACK -> {
                uri = URI.create(config.webhookUrl.reveal());
                body = Payloads.slack(alert);
            }
            case WEBHOOK -> {
                uri = URI.create(config.url);
                body = Payloads.webhook(alert);
                b.header("Idempotency-Key", Payloads.idempotencyKey(alert));
                b.header(config.signatureHeader, Payloads.signature(config.secret.reveal(), body.getBytes(StandardCharsets.UTF_8)));
            }
            default -> throw new IllegalStateException("not an HTTP channel type: " + type);
        }
        return b.uri(uri).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8)).build();
    }

    @Override
    public Attempt send(Alert alert) {
        HttpRequest request;
        try {
            request = request(alert);
        } catch (RuntimeException e) {
            // a bad URL in the configuration: the message could quote the Slack URL, so it is left out
            return new Attempt(false, false, null, "cannot build the request: " + e.getClass().getSimpleName(), null);
        }
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            int status = response.statusCode();
            if (status >= 200 && status < 300) {
                return Attempt.ok(status);
            }
            boolean retryable = status == 408 || status == 429 || status >= 500;
            String body = response.body() == null ? "" : response.body().strip();
            if (body.length() > MAX_ERROR_BODY) {
                body = body.substring(0, MAX_ERROR_BODY) + "...";
            }
            return new Attempt(false, retryable, status, scrub("HTTP " + status + (body.isEmpty() ? "" : ": " + body)), retryAfter(response));
        } catch (HttpConnectTimeoutException e) {
            return new Attempt(false, true, null, "connect timeout after " + connectTimeout.toMillis() + " ms", null);
        } catch (HttpTimeoutException e) {
            return new Attempt(false, true, null, "timeout after " + requestTimeout.toMillis() + " ms", null);
        } catch (IOException e) {
            return new Attempt(false, true, null, scrub(describe(e)), null);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return new Attempt(false, true, null, "interrupted", null);
        }
    }

    /**
     * The class and message of an I/O failure, for the log and {@code delivery_attempts}. The JDK
     * client often throws a bare {@code ConnectException} (its cause, a ClosedChannelException, has
     * no message either), so the first message down the cause chain is used, or a plain phrase.
     * The request body is never part of a JDK I/O message; channel secrets are scrubbed by the caller.
     */
    static String describe(IOException e) {
        String message = null;
        for (Throwable t = e; t != null && message == null; t = t.getCause()) {
            if (t.getMessage() != null && !t.getMessage().isBlank()) {
                message = t.getMessage().strip();
            }
        }
        if (message == null) {
            message = e instanceof ConnectException ? "connection refused"
                    : e instanceof EOFException || e.getCause() instanceof ClosedChannelException ? "connection closed by the receiver"
                    : "no message";
        }
        if (message.length() > MAX_ERROR_BODY) {
            message = message.substring(0, MAX_ERROR_BODY) + "...";
        }
        return e.getClass().getSimpleName() + ": " + message;
    }

    private static Duration retryAfter(HttpResponse<?> response) {
        return response.headers().firstValue("Retry-After").map(v -> {
            try {
                return Duration.ofSeconds(Long.parseLong(v.trim()));
            } catch (NumberFormatException e) {
                return null; // HTTP-date form: use our own backoff
            }
        }).orElse(null);
    }

    /** Removes this channel's secrets from a text that may echo them (a receiver's error body, an I/O message). */
    String scrub(String text) {
        String out = Objects.requireNonNullElse(text, "");
        for (String s : secrets) {
            out = out.replace(s, Secret.MASK);
        }
        return out;
    }

    private static String stripSlash(String url) {
        return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
    }

    @Override
    public void close() {
        // Java 17's HttpClient has no close(); its threads end once the client is unreachable
    }

    /** For tests: the headers the request for this alert carries. */
    Map<String, List<String>> headers(Alert alert) {
        return request(alert).headers().map();
    }
}
