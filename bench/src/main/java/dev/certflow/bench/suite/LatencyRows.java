package dev.certflow.bench.suite;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.SourceKind;
import dev.certflow.events.SourceStatus;
import dev.certflow.ingest.publish.Publisher;
import dev.certflow.ingest.source.Observation;
import dev.certflow.embedded.TempDirs;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.simulator.Simulator;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.Sink;
import dev.certflow.sink.SinkConfig;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.HdrHistogram.Histogram;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.utils.Time;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * R7: latency from a change at the source to the alert at a receiver. The stack is streams
 * (exactly_once_v2, default commit interval) and the sink (views and a webhook channel to a
 * receiver in this JVM) over the corpus already loaded; each change is one certificate whose expiry
 * moves to three days ahead, published through ingest's own {@link Publisher} exactly as a poll
 * that found one change publishes it (certificate, checkpoint and source status in one
 * transaction; a publish takes every change due by then, as a source polled back to back would),
 * so the source's HTTP listing and the poll interval are left out. The receiver takes the
 * EXPIRING FIRING alert of that certificate.
 *
 * <p>First a burst of changes sent back to back (pages of 100) gives the maximum rate (alerts received per
 * second); then each round sends at half that rate on a fixed schedule, and latency is taken from
 * each change's <em>intended</em> send time, so a stalled sender does not hide the queueing it
 * causes (coordinated omission). A change whose alert never arrives counts as the timeout.
 */
final class LatencyRows {
    private static final long COMMIT_INTERVAL_MS = 100; // Kafka Streams' default under exactly-once, which certflow keeps
    private static final Duration ARRIVAL_TIMEOUT = Duration.ofSeconds(60);
    private static final ObjectMapper JSON = new ObjectMapper();

    private LatencyRows() {
    }

