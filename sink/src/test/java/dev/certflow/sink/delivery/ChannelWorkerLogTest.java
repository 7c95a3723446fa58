package dev.certflow.sink.delivery;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.Secret;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.LogCapture;
import dev.certflow.sink.RecordingReceiver;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.net.ServerSocket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/** A failed delivery attempt is logged with its real cause, never with the payload or a secret. */
class ChannelWorkerLogTest {
    private static final String SECRET = "hmac-CANARY-0ddba11";
    private HikariDataSource ds;
    private LogCapture logs;
    private final List<String> deadLettered = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        logs = new LogCapture();
    }

    @AfterEach
    void tearDown() {
        logs.close();
        ds.close();
    }

    private HttpChannel webhook(String url) {
        ChannelConfig c = new ChannelConfig();
        c.name = "hook";
        c.type = "webhook";
        c.url = url;
        c.allowedNetworks = java.util.List.of("127.0.0.0/8");
        c.secret = Secret.of(SECRET);
        SinkConfig sink = new SinkConfig();
        sink.connectTimeout = Duration.ofSeconds(2);
        sink.requestTimeout = Duration.ofSeconds(2);
        return new HttpChannel(c, sink);
    }

    /** Delivers one alert with two attempts and waits for its final outcome (dead-lettered here). */
    private Alert deliver(HttpChannel channel) throws InterruptedException {
        Alert alert = Fixtures.alert("al-log", AlertStatus.FIRING, Severity.CRITICAL);
        CountDownLatch done = new CountDownLatch(1);
        try (DeliveryLog log = new DeliveryLog(ds);
             ChannelWorker worker = new ChannelWorker(new ChannelConfig(), channel, log, (task, ch, error) -> deadLettered.add(error), 2, 1,
                     Duration.ofMillis(10), Duration.ofMillis(50), new SimpleMeterRegistry()).start()) {
            worker.submit(new ChannelWorker.Task(alert, "certificate-alerts", 0, 0L, false, done::countDown));
            assertThat(done.await(30, TimeUnit.SECONDS)).as("a final outcome").isTrue();
        }
        return alert;
    }

    private List<String> attemptLines() {
        return logs.lines().stream().filter(l -> l.startsWith("Channel hook: alert al-log attempt")).toList();
    }

    @Test
    void aRefusedConnectionIsLoggedAsSuchNotAsHttpNull() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort(); // closed again: nothing listens there
        }
        Alert alert = deliver(webhook("http://127.0.0.1:" + port + "/hooks/certflow"));

        assertThat(attemptLines()).containsExactly(
                "Channel hook: alert al-log attempt 1/2 failed (ConnectException: connection refused), retrying",
                "Channel hook: alert al-log attempt 2/2 failed (ConnectException: connection refused)");
        assertThat(Fixtures.string(ds, "SELECT error FROM delivery_attempts WHERE attempt = 1")).isEqualTo("ConnectException: connection refused");
        assertThat(deadLettered).containsExactly("ConnectException: connection refused");
        assertThat(String.join("\n", logs.lines())).doesNotContain("HTTP null").doesNotContain(SECRET).doesNotContain(alert.getSummary());
    }

    @Test
    void anHttpFailureIsLoggedWithItsStatusAndTheReceiversBodyStaysInTheTable() throws Exception {
        Alert alert;
        try (RecordingReceiver receiver = new RecordingReceiver(503)) {
            // a receiver that echoes what it was sent: the body must not reach the log
            receiver.answering(503, "{\"error\":\"overloaded\",\"echo\":\"Certificate c-al-log.example.com expires in 5 days\"}");
            alert = deliver(webhook(receiver.url("/hooks/certflow")));
            assertThat(receiver.count()).isEqualTo(2);
        }
        assertThat(attemptLines()).containsExactly(
                "Channel hook: alert al-log attempt 1/2 failed (HTTP 503), retrying",
                "Channel hook: alert al-log attempt 2/2 failed (HTTP 503)");
        assertThat(String.join("\n", logs.lines())).doesNotContain(alert.getSummary()).doesNotContain(SECRET);
        assertThat(Fixtures.string(ds, "SELECT error FROM delivery_attempts WHERE attempt = 1")).contains("HTTP 503").contains("overloaded");
    }
}
