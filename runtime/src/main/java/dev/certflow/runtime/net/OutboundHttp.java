package dev.certflow.runtime.net;

import org.apache.hc.client5.http.ConnectTimeoutException;
import org.apache.hc.client5.http.DnsResolver;
import org.apache.hc.client5.http.classic.methods.HttpUriRequestBase;
import org.apache.hc.client5.http.config.ConnectionConfig;
import org.apache.hc.client5.http.config.RequestConfig;
import org.apache.hc.client5.http.impl.DefaultSchemePortResolver;
import org.apache.hc.client5.http.impl.classic.CloseableHttpClient;
import org.apache.hc.client5.http.impl.classic.HttpClients;
import org.apache.hc.client5.http.impl.io.DefaultHttpClientConnectionOperator;
import org.apache.hc.client5.http.impl.io.PoolingHttpClientConnectionManager;
import org.apache.hc.client5.http.io.DetachedSocketFactory;
import org.apache.hc.client5.http.ssl.DefaultClientTlsStrategy;
import org.apache.hc.client5.http.ssl.TlsSocketStrategy;
import org.apache.hc.core5.http.ClassicHttpResponse;
import org.apache.hc.core5.http.Header;
import org.apache.hc.core5.http.HttpEntity;
import org.apache.hc.core5.http.config.RegistryBuilder;
import org.apache.hc.core5.http.io.entity.ByteArrayEntity;
import org.apache.hc.core5.pool.PoolConcurrencyPolicy;
import org.apache.hc.core5.pool.PoolReusePolicy;
import org.apache.hc.core5.util.TimeValue;
import org.apache.hc.core5.util.Timeout;

import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLException;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import java.io.ByteArrayOutputStream;
import java.io.Closeable;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Proxy;
import java.net.Socket;
import java.net.SocketAddress;
import java.net.SocketTimeoutException;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;

/**
 * The one way certflow makes outbound HTTP requests to configured URLs (ingest's sources, the
 * sink's channels): Apache HttpClient with redirects, retries, cookies, content decoding and
 * proxies off, TLS verified (the JVM's trust store, host name verification on), and every
 * connection checked against the owner's {@link NetworkPolicy} twice:
 * <ol>
 *   <li>after the name is resolved, on every address it resolves to (the {@link DnsResolver} hook:
 *       one refused address refuses the name), and</li>
 *   <li>on connect, on the very address the socket is connecting to (a {@link Socket} whose
 *       {@code connect} checks first).</li>
 * </ol>
 * The client connects only to the addresses its resolver returned, never looking the name up
 * again, and TLS still runs against the host name (SNI, host name verification), so a name that
 * resolves to a public address when checked and to a private one later (DNS rebinding) cannot
 * reach the private one: each new connection resolves and checks afresh, and a pooled connection
 * stays bound to the address it was checked on.
 */
public final class OutboundHttp implements Closeable {
    /** Name resolution; {@link #SYSTEM} in production, tests pass their own. */
    @FunctionalInterface
    public interface Resolver {
        Resolver SYSTEM = InetAddress::getAllByName;

        InetAddress[] resolve(String host) throws UnknownHostException;
    }

    private final String owner;
    private final NetworkPolicy policy;
    private final CloseableHttpClient client;

    private OutboundHttp(String owner, NetworkPolicy policy, Duration connectTimeout, Resolver resolver, SSLContext ssl, int maxConnections) {
        this.owner = owner;
        this.policy = policy;
        DnsResolver dns = new DnsResolver() {
            @Override
            public InetAddress[] resolve(String host) throws UnknownHostException {
                return checkedResolve(host, resolver);
            }

            @Override
            public String resolveCanonicalHostname(String host) throws UnknownHostException {
                return host; // only for SPNEGO, which certflow does not use
            }
        };
        DetachedSocketFactory sockets = proxy -> {
            if (proxy != null && proxy.type() != Proxy.Type.DIRECT) {
                throw new BlockedAddressException(owner + ": proxies are not used for outbound requests");
            }
            return new CheckedSocket();
        };
        var tls = RegistryBuilder.<TlsSocketStrategy>create().register("https", new DefaultClientTlsStrategy(ssl)).build();
        var operator = new DefaultHttpClientConnectionOperator(sockets, DefaultSchemePortResolver.INSTANCE, dns, tls);
        var pool = new PoolingHttpClientConnectionManager(operator, PoolConcurrencyPolicy.STRICT, PoolReusePolicy.LIFO,
                TimeValue.ofMinutes(5), null);
        pool.setMaxTotal(maxConnections);
        pool.setDefaultMaxPerRoute(maxConnections);
        pool.setDefaultConnectionConfig(ConnectionConfig.custom().setConnectTimeout(Timeout.of(connectTimeout))
                .setValidateAfterInactivity(TimeValue.ofSeconds(2)).build());
        this.client = HttpClients.custom().setConnectionManager(pool)
                .disableRedirectHandling().disableAutomaticRetries().disableContentCompression()
                .disableCookieManagement().disableAuthCaching()
                .setDefaultRequestConfig(RequestConfig.custom().setRedirectsEnabled(false).setConnectionRequestTimeout(Timeout.of(connectTimeout)).build())
                .build();
    }

