package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.net.BlockedAddressException;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.sink.SinkConfig;

import org.apache.hc.client5.http.ConnectTimeoutException;

import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.SocketTimeoutException;
import java.net.http.HttpRequest;
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
 * the signed generic JSON webhook. Each channel has its own {@link OutboundHttp} client, so a slow
 * receiver holds only its own connections, and its own network policy ({@code allowPrivateNetworks},
 * {@code allowedNetworks}), checked on every connection; redirects are never followed and TLS is
 * verified. 2xx is delivered; 408, 429 and 5xx, timeouts and I/O errors are retryable; other
 * statuses are not, nor is an address the policy refuses or a certificate TLS verification rejects.
 */
public final class HttpChannel implements Channel {
    private static final int MAX_ERROR_BODY = 200;

    private final ChannelConfig config;
    private final ChannelConfig.Type type;
    private final OutboundHttp client;
    private final Duration requestTimeout;
    private final Duration connectTimeout;
    private final List<String> secrets = new ArrayList<>();

    public HttpChannel(ChannelConfig config, SinkConfig sink) {
        this(config, sink, OutboundHttp.builder(config.type().id() + " channel '" + config.name + "'", config.networkPolicy())
                .connectTimeout(sink.connectTimeout).build());
    }

    /** With a client of the caller's (tests: another resolver or trust store). */
    HttpChannel(ChannelConfig config, SinkConfig sink, OutboundHttp client) {
        this.config = config;
        this.type = config.type();
        this.requestTimeout = sink.requestTimeout;
        this.connectTimeout = sink.connectTimeout;
        this.client = client;
        for (Secret s : new Secret[]{config.routingKey, config.webhookUrl, config.secret}) {
            if (s != null && !s.reveal().isEmpty()) {
                secrets.add(s.reveal());
            }
        }
        if (config.webhookUrl != null) {
            // a receiver or a proxy in front of it may echo only the request line: the Slack URL's path is the credential too
            try {
                String path = URI.create(config.webhookUrl.reveal()).getRawPath();
                if (path != null && path.length() > 8) {
                    secrets.add(path);
                }
            } catch (IllegalArgumentException e) {
                // a URL the configuration check already refuses
            }
        }
        // the longest first, so a secret that contains another is masked whole
        secrets.sort(java.util.Comparator.comparingInt(String::length).reversed());
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
        return exchange(() -> request(alert));
    }

    /** PagerDuty: an {@code acknowledge} event for the alert's incident; the other types have nothing to send. */
    @Override
    public Attempt acknowledge(Alert alert) {
        if (type != ChannelConfig.Type.PAGERDUTY) {
            return Attempt.ok(null);
        }
        return exchange(() -> post(URI.create(config.url), Payloads.pagerDutyAcknowledge(alert, config.routingKey.reveal())).build());
    }

    /**
     * Posts a document that is not an alert (a digest): Slack takes {@code slackBody}; the webhook
     * takes {@code json} with {@code Idempotency-Key} and the signature. Other types refuse it.
     */
    public Attempt sendDocument(String slackBody, String json, String idempotencyKey) {
        return exchange(() -> switch (type) {
            case SLACK -> post(URI.create(config.webhookUrl.reveal()), slackBody).build();
            case WEBHOOK -> post(URI.create(config.url), json).header("Idempotency-Key", idempotencyKey)
                    .header(config.signatureHeader, Payloads.signature(config.secret.reveal(), json.getBytes(StandardCharsets.UTF_8))).build();
            default -> throw new IllegalStateException("a " + type.id() + " channel takes no documents");
        });
    }

    private HttpRequest.Builder post(URI uri, String body) {
        return HttpRequest.newBuilder().timeout(requestTimeout).header("Content-Type", "application/json").header("User-Agent", "certflow-sink")
                .uri(uri).POST(HttpRequest.BodyPublishers.ofString(body, StandardCharsets.UTF_8));
    }

    private Attempt exchange(java.util.function.Supplier<HttpRequest> build) {
        HttpRequest request;
        try {
            request = build.get();
        } catch (RuntimeException e) {
            // a bad URL in the configuration: the message could quote the Slack URL, so it is left out
            return new Attempt(false, false, null, "cannot build the request: " + e.getClass().getSimpleName(), null);
        }
        try (OutboundHttp.Exchange response = client.open(request, requestTimeout)) {
            int status = response.status();
            if (status >= 200 && status < 300) {
                return Attempt.ok(status);
            }
            boolean retryable = status == 408 || status == 429 || status >= 500;
            // scrubbed before it is cut: a secret cut in half would not be recognised
            String text = scrub(new String(response.readCapped(MAX_ERROR_BODY * 4), StandardCharsets.UTF_8).strip());
            if (text.length() > MAX_ERROR_BODY) {
                text = text.substring(0, MAX_ERROR_BODY) + "...";
            }
            return new Attempt(false, retryable, status, "HTTP " + status + (text.isEmpty() ? "" : ": " + text),
                    retryAfter(response.header("Retry-After").orElse(null)));
        } catch (BlockedAddressException e) {
            return new Attempt(false, false, null, scrub(e.getMessage()), null);
        } catch (ConnectTimeoutException e) {
            return new Attempt(false, true, null, "connect timeout after " + connectTimeout.toMillis() + " ms", null);
        } catch (SocketTimeoutException e) {
            return new Attempt(false, true, null, "timeout after " + requestTimeout.toMillis() + " ms", null);
        } catch (IOException e) {
            if (OutboundHttp.isCertificateRejected(e)) {
                return new Attempt(false, false, null, scrub(OutboundHttp.reason(e)), null);
            }
            return new Attempt(false, true, null, scrub(describe(e)), null);
        }
    }

    /**
     * The class and message of an I/O failure, for the log and {@code delivery_attempts}: a refused
     * connection as such, otherwise the first message down the cause chain, or a plain phrase.
     * The request body is never part of a JDK I/O message; channel secrets are scrubbed by the caller.
     */
    static String describe(IOException e) {
        if (e instanceof ConnectException) {
            return "ConnectException: connection refused"; // HttpClient's HttpHostConnectException repeats the URL
        }
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

    private static Duration retryAfter(String v) {
        if (v == null) {
            return null;
        }
        try {
            return Duration.ofSeconds(Long.parseLong(v.trim()));
        } catch (NumberFormatException e) {
            return null; // HTTP-date form: use our own backoff
        }
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
        try {
            client.close();
        } catch (IOException ignored) {
            // its connections are gone either way
        }
    }

    /** For tests: the headers the request for this alert carries. */
    Map<String, List<String>> headers(Alert alert) {
        return request(alert).headers().map();
    }
}
