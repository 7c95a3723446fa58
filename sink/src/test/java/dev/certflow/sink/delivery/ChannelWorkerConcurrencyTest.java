package dev.certflow.sink.delivery;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Benchmark finding R7: one channel sends several certificates' alerts at once (bounded by its
 * concurrency), keeps one certificate's transitions in order, and records the attempts in batches
 * whose rows are committed before the offset may move.
 */
class ChannelWorkerConcurrencyTest {
    private HikariDataSource ds;

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    /** A receiver that holds each request until {@code gate} requests are open at once (or a timeout passes). */
    private static final class GatedChannel implements Channel {
        final AtomicInteger open = new AtomicInteger();
        final AtomicInteger maxOpen = new AtomicInteger();
        final CountDownLatch gate;
        final List<String> received = new CopyOnWriteArrayList<>();

        GatedChannel(int gate) {
            this.gate = new CountDownLatch(gate);
        }

        @Override
        public String name() {
            return "gated";
        }

        @Override
        public ChannelConfig.Type type() {
            return ChannelConfig.Type.WEBHOOK;
        }

        @Override
        public Attempt send(Alert alert) {
            maxOpen.accumulateAndGet(open.incrementAndGet(), Math::max);
            gate.countDown();
            try {
                gate.await(2, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            received.add(alert.getAlertId() + "/" + alert.getStatus());
            open.decrementAndGet();
            return Attempt.ok(200);
        }
    }

    private static Alert alert(String id, AlertStatus status) {
        return Fixtures.alert(id, status, Severity.CRITICAL);
    }

    @Test
    void alertsOfDifferentCertificatesAreSentConcurrentlyUpToTheChannelsConcurrency() throws Exception {
        GatedChannel channel = new GatedChannel(4);
        CountDownLatch done = new CountDownLatch(8);
        SimpleMeterRegistry registry = new SimpleMeterRegistry();
        try (DeliveryLog log = new DeliveryLog(ds);
             ChannelWorker worker = new ChannelWorker(new ChannelConfig(), channel, log, (t, c, e) -> { }, 1, 4,
                     Duration.ofMillis(10), Duration.ofMillis(50), registry).start()) {
            // eight certificates spread over the lanes; four lanes hold four at most at once
            List<Alert> alerts = new ArrayList<>();
            for (int i = 0; alerts.size() < 8; i++) {
                alerts.add(alert("conc-" + i, AlertStatus.FIRING));
            }
            alerts.forEach(a -> worker.submit(new ChannelWorker.Task(a, "certificate-alerts", 0, 0L, false, done::countDown)));
            assertThat(done.await(30, TimeUnit.SECONDS)).as("every alert has its outcome").isTrue();
        }
        assertThat(channel.maxOpen.get()).as("requests open at once").isGreaterThan(1).isLessThanOrEqualTo(4);
        assertThat(channel.received).hasSize(8);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts WHERE outcome = 'DELIVERED'"))
                .as("each outcome recorded before done").isEqualTo(8);
        // the delivery's timers: one wait and one attempt per alert; the gate held the attempts open together
        assertThat(registry.get("certflow.sink.delivery.wait").tag("channel", "gated").timer().count()).isEqualTo(8);
        var send = registry.get("certflow.sink.delivery.send").tag("channel", "gated").timer();
        assertThat(send.count()).isEqualTo(8);
        assertThat(send.max(TimeUnit.MILLISECONDS)).as("an attempt that waited at the gate").isPositive();
    }

    @Test
    void oneCertificatesTransitionsKeepTheirOrder() throws Exception {
        GatedChannel channel = new GatedChannel(1);
        int n = 20;
        CountDownLatch done = new CountDownLatch(2 * n);
        try (DeliveryLog log = new DeliveryLog(ds);
             ChannelWorker worker = new ChannelWorker(new ChannelConfig(), channel, log, (t, c, e) -> { }, 1, 4,
                     Duration.ofMillis(10), Duration.ofMillis(50), new SimpleMeterRegistry()).start()) {
            for (int i = 0; i < n; i++) {
                for (AlertStatus s : List.of(AlertStatus.FIRING, AlertStatus.RESOLVED)) {
                    worker.submit(new ChannelWorker.Task(alert("ord-" + i, s), "certificate-alerts", 0, 0L, false, done::countDown));
                }
            }
            assertThat(done.await(30, TimeUnit.SECONDS)).isTrue();
        }
        for (int i = 0; i < n; i++) {
            assertThat(channel.received.indexOf("ord-" + i + "/FIRING")).as("FIRING before RESOLVED of ord-" + i)
                    .isLessThan(channel.received.indexOf("ord-" + i + "/RESOLVED")).isNotNegative();
        }
    }

    @Test
    void queuedRowsAreWrittenInBatchesAndEachFutureCompletesOnceCommitted() throws Exception {
        int rows = DeliveryLog.MAX_BATCH + 20;
        List<java.util.concurrent.CompletableFuture<Void>> stored = new ArrayList<>();
        try (DeliveryLog log = new DeliveryLog(ds)) {
            for (int i = 0; i < rows; i++) {
                stored.add(log.submit(new DeliveryLog.Row("b-" + i, "FIRING", "hook", "webhook", 1, DeliveryLog.Outcome.DELIVERED, 200, null,
                        false, 3, Fixtures.alert("x", AlertStatus.FIRING, Severity.INFO).getFiredAt())));
            }
            java.util.concurrent.CompletableFuture.allOf(stored.toArray(new java.util.concurrent.CompletableFuture[0])).get(30, TimeUnit.SECONDS);
        }
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM delivery_attempts")).isEqualTo(rows);
    }
}