    static Row run(Bench bench, Corpus corpus) throws Exception {
        boolean smoke = bench.settings().smoke();
        String run = bench.unique("latency");
        KafkaSettings kafka = bench.kafka(run);
        new TopicManager(kafka).ensure(Topics.ALL);
        long loaded = TopologyRows.load(kafka, corpus);
        Map<String, Long> arrivals = new ConcurrentHashMap<>();
        Map<String, Long> firedAt = new ConcurrentHashMap<>();
        HttpServer receiver = receiver(arrivals, firedAt);
        Map<String, Long> visible = new ConcurrentHashMap<>(); // when the alert was readable in certificate-alerts
        AlertProbe probe = new AlertProbe(kafka, run, visible);
        // wall clock at a nanoTime: the alert's firedAt (streams' clock) splits the latency in two
        long wallOffsetMs = System.currentTimeMillis() - System.nanoTime() / 1_000_000;
        List<Double> toFired = new ArrayList<>();
        List<Double> toReceived = new ArrayList<>();
        List<Double> toVisible = new ArrayList<>();
        List<Double> visibleToReceived = new ArrayList<>();
        Path dir = Files.createTempDirectory("certflow-bench-latency-");
        SinkConfig sinkConfig = new SinkConfig();
        sinkConfig.jdbcUrl = bench.postgres().createDatabase(run.replace('-', '_'));
        sinkConfig.password = Secret.of(EmbeddedPostgresServer.PASSWORD);
        sinkConfig.groupId = run;
        ChannelConfig hook = new ChannelConfig();
        hook.name = "bench-receiver";
        hook.type = "webhook";
        hook.url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
        hook.secret = Secret.of("bench-webhook-hmac-key");
        hook.allowedNetworks.addAll(Simulator.LOOPBACK_NETWORKS); // the receiver listens on loopback
        sinkConfig.channels.add(hook);
        StreamsSettings s = new StreamsSettings();
        s.applicationId = "bench-" + run;
        s.stateDir = dir.toString();
        List<Double> p99s = new ArrayList<>();
        Histogram all = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
        double maxRate;
        double rate;
        String commitLatency = "";
        int missing = 0;
        SimpleMeterRegistry sinkMetrics = new SimpleMeterRegistry();
        Map<String, long[]> sinkBefore = Map.of();
        String sinkSteps = "";
        try (Sink sink = Sink.start(kafka, sinkConfig, sinkMetrics, null);
             StreamsApp app = StreamsApp.start(kafka, s, new SimpleMeterRegistry(), null, Time.SYSTEM);
             Publisher publisher = new Publisher("bench-latency", kafka, Clock.systemUTC())) {
            publisher.init();
            try (Admin admin = Admin.create(kafka.admin("bench-committed"))) {
                Map<TopicPartition, Long> ends = Offsets.ends(admin, List.of(kafka.topics().certificates().name()));
                if (!Bench.await(Duration.ofMinutes(20), Duration.ofMillis(100),
                        () -> TopologyRows.committed(admin, s.applicationId, ends) >= loaded)) {
                    throw new IllegalStateException("streams did not commit the " + loaded + " loaded records");
                }
            }
            // background certificates only: the scripted ones near a threshold alert on their own
            List<Certificate> pool = new ArrayList<>(corpus.certificates().subList(Math.min(corpus.size() - 1, 9 * 10), corpus.size()));
            int[] next = {0};
            int burst = smoke ? 200 : 3000;
            List<Change> burstChanges = changes(pool, next, burst);
            long b0 = System.nanoTime();
            for (int from = 0; from < burst; from += 100) {
                List<Change> page = burstChanges.subList(from, Math.min(burst, from + 100));
                page.forEach(c -> c.intended = System.nanoTime());
                publish(publisher, page);
            }
            await(arrivals, burstChanges);
            long last = burstChanges.stream().mapToLong(c -> arrivals.getOrDefault(c.key, b0)).max().orElse(b0);
            maxRate = burst / ((last - b0) / 1e9);
            rate = maxRate / 2;
            long lastVisible = burstChanges.stream().mapToLong(c -> visible.getOrDefault(c.key, b0)).max().orElse(b0);
            System.out.printf(Locale.ROOT, "R7 %s: burst of %d changes -> %.0f alerts/s at most (the last readable in certificate-alerts after %.1f s, "
                            + "received after %.1f s); paced at %.0f/s%n",
                    Stats.size(corpus.size()), burst, maxRate, (lastVisible - b0) / 1e9, (last - b0) / 1e9, rate);
            Duration paced = smoke ? Duration.ofSeconds(3) : Duration.ofSeconds(30);
            System.out.printf(Locale.ROOT, "R7 %s burst sink: %s%n", Stats.size(corpus.size()), SinkTimers.describe(sinkMetrics, Map.of()));
            sinkBefore = SinkTimers.snapshot(sinkMetrics);
            for (int r = 0; r < bench.settings().rounds(); r++) {
                arrivals.clear();
                firedAt.clear();
                visible.clear();
                int count = Math.min(pool.size() - 1, Math.max(5, (int) (rate * paced.toSeconds()))); // no key twice in a round
                List<Change> round = changes(pool, next, count);
                long period = (long) (1e9 / rate);
                long t0 = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(100);
                for (int i = 0; i < round.size(); i++) {
                    round.get(i).intended = t0 + i * period;
                }
                // like a source polled continuously: each publish takes every change due by now, in one transaction
                int sent = 0;
                while (sent < round.size()) {
                    long wait = round.get(sent).intended - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait);
                    }
                    long now = System.nanoTime();
                    int upTo = sent;
                    while (upTo < round.size() && round.get(upTo).intended <= now) {
                        upTo++;
                    }
                    publish(publisher, round.subList(sent, upTo));
                    sent = upTo;
                }
                await(arrivals, round);
                Histogram h = new Histogram(TimeUnit.MINUTES.toMicros(5), 3);
                for (Change c : round) {
                    Long at = arrivals.get(c.key);
                    if (at == null) {
                        missing++;
                    }
                    long micros = at == null ? ARRIVAL_TIMEOUT.toNanos() / 1000 : Math.max(0, (at - c.intended) / 1000);
                    h.recordValue(Math.min(micros, h.getHighestTrackableValue()));
                }
                all.add(h);
                for (Change c : round) {
                    Long at = arrivals.get(c.key);
                    Long fired = firedAt.get(c.key);
                    if (at != null && fired != null) {
                        toFired.add((double) (fired - (c.intended / 1_000_000 + wallOffsetMs)));
                        toReceived.add((double) ((at / 1_000_000 + wallOffsetMs) - fired));
                        Long seen = visible.get(c.key);
                        if (seen != null) {
                            toVisible.add((double) ((seen / 1_000_000 + wallOffsetMs) - fired));
                            visibleToReceived.add((double) ((at - seen) / 1_000_000));
                        }
                    }
                }
                p99s.add(h.getValueAtPercentile(99) / 1000.0);
                commitLatency = commitLatency(app);
                sinkSteps = SinkTimers.describe(sinkMetrics, sinkBefore);
                System.out.printf(Locale.ROOT, "R7 %s round %d sink: %s%n", Stats.size(corpus.size()), r + 1, sinkSteps);
                System.out.printf(Locale.ROOT, "R7 %s round %d: %d changes at %.0f/s: p50 %.1f ms, p99 %.1f ms, p99.9 %.1f ms, max %.1f ms%n",
                        Stats.size(corpus.size()), r + 1, round.size(), rate, h.getValueAtPercentile(50) / 1000.0,
                        h.getValueAtPercentile(99) / 1000.0, h.getValueAtPercentile(99.9) / 1000.0, h.getMaxValue() / 1000.0);
            }
        } finally {
            probe.close();
            receiver.stop(0);
            TempDirs.deleteRecursively(dir);
        }
        double limit = 2 * COMMIT_INTERVAL_MS + 50;
        double p99 = all.getValueAtPercentile(99) / 1000.0;
        List<Double> ratios = p99s.stream().map(v -> v / COMMIT_INTERVAL_MS).toList();
        String ours = String.format(Locale.ROOT, "p50 %.0f / p99 %.0f / p99.9 %.0f ms", all.getValueAtPercentile(50) / 1000.0, p99,
                all.getValueAtPercentile(99.9) / 1000.0);
        return new Row("R7", "latency change -> alert at a receiver, " + Stats.size(corpus.size()), ours,
                "commit interval " + COMMIT_INTERVAL_MS + " ms", ratios, "p99 ≤ 2 x commit + 50 ms = " + (long) limit + " ms",
                p99 <= limit && missing == 0,
                String.format(Locale.ROOT, "ratio = p99 / commit interval; at %.0f changes/s (half the %.0f/s maximum), HdrHistogram from the intended send time; "
                                + "median split: change -> alert fired (publish transaction, streams processing) %.0f ms, fired -> received "
                                + "(streams commit, sink consumer, webhook) %.0f ms, of which fired -> readable in certificate-alerts "
                                + "(streams commit) p50 %.0f / p99 %.0f ms and readable -> received (sink) p50 %.0f / p99 %.0f ms%s%s%s",
                        rate, maxRate, Stats.median(toFired), Stats.median(toReceived), Stats.percentile(toVisible, 50),
                        Stats.percentile(toVisible, 99), Stats.percentile(visibleToReceived, 50), Stats.percentile(visibleToReceived, 99),
                        commitLatency.isEmpty() ? "" : "; " + commitLatency, sinkSteps.isEmpty() ? "" : "; sink over the paced rounds: " + sinkSteps, missing > 0 ? "; " + missing + " alerts missing after " + ARRIVAL_TIMEOUT.toSeconds() + " s" : ""));
    }

    /**
     * A read_committed consumer of certificate-alerts beside the sink: when each certificate's
     * EXPIRING FIRING alert became readable, which splits streams' commit from the sink's work.
     */
    private static final class AlertProbe implements AutoCloseable {
        private final Thread thread;
        private volatile boolean running = true;

        AlertProbe(KafkaSettings kafka, String run, Map<String, Long> visible) {
            Topics.Topic<String, Alert> topic = kafka.topics().certificateAlerts();
            KafkaConsumer<String, Alert> consumer = new KafkaConsumer<>(kafka.consumer(run + "-probe", run + "-probe"),
                    topic.keySerde().deserializer(), topic.valueSerde().deserializer());
            consumer.subscribe(List.of(topic.name()));
            thread = new Thread(() -> {
                try (consumer) {
                    while (running) {
                        for (ConsumerRecord<String, Alert> r : consumer.poll(Duration.ofMillis(100))) {
                            long at = System.nanoTime();
                            Alert a = r.value();
                            if (a != null && a.getStatus() == AlertStatus.FIRING && a.getKind() == AlertKind.EXPIRING && a.getCertificateKey() != null) {
                                visible.putIfAbsent(CertificateKeys.format(a.getCertificateKey()), at);
                            }
                        }
                    }
                }
            }, "bench-alert-probe");
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running = false;
            thread.join(10_000);
        }
    }

    /** Streams' own commit figures over its recent samples (the metrics' 30 s window): what one commit costs. */
    private static String commitLatency(StreamsApp app) {
        double avg = Double.NaN;
        double max = Double.NaN;
        double txnNs = 0;
        double txns = 0;
        for (var e : app.streams().metrics().entrySet()) {
            var name = e.getKey();
            Object v = e.getValue().metricValue();
            if (!(v instanceof Double d) || d.isNaN()) {
                continue;
            }
            if ("stream-thread-metrics".equals(name.group()) && "commit-latency-avg".equals(name.name())) {
                avg = d;
            } else if ("stream-thread-metrics".equals(name.group()) && "commit-latency-max".equals(name.name())) {
                max = d;
            } else if ("producer-metrics".equals(name.group()) && "txn-commit-time-ns-total".equals(name.name())) {
                txnNs += d;
            } else if ("stream-thread-metrics".equals(name.group()) && "commit-total".equals(name.name())) {
                txns += d;
            }
        }
        return String.format(Locale.ROOT, "streams commits: %.0f ms on average, %.0f ms at most over the last 30 s; "
                + "transaction commit (EndTxn) %.1f ms on average over the run's %.0f commits", avg, max, txns == 0 ? Double.NaN : txnNs / 1e6 / txns, txns);
    }

    /** A change to one certificate: its new state and when it was meant to be sent. */
    private static final class Change {
        final String key;
        final Certificate certificate;
        long intended;

        Change(Certificate certificate) {
            this.certificate = certificate;
            this.key = CertificateKeys.format(certificate.getKey());
        }
    }

    private static List<Change> changes(List<Certificate> pool, int[] next, int count) {
        List<Change> out = new ArrayList<>(count);
        Instant expiry = Instant.now().plus(Duration.ofDays(3)).truncatedTo(java.time.temporal.ChronoUnit.SECONDS);
        for (int i = 0; i < count; i++) {
            Certificate c = pool.get(next[0]++ % pool.size());
            out.add(new Change(Certificate.newBuilder(c).setNotAfter(expiry.plusMillis(next[0])).setNotAfterRaw(null)
                    .setObservedAt(Instant.now()).build()));
        }
        return out;
    }

    /** What a poll that found these changes publishes: certificates, checkpoints and the source status, in one transaction. */
    private static void publish(Publisher publisher, List<Change> changes) throws Exception {
        Instant now = Instant.now();
        Publisher.Session session = publisher.begin(now);
        session.page(changes.stream().map(c -> Observation.of(c.certificate)).toList(), List.of());
        session.finish(SourceStatus.newBuilder().setSourceKind(SourceKind.SMOXY).setSourceName("bench-latency")
                .setPollStartedAt(now).setPollFinishedAt(Instant.now()).setOutcome(PollOutcome.SUCCESS).setConsecutiveFailures(0));
    }

    private static void await(Map<String, Long> arrivals, List<Change> changes) throws InterruptedException {
        Bench.await(ARRIVAL_TIMEOUT, Duration.ofMillis(50), () -> changes.stream().allMatch(c -> arrivals.containsKey(c.key)));
    }

    /** The webhook receiver: the arrival time of each certificate's first EXPIRING FIRING alert. */
    private static HttpServer receiver(Map<String, Long> arrivals, Map<String, Long> firedAt) throws Exception {
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 128);
        server.setExecutor(Executors.newFixedThreadPool(4, r -> {
            Thread t = new Thread(r, "bench-receiver");
            t.setDaemon(true);
            return t;
        }));
        server.createContext("/hook", ex -> {
            long at = System.nanoTime();
            JsonNode alert = JSON.readTree(ex.getRequestBody().readAllBytes());
            if ("FIRING".equals(alert.path("status").asText()) && "EXPIRING".equals(alert.path("kind").asText())) {
                String key = alert.path("certificateKey").asText();
                if (arrivals.putIfAbsent(key, at) == null) {
                    firedAt.put(key, Instant.parse(alert.path("firedAt").asText()).toEpochMilli());
                }
            }
            byte[] body = "{}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            ex.sendResponseHeaders(200, body.length);
            try (OutputStream out = ex.getResponseBody()) {
                out.write(body);
            }
        });
        server.start();
        return server;
    }
}
