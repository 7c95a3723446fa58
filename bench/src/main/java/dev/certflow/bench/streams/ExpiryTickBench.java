package dev.certflow.bench.streams;

import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.streams.ExpiryRules;
import dev.certflow.streams.Names;
import dev.certflow.streams.RenewalPolicy;
import dev.certflow.events.RenewalStatus;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringSerializer;
import dev.certflow.runtime.kafka.ClockTime;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.state.KeyValueIterator;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

/**
 * Cost of one expiry tick against a full scan of the same certificate store.
 *
 * <p>Runs the real streams application (exactly-once, RocksDB stores, changelogs) on the in-JVM
 * broker with a clock it can move (it starts six hours behind the system clock and only moves
 * towards it: brokers reject record timestamps more than an hour ahead), loads N certificates
 * (default 1,000,000) of which {@code ROUNDS x changed} (default 5 x 1,000) cross a boundary one to
 * five hours after the app clock's start: under the default renewal policy (renewed by hand, 30
 * days' lead, 2 days' grace) their renewal-overdue point, so each raises RENEWAL_OVERDUE and
 * rewrites its row, the same work per certificate as an expiry threshold; with
 * {@code -Dbench.fixed=true} the old fixed thresholds [30, 14, 7, 1] and their 30-day threshold.
 * Then for each round: moves the clock past the boundary, waits for the tick that re-evaluates
 * those certificates and reads its duration; and, in the same run, times a full scan of the
 * certificate store (every certificate read and evaluated with the expiry rules and the renewal
 * policy, read-only) as the baseline a naive "re-check everything each tick" punctuator would pay at least.
 *
 * <p>{@code bench/run ExpiryTickBench [certificates] [changedPerRound]}
 */
public final class ExpiryTickBench {
    private static final int ROUNDS = 5;

    /** System time plus an offset the benchmark moves forward. */
    static final class MovableTime {
        volatile long offsetMs;
        final ClockTime time = new ClockTime(() -> System.currentTimeMillis() + offsetMs);
    }

