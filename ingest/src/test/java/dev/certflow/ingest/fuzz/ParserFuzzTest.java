package dev.certflow.ingest.fuzz;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.ingest.TestSupport;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.source.Dates;
import dev.certflow.ingest.source.ItemCounter;
import dev.certflow.ingest.source.ItemError;
import dev.certflow.ingest.source.LeegalityClient;
import dev.certflow.ingest.source.SmoxyClient;
import dev.certflow.ingest.source.SourceClient;
import dev.certflow.ingest.source.YeastarClient;
import dev.certflow.runtime.config.Secret;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The vendor parsers and the date parsing under hostile input (issue 14). Each fuzz test takes the
 * body a source answers; a loopback server serves it to the real client, through the real
 * {@link HttpFetcher}. The properties, checked on every input:
 * <ul>
 *   <li>a poll either completes or fails with a {@link SourceException} naming the source: any other
 *       exception (or error, such as a stack overflow or running out of memory) is a finding;</li>
 *   <li>every malformed item becomes an {@link ItemError} naming its field, with its source in its
 *       key when it can be identified, and neither the error nor the dead-lettered JSON carries a
 *       credential;</li>
 *   <li>no input takes longer than the {@link Timeout} (reading is also bounded by the request timeout).</li>
 * </ul>
 * {@code mvn verify} replays the corpus under {@code src/test/resources/dev/certflow/ingest/fuzz/ParserFuzzTestInputs};
 * {@code JAZZER_FUZZ=1} fuzzes (see the ingest README).
 */
class ParserFuzzTest {
    private static final String CANARY = "fuzz-CANARY-7Hq2";
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final AtomicReference<byte[]> BODY = new AtomicReference<>(new byte[0]);
    private static final byte[] TOKEN = TestSupport.sample("yeastar-get-token-200.json").getBytes(StandardCharsets.UTF_8);
    private static final String BASE = server();
    private static final HttpFetcher HTTP = new HttpFetcher(source -> TestSupport.LOOPBACK, 0, Duration.ofMillis(1), Duration.ofMillis(1),
            Duration.ofSeconds(1), new TestSupport.RecordingSleeper(), Clock.fixed(NOW, ZoneOffset.UTC));
    private static final List<ZoneId> ZONES = List.of(ZoneOffset.UTC, ZoneId.of("Europe/Berlin"), ZoneId.of("Asia/Kolkata"),
            ZoneId.of("America/New_York"), ZoneId.of("Pacific/Chatham"), ZoneId.of("Australia/Lord_Howe"));

    /** One keep-alive server for every input: Yeastar's token is fixed, every other path answers the input. */
    private static String server() {
        try {
            HttpServer s = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            s.createContext("/", ex -> {
                ex.getRequestBody().readAllBytes();
                byte[] body = ex.getRequestURI().getPath().endsWith("/get_token") ? TOKEN : BODY.get();
                ex.getResponseHeaders().add("Content-Type", "application/json");
                ex.sendResponseHeaders(200, body.length == 0 ? -1 : body.length);
                if (body.length > 0) {
                    ex.getResponseBody().write(body);
                }
                ex.close();
            });
            s.start();
            return "http://127.0.0.1:" + s.getAddress().getPort();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void poll(SourceClient client, String source, byte[] body) throws InterruptedException {
        BODY.set(body);
        TestSupport.RecordingSink sink = new TestSupport.RecordingSink();
        try (client) {
            client.poll(NOW, sink);
        } catch (SourceException e) {
            assertThat(e.getMessage()).startsWith("source " + source + ":").doesNotContain(CANARY);
        } catch (Exception e) {
            throw new AssertionError("source " + source + ": undocumented " + e, e);
        }
        for (ItemError error : sink.errors) {
            assertThat(error.field()).as("the field of %s", error.message()).isNotBlank();
            assertThat(error.message()).isNotBlank().doesNotContain(CANARY);
            assertThat(new String(error.itemJson(), StandardCharsets.UTF_8)).doesNotContain(CANARY);
            if (error.certificateKey() != null) {
                assertThat(error.certificateKey()).contains("/" + source + "/");
            }
        }
    }

    @FuzzTest(maxDuration = "5m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void leegality(byte[] body) throws Exception {
        LeegalitySourceConfig c = new LeegalitySourceConfig();
        c.name = "esign-fuzz";
        c.baseUrl = BASE;
        c.token = Secret.of(CANARY + "-lee");
        c.zone = ZoneId.of("Asia/Kolkata");
        c.requestTimeout = Duration.ofSeconds(5);
        poll(new LeegalityClient(c, HTTP, 50, ItemCounter.NONE), c.name, body);
    }

    /** Both the certificate collection and every attempts collection answer the input. */
    @FuzzTest(maxDuration = "5m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void smoxy(byte[] body) throws Exception {
        SmoxySourceConfig c = new SmoxySourceConfig();
        c.name = "smoxy-fuzz";
        c.baseUrl = BASE;
        c.organizationId = "org-1";
        c.token = Secret.of(CANARY + "-smoxy");
        c.maxPages = 3;
        c.attemptConcurrency = 2;
        c.requestTimeout = Duration.ofSeconds(5);
        poll(new SmoxyClient(c, HTTP, ItemCounter.NONE), c.name, body);
    }

    @FuzzTest(maxDuration = "5m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void yeastar(byte[] body) throws Exception {
        YeastarSourceConfig c = new YeastarSourceConfig();
        c.name = "pbx-fuzz";
        c.baseUrl = BASE;
        c.clientId = Secret.of(CANARY + "-id");
        c.clientSecret = Secret.of(CANARY + "-secret");
        c.zone = ZoneId.of("Europe/Berlin");
        c.requestTimeout = Duration.ofSeconds(5);
        poll(new YeastarClient(c, HTTP, ItemCounter.NONE, Clock.fixed(NOW, ZoneOffset.UTC)), c.name, body);
    }

    /** Dates never throw: an instant or null ("unparseable", its own state), for any text in any zone. */
    @FuzzTest(maxDuration = "5m")
    @Timeout(value = 10, unit = TimeUnit.SECONDS)
    void dates(FuzzedDataProvider data) {
        ZoneId zone = data.pickValue(ZONES);
        String raw = data.consumeRemainingAsString();
        Instant flexible = Dates.parseFlexible(raw, zone);
        Instant yeastar = Dates.parseYeastar(raw, zone);
        if (raw.isBlank()) {
            assertThat(flexible).isNull();
            assertThat(yeastar).isNull();
        }
    }
}
