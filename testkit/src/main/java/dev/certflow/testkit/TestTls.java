package dev.certflow.testkit;

import com.sun.net.httpserver.HttpsConfigurator;
import com.sun.net.httpserver.HttpsServer;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An HTTPS server on loopback with a self-signed certificate made for the test by the JDK's
 * {@code keytool} (no library, nothing downloaded): valid from the moment it is made for two days,
 * for the DNS names given. Every request is answered {@code 200 {}}.
 */
public final class TestTls implements AutoCloseable {
    private static final char[] PASSWORD = "changeit".toCharArray();
    private final HttpsServer server;
    private final KeyStore keyStore;
    private final AtomicInteger requests = new AtomicInteger();

    private TestTls(HttpsServer server, KeyStore keyStore) {
        this.server = server;
        this.keyStore = keyStore;
    }

    /** @param dnsNames the certificate's subject alternative names (the first is also its CN) */
    public static TestTls start(String... dnsNames) {
        try {
            KeyStore ks = selfSigned(dnsNames);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, PASSWORD);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), null, null);
            HttpsServer server = HttpsServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setHttpsConfigurator(new HttpsConfigurator(ctx));
            TestTls tls = new TestTls(server, ks);
            server.createContext("/", exchange -> {
                tls.requests.incrementAndGet();
                exchange.getRequestBody().readAllBytes();
                byte[] body = "{}".getBytes(StandardCharsets.UTF_8);
                exchange.getResponseHeaders().add("Content-Type", "application/json");
                exchange.sendResponseHeaders(200, body.length);
                exchange.getResponseBody().write(body);
                exchange.close();
            });
            server.start();
            return tls;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (GeneralSecurityException | InterruptedException e) {
            throw new IllegalStateException("cannot make the test certificate", e);
        }
    }

    private static KeyStore selfSigned(String... dnsNames) throws IOException, GeneralSecurityException, InterruptedException {
        Path dir = Files.createTempDirectory("certflow-tls");
        Path file = dir.resolve("server.p12");
        List<String> san = new ArrayList<>();
        for (String n : dnsNames) {
            san.add("dns:" + n);
        }
        String keytool = Path.of(System.getProperty("java.home"), "bin", "keytool").toString();
        Process p = new ProcessBuilder(keytool, "-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1",
                "-dname", "CN=" + dnsNames[0], "-ext", "SAN=" + String.join(",", san), "-validity", "2",
                "-keystore", file.toString(), "-storetype", "PKCS12", "-storepass", new String(PASSWORD), "-keypass", new String(PASSWORD))
                .redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IllegalStateException("keytool failed: " + out);
        }
        KeyStore ks = KeyStore.getInstance("PKCS12");
        try (InputStream in = Files.newInputStream(file)) {
            ks.load(in, PASSWORD);
        }
        Files.delete(file);
        Files.delete(dir);
        return ks;
    }

    /** {@code https://host:port} of the server ({@code host} must resolve to loopback). */
    public String url(String host) {
        return "https://" + host + ":" + server.getAddress().getPort();
    }

    /** A client context that trusts exactly this server's certificate. */
    public SSLContext trustingContext() {
        try {
            KeyStore trust = KeyStore.getInstance("PKCS12");
            trust.load(null, null);
            trust.setCertificateEntry("server", keyStore.getCertificate("server"));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(null, tmf.getTrustManagers(), null);
            return ctx;
        } catch (IOException | GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Requests that reached a handler (a failed handshake never does). */
    public int requests() {
        return requests.get();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