    public static void main(String[] args) throws Exception {
        int total = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
        int changed = args.length > 1 ? Integer.parseInt(args[1]) : 1_000;
        Path dir = Files.createTempDirectory("certflow-tick-bench");
        phase("starting the broker");
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start()) {
            phase("broker up at " + broker.bootstrapServers());
            KafkaSettings kafka = new KafkaSettings();
            kafka.bootstrapServers = broker.bootstrapServers();
            kafka.schemaRegistryUrl = "mock://tick-bench";
            kafka.topicPrefix = "bench.";
            kafka.partitions = 1; // one task: the tick scans the whole fleet's index, the worst case per instance
            new TopicManager(kafka).ensure(Topics.ALL);
            Topics topics = kafka.topics();

            // app clock = system clock - 6 h until moved; near boundaries at base + 1 h ... + 5 h
            long base = System.currentTimeMillis() - Duration.ofHours(6).toMillis();
            System.out.printf("loading %,d certificates (%d rounds x %,d crossing a threshold)...%n", total, ROUNDS, changed);
            long t0 = System.nanoTime();
            boolean fixedThresholds = Boolean.getBoolean("bench.fixed");
            // the boundary the near certificates cross: the 30-day threshold, or the overdue point (30 days' lead + 2 days' grace)
            Duration crossing = fixedThresholds ? Duration.ofDays(30) : Duration.ofDays(28);
            produce(kafka, topics, total, changed, base, crossing);
            System.out.printf("produced in %.1f s%n", (System.nanoTime() - t0) / 1e9);

            StreamsSettings s = new StreamsSettings();
            s.applicationId = "tick-bench-" + UUID.randomUUID().toString().substring(0, 8);
            s.stateDir = dir.toString();
            s.tickInterval = Duration.ofSeconds(1);
            s.commitInterval = Duration.ofSeconds(1);
            if (fixedThresholds) {
                s.thresholdDays = new ArrayList<>(List.of(30, 14, 7, 1));
                s.renewal.enabled = false;
            }
            System.out.printf("policy: %s%n", fixedThresholds ? "old fixed thresholds [30, 14, 7, 1], renewal policy off"
                    : "defaults: floors " + s.thresholdDays + ", renewal policy on (crossing the renewal-overdue point)");
            MovableTime time = new MovableTime();
            time.offsetMs = -Duration.ofHours(6).toMillis();
            SimpleMeterRegistry meters = new SimpleMeterRegistry();
            try (StreamsApp app = StreamsApp.start(kafka, s, meters, null, time.time)) {
                phase("streams started");
                long t1 = System.nanoTime();
                awaitCaughtUp(kafka, s.applicationId, topics.certificates().name(), Duration.ofMinutes(30), app);
                System.out.printf("streams caught up in %.1f s (%.0f certificates/s)%n", (System.nanoTime() - t1) / 1e9,
                        total / ((System.nanoTime() - t1) / 1e9));
                ReadOnlyKeyValueStore<String, Certificate> store = app.streams().store(
                        StoreQueryParameters.fromNameAndType(Names.CERTIFICATE_STORE, QueryableStoreTypes.keyValueStore()));
                ExpiryRules rules = new ExpiryRules(s);
                RenewalPolicy policy = new RenewalPolicy(s.renewal);
                List<Double> ticks = new ArrayList<>();
                List<Double> idle = new ArrayList<>();
                List<Double> scans = new ArrayList<>();
                for (int round = 1; round <= ROUNDS; round++) {
                    // the full scan first (warms the same caches the tick then benefits from less than the scan)
                    long ss = System.nanoTime();
                    long[] seen = scan(store, rules, policy, time.time.milliseconds());
                    double scanMs = (System.nanoTime() - ss) / 1e6;
                    scans.add(scanMs);
                    long busyBefore = app.metrics().lastBusyTickNanos();
                    if (time.time.milliseconds() >= base + Duration.ofHours(round).toMillis()) {
                        throw new IllegalStateException("loading took longer than an hour of app clock; the benchmark needs a faster load");
                    }
                    time.offsetMs = base + Duration.ofHours(round).toMillis() + 1_500 - System.currentTimeMillis();
                    long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(2);
                    while (app.metrics().lastBusyTickNanos() == busyBefore || app.metrics().lastBusyTickTransitions() < changed) {
                        if (System.nanoTime() > deadline) {
                            throw new IllegalStateException("no tick re-evaluated " + changed + " certificates in round " + round
                                    + " (last busy tick: " + app.metrics().lastBusyTickTransitions() + ")");
                        }
                        TimeUnit.MILLISECONDS.sleep(20); // poll, do not spin: the tick needs the core
                    }
                    double tickMs = app.metrics().lastBusyTickNanos() / 1e6;
                    ticks.add(tickMs);
                    // idle ticks (nothing due: one index seek), the common case between transitions
                    io.micrometer.core.instrument.Timer timer = meters.get("certflow.streams.tick.duration").timer();
                    long c0 = timer.count();
                    double t0ms = timer.totalTime(TimeUnit.MILLISECONDS);
                    long idleDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                    while (timer.count() < c0 + 5 && System.nanoTime() < idleDeadline) {
                        TimeUnit.MILLISECONDS.sleep(100);
                    }
                    double idleMs = (timer.totalTime(TimeUnit.MILLISECONDS) - t0ms) / Math.max(1, timer.count() - c0);
                    idle.add(idleMs);
                    phase("round " + round + " done");
                    System.out.printf("round %d: tick re-evaluated %,d certificates in %.2f ms (%.0f us each); idle tick %.3f ms; full scan of %,d certificates (%,d in a bucket or overdue) %.1f ms%n",
                            round, app.metrics().lastBusyTickTransitions(), tickMs, tickMs * 1000 / changed, idleMs, seen[0], seen[1], scanMs);
                }
                double tick = median(ticks);
                double scan = median(scans);
                double idleTick = median(idle);
                System.out.printf("%nRESULT store=%,d changed=%,d  tick median %.1f ms (re-evaluates, writes state, emits rows and alerts)"
                                + "  |  full scan median %.1f ms (read + evaluate only)  |  full scan / tick = %.1fx%n",
                        total, changed, tick, scan, scan / tick);
                System.out.printf("RESULT idle tick (nothing due) median %.3f ms  |  full scan / idle tick = %.0fx%n", idleTick, scan / idleTick);
                phase("closing streams");
            }
            phase("closing the broker");
        } finally {
            deleteTree(dir);
        }
    }

    private static void produce(KafkaSettings kafka, Topics topics, int total, int changed, long base, Duration crossing) {
        Map<String, Object> props = kafka.producer("tick-bench");
        props.put("batch.size", 262144);
        props.put("linger.ms", 20);
        try (KafkaProducer<String, Certificate> p = new KafkaProducer<>(props, new StringSerializer(), topics.certificates().valueSerde().serializer())) {
            int near = ROUNDS * changed;
            for (int i = 0; i < total; i++) {
                long notAfter;
                if (i < near) {
                    int round = 1 + i / changed;
                    // the crossed boundary of these falls within one second after base + round hours
                    notAfter = base + crossing.toMillis() + Duration.ofHours(round).toMillis() + (i % changed) % 1000;
                } else {
                    notAfter = base + Duration.ofDays(60).toMillis() + (long) (i % 340) * ExpiryRules.DAY + i % 86_400_000L;
                }
                CertificateKey key = CertificateKeys.of(SourceKind.SMOXY, "smoxy-" + (i % 10), "tenant-" + (i % 100), "c" + i);
                Certificate c = Certificate.newBuilder()
                        .setKey(key).setName("cert-" + i).setCommonName("c" + i + ".example.com")
                        .setNotAfter(Instant.ofEpochMilli(notAfter)).setNotBefore(Instant.ofEpochMilli(notAfter - 398 * ExpiryRules.DAY))
                        .setExpiryStatus(ExpiryStatus.KNOWN).setObservedAt(Instant.ofEpochMilli(base)).build();
                p.send(new ProducerRecord<>(topics.certificates().name(), CertificateKeys.format(key), c));
            }
            p.flush();
        }
    }

    /** A timestamped progress line: a log cut short by a timeout then says which step never ended. */
    private static void phase(String what) {
        System.out.printf("%s %s%n", Instant.now(), what);
    }

    /**
     * Waits until the group's committed offsets reach the topic's end offsets (as they were when called); fails at once
     * when the app stopped (a dead stream thread would otherwise leave this waiting out the whole timeout).
     */
    static void awaitCaughtUp(KafkaSettings kafka, String group, String topic, Duration timeout, StreamsApp app) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        try (Admin admin = Admin.create(kafka.admin("tick-bench"))) {
            Map<TopicPartition, Long> ends = Offsets.ends(admin, List.of(topic));
            while (System.nanoTime() < deadline) {
                long behind = Offsets.behind(admin, group, ends);
                if (behind == 0) {
                    return;
                }
                KafkaStreams.State state = app.state();
                if (state == KafkaStreams.State.ERROR || state == KafkaStreams.State.PENDING_ERROR
                        || state == KafkaStreams.State.NOT_RUNNING || state == KafkaStreams.State.PENDING_SHUTDOWN) {
                    throw new IllegalStateException("streams stopped (" + state + ") " + behind + " records behind");
                }
                if (System.nanoTime() > nextReport) {
                    phase("catching up: " + behind + " records behind, streams " + state);
                    nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                }
                TimeUnit.MILLISECONDS.sleep(500); // polling an external condition with a deadline
            }
            throw new IllegalStateException("streams did not catch up within " + timeout + " (streams " + app.state() + ")");
        }
    }

    /** The baseline: read and evaluate every certificate. Returns {certificates, in a bucket or overdue}. */
    private static long[] scan(ReadOnlyKeyValueStore<String, Certificate> store, ExpiryRules rules, RenewalPolicy policy, long now) {
        long n = 0;
        long inBucket = 0;
        try (KeyValueIterator<String, Certificate> it = store.all()) {
            while (it.hasNext()) {
                KeyValue<String, Certificate> e = it.next();
                n++;
                boolean overdue = policy.enabled() && policy.plan(e.value, null, e.value.getObservedAt().toEpochMilli())
                        .status(now, false) == RenewalStatus.OVERDUE;
                if (rules.evaluate(e.value, now).bucket() != null || overdue) {
                    inBucket++;
                }
            }
        }
        return new long[]{n, inBucket};
    }

    private static double median(List<Double> xs) {
        List<Double> s = new ArrayList<>(xs);
        Collections.sort(s);
        return s.get(s.size() / 2);
    }

    private static void deleteTree(Path dir) {
        try (var paths = Files.walk(dir)) {
            paths.sorted(Collections.reverseOrder()).forEach(p -> p.toFile().delete());
        } catch (Exception e) {
            System.err.println("could not delete " + dir + ": " + e);
        }
    }
}
