package dev.certflow.ingest;

import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.source.ItemCounter;
import dev.certflow.ingest.source.YeastarClient;
import dev.certflow.runtime.config.Secret;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Arrays;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * Bodies without end: a server that keeps sending (whitespace, or one string that never closes)
 * must not hold a poll forever nor grow memory without bound. Before Json's read limits each of
 * these read until the heap ran out or the test's deadline passed.
 */
class HostileBodyTest {
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private ServerSocket server;

    /**
     * A raw HTTP/1.1 server: {@code get_token} answers a token; the certificate list answers
     * {@code prefix} then {@code filler} with neither a length nor chunks, so the body ends only
     * when the connection does, which here it does not (1 TiB at most: never waited for).
     */
    private String endless(String prefix, byte filler) throws IOException {
        return endless("200 OK", prefix, filler);
    }

    /** Bytes of the endless body the server got written (into the socket's buffers or read by the client). */
    private final java.util.concurrent.atomic.AtomicLong sent = new java.util.concurrent.atomic.AtomicLong();

    private String endless(String status, String prefix, byte filler) throws IOException {
        // the thread keeps its own socket: on the field, a previous call's thread would accept this call's connections
        ServerSocket listening = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        server = listening;
        Thread t = new Thread(() -> {
            while (!listening.isClosed()) {
                try (Socket s = listening.accept()) {
                    var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                    String target = in.readLine().split(" ")[1];
                    int length = 0;
                    for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                        if (line.toLowerCase().startsWith("content-length:")) {
                            length = Integer.parseInt(line.substring(15).trim());
                        }
                    }
                    in.skip(length);
                    OutputStream out = s.getOutputStream();
                    if (target.contains("/get_token")) {
                        byte[] token = TestSupport.sample("yeastar-get-token-200.json").getBytes(StandardCharsets.UTF_8);
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + token.length
                                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(token);
                        continue;
                    }
                    out.write(("HTTP/1.1 " + status + "\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                    out.write(prefix.getBytes(StandardCharsets.UTF_8));
                    byte[] chunk = new byte[64 * 1024];
                    Arrays.fill(chunk, filler);
                    while (sent.get() < 1L << 40) {
                        out.write(chunk);
                        sent.addAndGet(chunk.length);
                    }
                } catch (IOException | RuntimeException e) {
                    // the client stopped reading, or the server closed
                }
            }
        }, "endless-http");
        t.setDaemon(true);
        t.start();
        return "http://127.0.0.1:" + listening.getLocalPort();
    }

    @AfterEach
    void stop() throws IOException {
        server.close();
    }

    private static YeastarClient client(String base) {
        YeastarSourceConfig c = new YeastarSourceConfig();
        c.name = "pbx-hostile";
        c.baseUrl = base;
        c.clientId = Secret.of("id");
        c.clientSecret = Secret.of("secret");
        c.zone = ZoneId.of("Europe/Berlin");
        c.requestTimeout = Duration.ofSeconds(5);
        return new YeastarClient(c, TestSupport.fetcher(new TestSupport.RecordingSleeper(), 0), ItemCounter.NONE, Clock.fixed(NOW, ZoneOffset.UTC));
    }

    /** The certificate list's endless answer fails the poll as a malformed body, well within the deadline. */
    private void failsAsMalformed(String prefix, byte filler) throws IOException {
        String base = endless(prefix, filler);
        assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
            try (YeastarClient client = client(base)) {
                assertThatThrownBy(() -> client.poll(NOW, new TestSupport.RecordingSink()))
                        .isInstanceOf(SourceException.class)
                        .hasMessageStartingWith("source pbx-hostile: /certificate/list: the body is not valid JSON")
                        .satisfies(e -> assertThat(((SourceException) e).kind()).isEqualTo(SourceException.MALFORMED_BODY));
            }
        });
    }

    /** Whitespace allocates nothing, so only a document length limit ends it (Jackson has none by default). */
    @Test
    void anEndlessBodyIsCutAtTheDocumentLimit() throws Exception {
        failsAsMalformed("{\"errcode\":0,\"errmsg\":\"SUCCESS\",", (byte) ' ');
    }

    @Test
    void aStringWithoutEndIsCutAtTheStringLimit() throws Exception {
        failsAsMalformed("{\"errcode\":0,\"errmsg\":\"", (byte) 'A');
    }

    /**
     * An error answer without end (a 401 and a 503 whose bodies never stop): read up to the fetcher's
     * 64 KiB cap, never drained, so the poll fails at once and the server cannot push more than the
     * sockets' buffers hold. The 503 is retried, each try as bounded.
     */
    @Test
    void anEndlessErrorBodyIsReadOnlyUpToItsCapAndNotDrained() throws Exception {
        for (String status : new String[]{"401 Unauthorized", "503 Service Unavailable"}) {
            sent.set(0);
            String base = endless(status, "{\"errcode\":1,\"errmsg\":\"", (byte) 'E');
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                try (YeastarClient client = client(base)) {
                    assertThatThrownBy(() -> client.poll(NOW, new TestSupport.RecordingSink()))
                            .isInstanceOf(SourceException.class)
                            .hasMessageStartingWith("source pbx-hostile: ")
                            .hasMessageEndingWith(status.startsWith("401") ? "/certificate/list: HTTP 401" : ": HTTP 503")
                            .satisfies(e -> assertThat(((SourceException) e).kind())
                                    .isEqualTo(status.startsWith("401") ? SourceException.AUTH : SourceException.HTTP_5XX));
                }
            });
            // a 1 TiB body; what left the server fits in the loopback sockets' buffers, nowhere near the body
            assertThat(sent.get()).as("bytes the server wrote for the %s", status).isLessThan(64L << 20);
            server.close();
        }
    }
}