    /** @param owner who connects, for messages: {@code "source esign-main"}, {@code "channel pagerduty"} */
    public static Builder builder(String owner, NetworkPolicy policy) {
        return new Builder(owner, policy);
    }

    /** Options of one client; every one has a safe default. */
    public static final class Builder {
        private final String owner;
        private final NetworkPolicy policy;
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Resolver resolver = Resolver.SYSTEM;
        private SSLContext ssl;
        private int maxConnections = 64;

        private Builder(String owner, NetworkPolicy policy) {
            this.owner = owner;
            this.policy = policy;
        }

        public Builder connectTimeout(Duration d) {
            this.connectTimeout = d;
            return this;
        }

        public Builder resolver(Resolver r) {
            this.resolver = r;
            return this;
        }

        /** The trust material (default: the JVM's); host names are verified whatever the context trusts. */
        public Builder sslContext(SSLContext context) {
            this.ssl = context;
            return this;
        }

        public Builder maxConnections(int n) {
            this.maxConnections = n;
            return this;
        }

        public OutboundHttp build() {
            try {
                return new OutboundHttp(owner, policy, connectTimeout, resolver, ssl != null ? ssl : SSLContext.getDefault(), maxConnections);
            } catch (NoSuchAlgorithmException e) {
                throw new IllegalStateException("no default TLS context", e);
            }
        }
    }

    private InetAddress[] checkedResolve(String host, Resolver resolver) throws UnknownHostException {
        Optional<String> byName = policy.refusal(host);
        if (byName.isPresent()) {
            throw new BlockedAddressException(owner + ": refused to connect to " + host + ": " + byName.get());
        }
        InetAddress[] addresses = resolver.resolve(host);
        if (addresses == null || addresses.length == 0) {
            throw new UnknownHostException(host);
        }
        for (InetAddress a : addresses) {
            check(host, a);
        }
        return addresses;
    }

    private void check(String host, InetAddress address) throws BlockedAddressException {
        Optional<String> why = policy.refusal(address);
        if (why.isPresent()) {
            throw new BlockedAddressException(owner + ": refused to connect to " + host + ": " + why.get());
        }
    }

    /** An unconnected socket of this client (visible for tests): its connect checks the address first. */
    Socket newSocket() {
        return new CheckedSocket();
    }

    /** A socket that checks the address it is asked to connect to. */
    private final class CheckedSocket extends Socket {
        @Override
        public void connect(SocketAddress endpoint, int timeout) throws IOException {
            if (!(endpoint instanceof InetSocketAddress isa) || isa.isUnresolved()) {
                throw new BlockedAddressException(owner + ": refused to connect to an unresolved address");
            }
            check(isa.getHostString(), isa.getAddress());
            super.connect(endpoint, timeout);
        }
    }

    /**
     * Sends a request; the answer's body is read from {@link Exchange#body()} and the exchange must
     * be closed. {@code timeout} bounds the connect-to-headers wait and every read of the body (a
     * stall longer than it fails the read).
     */
    public Exchange open(String method, URI uri, Map<String, List<String>> headers, byte[] body, Duration timeout) throws IOException {
        HttpUriRequestBase request = new HttpUriRequestBase(method, uri);
        headers.forEach((name, values) -> values.forEach(v -> request.addHeader(name, v)));
        if (body != null) {
            request.setEntity(new ByteArrayEntity(body, null));
        }
        request.setConfig(RequestConfig.custom().setRedirectsEnabled(false).setResponseTimeout(Timeout.of(timeout))
                .setConnectionRequestTimeout(Timeout.of(timeout)).build());
        ClassicHttpResponse response = client.executeOpen(null, request, null);
        return new Exchange(request, response);
    }

    /** Sends a request built with the JDK's {@link java.net.http.HttpRequest} builder (its timeout, else {@code defaultTimeout}). */
    public Exchange open(java.net.http.HttpRequest request, Duration defaultTimeout) throws IOException {
        return open(request.method(), request.uri(), request.headers().map(), body(request), request.timeout().orElse(defaultTimeout));
    }

