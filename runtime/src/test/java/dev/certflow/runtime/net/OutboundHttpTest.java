package dev.certflow.runtime.net;

import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OutboundHttpTest {
    private final List<HttpServer> servers = new ArrayList<>();

    @AfterEach
    void stop() {
        servers.forEach(s -> s.stop(0));
    }

    /** An HTTP server on {@code address:port} counting its requests; every answer closes the connection. */
    private AtomicInteger server(String address, int port) throws IOException {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getByName(address), port), 0);
        AtomicInteger hits = new AtomicInteger();
        s.createContext("/", ex -> {
            hits.incrementAndGet();
            byte[] body = ("hello from " + address).getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().add("Connection", "close");
            ex.sendResponseHeaders(200, body.length);
            ex.getResponseBody().write(body);
            ex.close();
        });
        s.start();
        servers.add(s);
        return hits;
    }

    private static String get(OutboundHttp http, String url) throws IOException {
        try (OutboundHttp.Exchange ex = http.open("GET", URI.create(url), Map.of(), null, Duration.ofSeconds(5))) {
            return new String(ex.body().readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    @Test
    void loopbackIsRefusedUnlessThePolicyAllowsIt() throws Exception {
        server("127.0.0.1", 0);
        int port = servers.get(0).getAddress().getPort();
        try (OutboundHttp publicOnly = OutboundHttp.builder("source s1", NetworkPolicy.PUBLIC_ONLY).build();
             OutboundHttp loopback = OutboundHttp.builder("source s1", NetworkPolicy.loopback()).build()) {
            assertThatThrownBy(() -> get(publicOnly, "http://127.0.0.1:" + port + "/x?token=SECRET"))
                    .isInstanceOf(BlockedAddressException.class)
                    .hasMessage("source s1: refused to connect to 127.0.0.1: 127.0.0.1 is loopback (127.0.0.0/8);"
                            + " allowPrivateNetworks: true or an allowedNetworks entry holding it allows it");
            assertThatThrownBy(() -> get(publicOnly, "http://localhost:" + port + "/"))
                    .isInstanceOf(BlockedAddressException.class).hasMessageContaining("loopback");
            assertThat(get(loopback, "http://127.0.0.1:" + port + "/")).isEqualTo("hello from 127.0.0.1");
        }
    }

    @Test
    void metadataNamesAndAddressesAreRefusedWithoutConnecting() {
        AtomicInteger lookups = new AtomicInteger();
        OutboundHttp.Resolver counting = host -> {
            lookups.incrementAndGet();
            return new InetAddress[]{InetAddress.getByName("169.254.169.254")};
        };
        try (OutboundHttp http = OutboundHttp.builder("channel pd", NetworkPolicy.of(true, List.of())).resolver(counting).build()) {
            assertThatThrownBy(() -> get(http, "http://metadata.google.internal/computeMetadata/v1/"))
                    .isInstanceOf(BlockedAddressException.class).hasMessageContaining("cloud metadata service name");
            assertThat(lookups).as("refused before the lookup").hasValue(0);
            assertThatThrownBy(() -> get(http, "http://instance.example/latest/meta-data/"))
                    .isInstanceOf(BlockedAddressException.class).hasMessageContaining("169.254.169.254 is cloud metadata");
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    /**
     * DNS rebinding: the name first resolves to an allowed address (127.0.0.2, standing in for a
     * public one: this test sends nothing off the machine), then to a refused one (127.0.0.1) where
     * an internal service listens on the same port. The second connection must be refused and the
     * internal service never reached.
     */
    @Test
    void aNameThatResolvesToARefusedAddressLaterIsRefusedOnThatConnection() throws Exception {
        AtomicInteger internal = server("127.0.0.1", 0);
        int port = servers.get(0).getAddress().getPort();
        AtomicInteger allowed = server("127.0.0.2", port);
        AtomicInteger lookups = new AtomicInteger();
        OutboundHttp.Resolver rebinding = host -> new InetAddress[]{InetAddress.getByName(lookups.getAndIncrement() == 0 ? "127.0.0.2" : "127.0.0.1")};
        try (OutboundHttp http = OutboundHttp.builder("source rebind", NetworkPolicy.of(false, List.of("127.0.0.2/32"))).resolver(rebinding).build()) {
            assertThat(get(http, "http://api.rebind.test:" + port + "/")).isEqualTo("hello from 127.0.0.2");
            assertThatThrownBy(() -> get(http, "http://api.rebind.test:" + port + "/"))
                    .isInstanceOf(BlockedAddressException.class)
                    .hasMessageContaining("refused to connect to api.rebind.test: 127.0.0.1 is loopback");
        }
        assertThat(lookups.get()).as("each new connection resolves afresh").isEqualTo(2);
        assertThat(allowed).hasValue(1);
        assertThat(internal).as("the internal service is never reached").hasValue(0);
    }

    /** The second check: whatever address a connect is asked for is checked on the socket itself. */
    @Test
    void theSocketChecksTheAddressItConnectsTo() throws Exception {
        server("127.0.0.1", 0);
        int port = servers.get(0).getAddress().getPort();
        try (OutboundHttp http = OutboundHttp.builder("source s2", NetworkPolicy.of(false, List.of("127.0.0.2/32"))).build();
             Socket socket = http.newSocket()) {
            assertThatThrownBy(() -> socket.connect(new InetSocketAddress("127.0.0.1", port), 1000))
                    .isInstanceOf(BlockedAddressException.class).hasMessageContaining("127.0.0.1 is loopback");
            assertThat(socket.isConnected()).isFalse();
        }
    }

    @Test
    void redirectsAreReturnedNotFollowed() throws Exception {
        HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        AtomicInteger followed = new AtomicInteger();
        s.createContext("/from", ex -> {
            ex.getResponseHeaders().add("Location", "/to");
            ex.sendResponseHeaders(302, -1);
            ex.close();
        });
        s.createContext("/to", ex -> {
            followed.incrementAndGet();
            ex.sendResponseHeaders(200, -1);
            ex.close();
        });
        s.start();
        servers.add(s);
        try (OutboundHttp http = OutboundHttp.builder("source r", NetworkPolicy.loopback()).build();
             OutboundHttp.Exchange ex = http.open("GET", URI.create("http://127.0.0.1:" + s.getAddress().getPort() + "/from"), Map.of(), null,
                     Duration.ofSeconds(5))) {
            assertThat(ex.status()).isEqualTo(302);
        }
        assertThat(followed).hasValue(0);
    }
}
