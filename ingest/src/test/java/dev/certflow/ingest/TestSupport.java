package dev.certflow.ingest;

import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.runtime.service.Sleeper;
import dev.certflow.ingest.source.CertState;
import dev.certflow.ingest.source.ItemError;
import dev.certflow.ingest.source.Observation;
import dev.certflow.ingest.source.PollSink;
import dev.certflow.runtime.net.NetworkPolicy;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.schemas.CertificateKeys;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiPredicate;

/** Shared test helpers: sample bodies, a recording sleeper, a fetcher, and an in-memory sink. */
public final class TestSupport {
    private TestSupport() {
    }

    public static String sample(String name) {
        try (InputStream in = TestSupport.class.getResourceAsStream("/samples/" + name)) {
            if (in == null) {
                throw new IllegalArgumentException("no sample " + name);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Records the waits instead of sleeping. */
    public static final class RecordingSleeper implements Sleeper {
        public final List<Duration> waits = new CopyOnWriteArrayList<>();

        @Override
        public void sleep(Duration duration) {
            waits.add(duration);
        }
    }

    /** A client allowed to reach loopback only (the tests' servers), for every source. */
    public static final OutboundHttp LOOPBACK = OutboundHttp.builder("test", NetworkPolicy.loopback()).connectTimeout(Duration.ofSeconds(2)).build();

    public static HttpFetcher fetcher(RecordingSleeper sleeper, int retries) {
        return new HttpFetcher(source -> LOOPBACK, retries, Duration.ofMillis(100), Duration.ofSeconds(1),
                Duration.ofSeconds(30), sleeper, Clock.fixed(Instant.parse("2026-11-22T10:00:00Z"), ZoneOffset.UTC));
    }

    /**
     * A bare HTTP/1.1 server on loopback, one answer per connection: {@code answer} maps the request
     * target (path and query) to a JSON body, and a body prefixed {@link #CUT} is announced whole
     * (its Content-Length) but the connection closes after its first bytes, as a lost connection
     * mid-answer would. (WireMock's chunk faults do not always close the connection.)
     */
    public static final class RawServer implements AutoCloseable {
        public static final String CUT = "CUT:";
        private final java.net.ServerSocket socket;
        public final List<String> targets = new CopyOnWriteArrayList<>();

        public RawServer(java.util.function.Function<String, String> answer) throws IOException {
            socket = new java.net.ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread t = new Thread(() -> {
                while (!socket.isClosed()) {
                    try (java.net.Socket s = socket.accept()) {
                        var in = new java.io.BufferedReader(new java.io.InputStreamReader(s.getInputStream(), StandardCharsets.ISO_8859_1));
                        String target = in.readLine().split(" ")[1];
                        for (String line = in.readLine(); line != null && !line.isEmpty(); line = in.readLine()) {
                            // headers: not needed
                        }
                        targets.add(target);
                        String body = answer.apply(target);
                        boolean cut = body.startsWith(CUT);
                        byte[] bytes = (cut ? body.substring(CUT.length()) : body).getBytes(StandardCharsets.UTF_8);
                        var out = s.getOutputStream();
                        out.write(("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: " + bytes.length
                                + "\r\nConnection: close\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                        out.write(bytes, 0, cut ? Math.min(5, bytes.length) : bytes.length);
                        out.flush();
                    } catch (IOException | RuntimeException e) {
                        // closed, or a client that went away
                    }
                }
            }, "raw-http");
            t.setDaemon(true);
            t.start();
        }

        public String baseUrl() {
            return "http://127.0.0.1:" + socket.getLocalPort();
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }

    /** A PollSink that keeps pages in memory and applies checkpoints like the publisher does. */
    public static final class RecordingSink implements PollSink {
        public final Map<String, CertState> state = new HashMap<>();
        public final List<List<Observation>> pages = new ArrayList<>();
        public final List<ItemError> errors = new ArrayList<>();
        public final List<BiPredicate<String, CertState>> complete = new ArrayList<>();

        @Override
        public CertState state(String certificateKey) {
            return state.get(certificateKey);
        }

        @Override
        public void page(List<Observation> observations, List<ItemError> errs) {
            pages.add(List.copyOf(observations));
            errors.addAll(errs);
            for (Observation o : observations) {
                String key = CertificateKeys.format(o.certificate().getKey());
                CertState prior = state.get(key);
                state.put(key, new CertState(o.certificate().getKey(), "fp",
                        o.lastAttemptId() != null ? o.lastAttemptId() : prior == null ? null : prior.lastAttemptId(),
                        o.lastAttemptId() != null ? o.lastAttemptStartedAt() : prior == null ? null : prior.lastAttemptStartedAt(),
                        o.lastStatus() != null ? o.lastStatus() : prior == null ? null : prior.lastStatus(),
                        o.certificate().getNotAfter()));
            }
        }

        @Override
        public void listingComplete(BiPredicate<String, CertState> wouldInclude) {
            complete.add(wouldInclude);
        }

        public List<Observation> all() {
            return pages.stream().flatMap(List::stream).toList();
        }

        public void reset() {
            pages.clear();
            errors.clear();
            complete.clear();
        }
    }
}