    /** The bytes of a request's body (Yeastar's small JSON posts), or null without one. */
    static byte[] body(java.net.http.HttpRequest request) {
        if (request.bodyPublisher().isEmpty() || request.bodyPublisher().get().contentLength() == 0) {
            return null;
        }
        CompletableFuture<byte[]> done = new CompletableFuture<>();
        request.bodyPublisher().get().subscribe(new Flow.Subscriber<ByteBuffer>() {
            private final ByteArrayOutputStream out = new ByteArrayOutputStream();

            @Override
            public void onSubscribe(Flow.Subscription subscription) {
                subscription.request(Long.MAX_VALUE);
            }

            @Override
            public void onNext(ByteBuffer item) {
                byte[] b = new byte[item.remaining()];
                item.get(b);
                out.writeBytes(b);
            }

            @Override
            public void onError(Throwable throwable) {
                done.completeExceptionally(throwable);
            }

            @Override
            public void onComplete() {
                done.complete(out.toByteArray());
            }
        });
        try {
            return done.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while reading a request body", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("cannot read a request body", e.getCause());
        }
    }

    /** An answer whose body is still to be read. Closing it before the body's end drops the connection instead of draining it. */
    public static final class Exchange implements Closeable {
        private final HttpUriRequestBase request;
        private final ClassicHttpResponse response;
        private final InputStream body;
        private boolean ended;

        Exchange(HttpUriRequestBase request, ClassicHttpResponse response) throws IOException {
            this.request = request;
            this.response = response;
            HttpEntity entity = response.getEntity();
            InputStream raw = entity == null ? InputStream.nullInputStream() : entity.getContent();
            this.body = new FilterInputStream(raw) {
                @Override
                public int read() throws IOException {
                    int b = super.read();
                    ended |= b < 0;
                    return b;
                }

                @Override
                public int read(byte[] buf, int off, int len) throws IOException {
                    int n = super.read(buf, off, len);
                    ended |= n < 0;
                    return n;
                }

                @Override
                public void close() throws IOException {
                    Exchange.this.close();
                }
            };
        }

        public int status() {
            return response.getCode();
        }

        public Optional<String> header(String name) {
            Header h = response.getFirstHeader(name);
            return h == null ? Optional.empty() : Optional.of(h.getValue());
        }

        public InputStream body() {
            return body;
        }

        /** Up to {@code max} bytes of the body, then closes. */
        public byte[] readCapped(int max) {
            try (this) {
                return body.readNBytes(max);
            } catch (IOException e) {
                return new byte[0];
            }
        }

        @Override
        public void close() {
            if (!ended) {
                request.cancel(); // a hostile or huge body is not drained to reuse the connection
            }
            try {
                response.close();
            } catch (IOException ignored) {
                // the connection is gone either way
            }
        }
    }

    /**
     * A short, secret-free reason for an I/O failure of {@link #open} or of reading a body: the
     * policy's refusal, a TLS verification failure (untrusted certificate, wrong host), a timeout,
     * a refused connection, or the exception's class. Never a URL path or query.
     */
    public static String reason(IOException e) {
        if (e instanceof BlockedAddressException) {
            return e.getMessage();
        }
        SSLException tls = cause(e, SSLException.class);
        if (tls != null) {
            String m = String.valueOf(deepestMessage(tls));
            String lower = m.toLowerCase(Locale.ROOT);
            if (tls instanceof SSLPeerUnverifiedException || lower.contains("doesn't match") || lower.contains("no subject alternative")) {
                return "TLS: the server's certificate is not valid for this host (" + trim(m) + ")";
            }
            if (lower.contains("pkix") || lower.contains("unable to find valid certification path") || lower.contains("trust")) {
                return "TLS: the server's certificate is not trusted (self-signed or unknown issuer)";
            }
            if (tls instanceof SSLHandshakeException) {
                return "TLS handshake failed (" + trim(m) + ")";
            }
            return "TLS error (" + trim(m) + ")";
        }
        if (e instanceof ConnectTimeoutException) {
            return "connect timed out";
        }
        if (e instanceof SocketTimeoutException) {
            return "read timed out";
        }
        if (e instanceof UnknownHostException) {
            return "unknown host " + e.getMessage();
        }
        if (cause(e, java.net.ConnectException.class) != null) {
            return "connection refused";
        }
        return e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + trim(e.getMessage()));
    }

    /** Whether TLS verification rejected the server's certificate (not trusted, or not valid for the host). */
    public static boolean isCertificateRejected(IOException e) {
        return reason(e).startsWith("TLS: the server's certificate");
    }

    private static <T extends Throwable> T cause(Throwable t, Class<T> type) {
        for (Throwable c = t; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (type.isInstance(c)) {
                return type.cast(c);
            }
        }
        return null;
    }

    private static String deepestMessage(Throwable t) {
        String m = t.getMessage();
        for (Throwable c = t.getCause(); c != null && c != c.getCause(); c = c.getCause()) {
            if (c.getMessage() != null) {
                m = c.getMessage();
            }
        }
        return m;
    }

    private static String trim(String m) {
        String s = m.replaceAll("\\?\\S*", "?…");
        return s.length() > 200 ? s.substring(0, 200) + "…" : s;
    }

    public String owner() {
        return owner;
    }

    public NetworkPolicy policy() {
        return policy;
    }

    @Override
    public void close() throws IOException {
        client.close();
    }
}
