package dev.certflow.reliability;

import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fault-injection suite (issue 14's table): the broker, ingest, streams and sink run as child JVMs
 * ({@code local/target/certflow.jar}) over a simulated fleet held at one instant, and each row breaks
 * them on purpose, at moments drawn from a seeded {@link Random}; every trial then compares
 * {@code certificate-alerts} (read_committed), the PostgreSQL views and the webhook receiver with the
 * {@link FleetOracle}. {@code -Dreliability.trials=N} trials per row (1 in {@code mvn verify}, 20 with
 * {@code reliability/run --full}), {@code -Dreliability.rows=1,4} some rows only,
 * {@code -Dreliability.seed=S} replays a trial (trial i of a row uses S + i).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIntegrationTest {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjectionIntegrationTest.class);
    private static final int TRIALS = Integer.getInteger("reliability.trials", 1);
    private static final int FLEET = Integer.getInteger("reliability.fleet", 120);
    private static final Duration SETTLE = Duration.ofMinutes(3);
    private static final Set<String> ROWS = rows();

    private static Path root;
    private static Broker broker;
    private static EmbeddedPostgresServer postgres;
    private static Results results;
    private static int trialCounter;

    @BeforeAll
    static void startBroker() throws Exception {
        root = Path.of("target", "reliability").toAbsolutePath();
        Files.createDirectories(root);
        results = new Results(Path.of(System.getProperty("reliability.results", root.resolve("results.md").toString())));
        postgres = TestPostgres.server();
        broker = new Broker(root.resolve("broker-" + ProcessHandle.current().pid()), root.resolve("broker.log"), Map.of()).start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static Set<String> rows() {
        String s = System.getProperty("reliability.rows", "");
        return s.isBlank() ? Set.of() : Arrays.stream(s.split(",")).map(String::strip).collect(Collectors.toSet());
    }

    /** {@code -Dreliability.rows=5} asks for row 5's variants too ({@code 5s}, {@code 5p}). */
    private static void only(String row) {
        boolean asked = ROWS.contains(row) || ROWS.contains(row.replaceFirst("(?<=\\d)[a-z]+$", ""));
        assumeTrue(ROWS.isEmpty() ? !row.equals("0") : asked, "row " + row + " not asked for (-Dreliability.rows)");
    }

    /**
     * What a fault did: the longest wait for a worker's /ready after it, when it ended, anything that
     * fails the trial by itself, and what it measured besides (written to the results either way).
     */
    record Fault(double recoveredWithin, long endedAt, String problem, String info) {
        Fault(double recoveredWithin, long endedAt, String problem) {
            this(recoveredWithin, endedAt, problem, "");
        }

        static Fault of(double recoveredWithin) {
            return new Fault(recoveredWithin, System.nanoTime(), "");
        }
    }

    /** A trial: runs the fault on a started pipeline. */
    interface Body {
        Fault run(Pipeline p, Random random, int trial) throws Exception;
    }

    private void trials(String row, String description, Body body) throws Exception {
        trials(row, description, c -> { }, body);
    }

    private void trials(String row, String description, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> adjust,
                        Body body) throws Exception {
        trials(row, description, adjust, true, body);
    }

    /** {@code start}: whether the pipeline is started (and ready) before the body runs; the body starts it otherwise. */
    private void trials(String row, String description, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> adjust,
                        boolean start, Body body) throws Exception {
        trials(row, description, null, adjust, start, body);
    }

    /** As above, on {@code on} (null: the shared broker). */
    private void trials(String row, String description, Broker on, java.util.function.Consumer<com.fasterxml.jackson.databind.node.ObjectNode> adjust,
                        boolean start, Body body) throws Exception {
        only(row);
        long base = Long.getLong("reliability.seed", System.nanoTime() & 0xffffffffL);
        List<Results.Trial> mine = new ArrayList<>();
        for (int i = 0; i < TRIALS; i++) {
            long seed = base + i;
            String name = "r" + row + "t" + (++trialCounter) + "s" + seed;
            LOG.info("row {} trial {} of {}: seed {} (replay: -Dreliability.rows={} -Dreliability.seed={} -Dreliability.trials=1)",
                    row, i + 1, TRIALS, seed, row, seed);
            Results.Trial t;
            try (Pipeline p = new Pipeline(name, root.resolve(name), on != null ? on : broker, postgres, seed, FLEET, adjust)) {
                if (start) {
                    p.start();
                }
                Fault fault = body.run(p, new Random(seed), i);
                Verdict v = Verdict.await(p, SETTLE, true);
                double caughtUp = (System.nanoTime() - fault.endedAt()) / 1e9;
                List<String> notes = new ArrayList<>();
                if (!fault.problem().isEmpty()) {
                    notes.add(fault.problem());
                }
                if (fault.recoveredWithin() > 60) {
                    notes.add(String.format(java.util.Locale.ROOT, "ready again only after %.1f s", fault.recoveredWithin()));
                }
                boolean passed = v.clean() && notes.isEmpty();
                if (!fault.info().isEmpty()) {
                    notes.add(fault.info());
                }
                t = new Results.Trial(row, seed, v, fault.recoveredWithin(), v.clean() ? caughtUp : -1, passed, String.join("; ", notes));
                LOG.info("row {} seed {}: {} (ready within {} s, oracle met {} s after the fault) {} -> {}", row, seed, v.summary(),
                        fault.recoveredWithin(), caughtUp, t.note(), passed ? "pass" : "FAIL");
            } catch (Exception | AssertionError e) {
                // a worker that exited or never became ready again fails the trial; the run goes on
                String first = String.valueOf(e.getMessage()).lines().findFirst().orElse(e.getClass().getName());
                t = new Results.Trial(row, seed, new Verdict(0, 0, 0, 0, List.of()), -1, -1, false, e.getClass().getSimpleName() + ": " + first);
                LOG.warn("row {} seed {}: FAIL: {}", row, seed, e.toString());
            }
            mine.add(t);
            results.add(row, description, t);
        }
        List<String> failed = mine.stream().filter(t -> !t.passed())
                .map(t -> "seed " + t.seed() + ": " + t.note() + " " + t.verdict().summary()).toList();
        assertThat(failed).as("row %s: failed trials (of %d)", row, mine.size()).isEmpty();
    }

    /**
     * 1 to {@code maxKills} times: after a random pause of up to {@code maxPauseMillis} (the fault's moment,
     * not a wait for Kafka), kill -9 and start again; the longest wait for /ready after a restart.
     */
    private static double killAndRestart(Child c, Random r, int maxKills, int maxPauseMillis) throws Exception {
        double recovered = 0;
        int kills = 1 + r.nextInt(maxKills);
        for (int k = 0; k < kills; k++) {
            Thread.sleep(r.nextInt(maxPauseMillis));
            c.kill();
            c.start();
            recovered = Math.max(recovered, Pipeline.awaitReady(c, Duration.ofMinutes(2)));
        }
        return recovered;
    }

    /** Waits for every worker's /ready; the longest wait in seconds, or a problem when one exited. */
    private static double allReady(Pipeline p) throws InterruptedException {
        double max = 0;
        for (Child c : p.workers()) {
            max = Math.max(max, Pipeline.awaitReady(c, Duration.ofMinutes(2)));
        }
        return max;
    }

    @Test
    @Order(0)
    void row0_noFault_theOracleHolds() throws Exception {
        trials("0", "no fault (the oracle against a quiet run)", (p, r, i) -> Fault.of(0));
    }

    @Test
    @Order(1)
    void row1_streamsKilledAtRandomMoments() throws Exception {
        trials("1", "streams kill -9 at random moments (1-3 kills while the first polls are processed), restarted", (p, r, i) -> {
            return Fault.of(killAndRestart(p.streams, r, 3, 4000));
        });
    }

    @Test
    @Order(2)
    void row2_sinkKilledPostgresCutReceiverDown() throws Exception {
        long receiverDown = Long.getLong("reliability.receiverDownSeconds", 20);
        trials("2", "sink kill -9 at random moments; its PostgreSQL connections cut mid-batch (proxy, 3-8 s); the webhook receiver "
                + "answering 503 for " + receiverDown + " s", (p, r, i) -> {
            p.receiver.down = true;
            double recovered = killAndRestart(p.sink, r, 2, 3000);
            Thread.sleep(r.nextInt(3000));
            p.postgresProxy.cut();
            Thread.sleep(3000 + r.nextInt(5000));
            p.postgresProxy.pass();
            recovered = Math.max(recovered, Pipeline.awaitReady(p.sink, Duration.ofMinutes(2)));
            // down for receiverDown seconds from its first refused delivery (alerts reach the sink once streams has processed)
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            while (p.receiver.refused() == 0 && System.nanoTime() < deadline) {
                Thread.sleep(200);
            }
            Thread.sleep(receiverDown * 1000L);
            p.receiver.down = false;
            String problem = p.receiver.refused() == 0 ? "the receiver was never called while down" : "";
            return new Fault(recovered, System.nanoTime(), problem);
        });
    }

    @Test
    @Order(3)
    void row4_brokerKilledThenBack() throws Exception {
        int[] downs = Arrays.stream(System.getProperty("reliability.brokerDownSeconds", TRIALS == 1 ? "10" : "10,30,60").split(","))
                .map(String::strip).mapToInt(Integer::parseInt).toArray();
        trials("4", "broker kill -9 for " + Arrays.toString(downs) + " s (cycled per trial), then back on the same ports and log directory", (p, r, i) -> {
            Thread.sleep(r.nextInt(4000));
            broker.child.kill();
            Thread.sleep(downs[i % downs.length] * 1000L);
            broker.start();
            long back = System.nanoTime();
            double recovered = allReady(p);
            List<String> exited = p.workers().stream().filter(c -> !c.alive()).map(c -> c.name + " exited").toList();
            return new Fault(recovered, back, String.join(", ", exited));
        });
    }

    /** Restored records per store since the streams child's current run started, from its /metrics ({@code RestoreMetrics}). */
    static Map<String, Long> restoredRecords(Child streams) throws Exception {
        Map<String, Long> out = new java.util.TreeMap<>();
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("(?m)^certflow_streams_restored_records_total\\{[^}]*store=\"([^\"]+)\"[^}]*}\\s+(\\S+)$")
                .matcher(streams.body("/metrics"));
        while (m.find()) {
            out.merge(m.group(1), (long) Double.parseDouble(m.group(2)), Long::sum);
        }
        if (out.isEmpty()) {
            throw new IllegalStateException("streams' /metrics has no certflow_streams_restored_records_total: the restore is not measured");
        }
        return out;
    }

    private static long sum(Map<String, ? extends Number> m) {
        return m.values().stream().mapToLong(Number::longValue).sum();
    }

    /** The stores of a restore measurement that restored anything, for a note. */
    private static Map<String, Long> nonZero(Map<String, Long> restored) {
        Map<String, Long> out = new java.util.TreeMap<>(restored);
        out.values().removeIf(n -> n == 0);
        return out;
    }

    /**
     * Row 6. Besides 0 lost and 0 duplicated: no full state restore on a clean restart. A SIGTERM closes Kafka
     * Streams, which commits and closes every store (Kafka Streams 4.4 keeps the committed changelog offsets
     * inside each RocksDB store, KIP-1035, not in {@code .checkpoint} files), and nothing but streams writes its
     * changelogs while it is down, so what a clean restart may restore is what was written after the last commit:
     * nothing. Any restored record after a SIGTERM restart fails the trial. Then, measured the same way: a kill -9
     * restart (recorded: Kafka Streams 4.4 restores from the offsets its stores had persisted, not in full), and,
     * to show the check can fail, a restart on an emptied state directory (what a temporary state directory
     * would do), which must restore at least 90 % of the changelogs' records (compaction aside).
     */
    @Test
    @Order(4)
    void row6_gracefulRestartsOfEveryWorker() throws Exception {
        trials("6", "SIGTERM of every worker in a random order at random moments, each stopping within 60 s, restarted; streams restores "
                        + "nothing after its clean restart (then, measured the same way: a kill -9 restart, and an emptied state directory, "
                        + "which must restore the whole changelogs)",
                (p, r, i) -> {
            List<Child> order = new ArrayList<>(p.workers());
            java.util.Collections.shuffle(order, r);
            double recovered = 0;
            List<String> problems = new ArrayList<>();
            long clean = -1;
            for (Child c : order) {
                Thread.sleep(r.nextInt(3000));
                if (!c.terminate(Duration.ofSeconds(60))) {
                    problems.add(c.name + " did not stop within 60 s of SIGTERM");
                }
                c.start();
                recovered = Math.max(recovered, Pipeline.awaitReady(c, Duration.ofMinutes(2)));
                if (c == p.streams) {
                    // ready = RUNNING = every task restored: the counter is final for this start
                    Map<String, Long> restored = restoredRecords(c);
                    clean = sum(restored);
                    if (clean > 0) {
                        problems.add("the clean (SIGTERM) restart of streams restored " + clean + " records, 0 allowed: " + nonZero(restored));
                    }
                }
            }
            Verdict.await(p, SETTLE, true); // the first polls processed, so the changelogs hold the whole fleet's state
            p.streams.kill();
            long killed = sum(changelogs(p));
            p.streams.start();
            recovered = Math.max(recovered, Pipeline.awaitReady(p.streams, Duration.ofMinutes(2)));
            long unclean = sum(restoredRecords(p.streams));
            // the counter-check: no local state at all must read as a full restore
            if (!p.streams.terminate(Duration.ofSeconds(60))) {
                problems.add("streams did not stop within 60 s of SIGTERM");
            }
            deleteTree(p.dir.resolve("streams-state"));
            Map<String, Integer> changelogs = changelogs(p);
            long changelog = sum(changelogs);
            p.streams.start();
            recovered = Math.max(recovered, Pipeline.awaitReady(p.streams, Duration.ofMinutes(2)));
            long empty = sum(restoredRecords(p.streams));
            for (long until = System.nanoTime() + Duration.ofSeconds(10).toNanos(); empty < 0.9 * changelog && System.nanoTime() < until; ) {
                Thread.sleep(500); // a last batch's count may trail /ready by a moment
                empty = sum(restoredRecords(p.streams));
            }
            if (changelog == 0 || empty < 0.9 * changelog) {
                problems.add("the restart on an emptied state directory restored " + empty + " of " + changelog
                        + " changelog records: the measurement does not see a full restore");
            }
            String info = String.format(java.util.Locale.ROOT, "streams restored %d records after its SIGTERM restart, %d after kill -9 "
                    + "(changelogs then %d records), %d on an emptied state directory (changelogs %d records in %d topics)",
                    clean, unclean, killed, empty, changelog, changelogs.size());
            LOG.info("row 6: {}", info);
            return new Fault(recovered, System.nanoTime(), String.join("; ", problems), info);
        });
    }

    private static Map<String, Integer> changelogs(Pipeline p) {
        return p.observed().changelogRecords(p.name + "-streams");
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (java.util.stream.Stream<Path> paths = Files.walk(dir)) {
            for (Path x : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.delete(x);
            }
        }
    }

    @Test
    @Order(5)
    void rowS_workersStartedBeforeTheBrokerAndTheDatabase() throws Exception {
        long down = Long.getLong("reliability.startupDownSeconds", 20);
        trials("S", "every worker started while the broker is down (kill -9) and PostgreSQL unreachable (proxy cut), both back after "
                + down + " s: each waits alive with /ready 503, then runs", c -> { }, false, (p, r, i) -> {
            List<String> problems = new ArrayList<>();
            broker.child.kill();
            p.postgresProxy.cut();
            try {
                for (Child c : p.workers()) {
                    c.start();
                }
                long until = System.nanoTime() + Duration.ofSeconds(down).toNanos();
                while (System.nanoTime() < until) {
                    for (Child c : p.workers()) {
                        int health = c.status("/health");
                        int ready = c.status("/ready");
                        String seen = c.name + (!c.alive() ? " exited: " + c.tail(5)
                                : health > 0 && (health != 200 || ready != 503) ? " answered /health " + health + ", /ready " + ready + " while waiting" : "");
                        if (!seen.equals(c.name) && !problems.contains(seen)) {
                            problems.add(seen);
                        }
                    }
                    Thread.sleep(500);
                }
            } finally {
                p.postgresProxy.pass();
                broker.start(); // the later rows share it
            }
            long back = System.nanoTime();
            double recovered = allReady(p);
            return new Fault(recovered, back, String.join("; ", problems));
        });
    }

    /** One step of a fault (freeze, thaw, black-hole, pass). */
    interface Step {
        void run() throws Exception;
    }

    /**
     * A broker unreachable for {@code seconds} with every connection left open ({@code begin} and
     * {@code end}: freeze and thaw it, or black-hole and pass its proxy), at a random moment while the
     * first polls flow: no worker may exit, each one's /ready must answer 503 before the outage ends
     * and 200 after it, without a restart.
     */
    private static Fault unreachable(Pipeline p, Random r, long seconds, Step begin, Step end) throws Exception {
        Thread.sleep(r.nextInt(4000));
        Map<String, Double> downAfter = new java.util.TreeMap<>();
        List<String> problems = new ArrayList<>();
        long t0 = System.nanoTime();
        begin.run();
        try {
            while (System.nanoTime() - t0 < Duration.ofSeconds(seconds).toNanos()) {
                for (Child c : p.workers()) {
                    if (!c.alive()) {
                        String exited = c.name + " exited during the outage: " + c.tail(5);
                        if (problems.stream().noneMatch(x -> x.startsWith(c.name + " exited"))) {
                            problems.add(exited);
                        }
                    } else if (!downAfter.containsKey(c.name) && c.status("/ready") == 503) {
                        downAfter.put(c.name, Math.round((System.nanoTime() - t0) / 1e8) / 10.0);
                    }
                }
                Thread.sleep(500);
            }
        } finally {
            end.run();
        }
        long back = System.nanoTime();
        for (Child c : p.workers()) {
            if (c.alive() && !downAfter.containsKey(c.name)) {
                problems.add(c.name + "'s /ready never answered 503 during the " + seconds + " s outage");
            }
        }
        if (!problems.isEmpty()) {
            return new Fault(-1, back, String.join("; ", problems));
        }
        double recovered = allReady(p);
        return new Fault(recovered, back, "", "/ready 503 after (s into the outage): " + downAfter);
    }

    @Test
    @Order(6)
    void row5s_brokerFrozen() throws Exception {
        long seconds = Long.getLong("reliability.frozenSeconds", 30);
        trials("5s", "broker frozen (SIGSTOP) for " + seconds + " s, then SIGCONT: no worker restarted, each /ready 503 during the outage, "
                + "200 after", (p, r, i) -> unreachable(p, r, seconds, broker.child::freeze, broker.child::thaw));
    }

    @Test
    @Order(7)
    void row5p_brokerBehindABlackHolingProxy() throws Exception {
        only("5p");
        long seconds = Long.getLong("reliability.blackholeSeconds", 30);
        try (Broker proxied = Broker.behindProxy(root.resolve("broker-proxied-" + ProcessHandle.current().pid()),
                root.resolve("broker-proxied.log")).start()) {
            trials("5p", "the broker behind a TCP proxy (certflow broker --advertised-listener) that black-holes every connection for "
                    + seconds + " s, then passes: no worker restarted, each /ready 503 during the outage, 200 after", proxied, c -> { }, true,
                    (p, r, i) -> unreachable(p, r, seconds, proxied.proxy::blackhole, proxied.proxy::pass));
        }
    }

    /** Streams' application id and the sink's worker names: the {@code certflow.dlq.application} of their dead letters. */
    private static Map<String, List<String>> readers(Pipeline p) {
        String streams = p.name + "-streams";
        String views = "certflow-sink-views";
        String delivery = "certflow-sink-delivery";
        String oncall = "certflow-sink-oncall";
        Map<String, List<String>> out = new java.util.LinkedHashMap<>();
        java.util.function.BiConsumer<dev.certflow.schemas.TopicSpec, List<String>> put = (t, apps) -> out.put(t.name(p.prefix), apps);
        put.accept(dev.certflow.schemas.Topics.CERTIFICATES, List.of(streams, views));
        put.accept(dev.certflow.schemas.Topics.RENEWAL_ATTEMPTS, List.of(streams, views));
        put.accept(dev.certflow.schemas.Topics.SOURCE_STATUS, List.of(streams, views));
        put.accept(dev.certflow.schemas.Topics.CERTIFICATE_NAMES, List.of(streams));
        put.accept(dev.certflow.schemas.Topics.CERTIFICATE_NAME_MATCHES, List.of(streams));
        put.accept(dev.certflow.schemas.Topics.ALERT_SILENCES, List.of(streams, oncall));
        put.accept(dev.certflow.schemas.Topics.ALERT_ACKNOWLEDGEMENTS, List.of(streams, oncall));
        put.accept(dev.certflow.schemas.Topics.CERTIFICATES_EXPIRING, List.of(views));
        put.accept(dev.certflow.schemas.Topics.RENEWALS_FAILED, List.of(views));
        put.accept(dev.certflow.schemas.Topics.CERTIFICATE_RENEWALS, List.of(views));
        put.accept(dev.certflow.schemas.Topics.CERTIFICATE_ALERTS, List.of(views, delivery));
        return out;
    }

    /** Every pill dead-lettered exactly once by each of its topic's readers, with its origin and bytes; nothing else dead-lettered. */
    private static List<String> deadLetterProblems(List<PoisonPills.Pill> pills, Map<String, List<String>> readers, List<Observed.DeadLetter> dlq) {
        List<String> problems = new ArrayList<>();
        Map<String, List<Observed.DeadLetter>> byOrigin = dlq.stream().collect(Collectors.groupingBy(Observed.DeadLetter::origin));
        Set<String> pillOrigins = pills.stream().map(PoisonPills.Pill::origin).collect(Collectors.toSet());
        for (PoisonPills.Pill pill : pills) {
            List<Observed.DeadLetter> mine = byOrigin.getOrDefault(pill.origin(), List.of());
            for (String app : readers.get(pill.topic())) {
                List<Observed.DeadLetter> by = mine.stream().filter(d -> app.equals(d.application())).toList();
                if (by.size() != 1) {
                    problems.add(pill.kind() + " pill " + pill.origin() + ": " + by.size() + " dead letters from " + app + " (1 expected)");
                } else if (!Arrays.equals(by.get(0).value(), pill.value())) {
                    problems.add(pill.kind() + " pill " + pill.origin() + ": " + app + "'s dead letter does not hold the original bytes");
                }
            }
            mine.stream().map(Observed.DeadLetter::application).filter(a -> !readers.get(pill.topic()).contains(a)).distinct()
                    .forEach(a -> problems.add(pill.kind() + " pill " + pill.origin() + " dead-lettered by " + a + ", which does not read it"));
        }
        byOrigin.forEach((origin, ds) -> {
            if (!pillOrigins.contains(origin)) {
                problems.add("a record that is no pill dead-lettered: " + origin + " by " + ds.get(0).application() + " ("
                        + ds.get(0).headers().get(dev.certflow.schemas.DeadLetters.ERROR_CLASS) + ")");
            }
        });
        return problems;
    }

    @Test
    @Order(8)
    void row7_poisonPillsOnEveryInputTopic() throws Exception {
        trials("7", "poison pills (a bad magic byte, an unknown schema id, a registered id without a body) on every topic streams or the sink "
                + "reads, about 1 % of each one's records (at least one) in 3 rounds while the first polls flow: each dead-lettered once by "
                + "every reader, with its origin headers and bytes; nothing else dead-lettered", (p, r, i) -> {
            Map<String, List<String>> readers = readers(p);
            List<PoisonPills.Pill> pills;
            try (PoisonPills poison = new PoisonPills(p.broker.bootstrap(), p.broker.registryUrl(), r)) {
                for (int round = 0; round < 3; round++) {
                    Thread.sleep(r.nextInt(5000));
                    poison.round(List.copyOf(readers.keySet()), 1.0);
                }
                pills = poison.pills();
            }
            long injected = System.nanoTime();
            Verdict v = Verdict.await(p, SETTLE, true);
            int expected = pills.stream().mapToInt(x -> readers.get(x.topic()).size()).sum();
            List<String> problems = List.of();
            List<Observed.DeadLetter> dlq = List.of();
            long deadline = System.nanoTime() + Duration.ofMinutes(2).toNanos();
            do {
                if (!problems.isEmpty()) {
                    Thread.sleep(1000); // a dead letter may trail the outputs the verdict read
                }
                dlq = p.observed().deadLetters();
                problems = deadLetterProblems(pills, readers, dlq);
            } while (!problems.isEmpty() && System.nanoTime() < deadline);
            Map<String, Long> kinds = pills.stream().collect(Collectors.groupingBy(PoisonPills.Pill::kind, java.util.TreeMap::new, Collectors.counting()));
            String info = pills.size() + " pills " + kinds + " on " + readers.size() + " topics; " + expected + " dead letters expected, "
                    + dlq.size() + " on " + dev.certflow.schemas.Topics.DLQ.name(p.prefix) + " (read_committed)";
            LOG.info("row 7: {}; verdict {}", info, v.summary());
            return new Fault(0, injected, problems.size() > 10 ? String.join("; ", problems.subList(0, 10)) + "; ... (" + problems.size() + ")"
                    : String.join("; ", problems), info);
        });
    }

    @Test
    @Order(9)
    void row3_ingestKilledAndAZombieFenced() throws Exception {
        trials("3", "ingest kill -9 mid-poll (1-2 times), restarted; then a second ingest for the same sources: the first is fenced", (p, r, i) -> {
            double recovered = killAndRestart(p.ingest, r, 2, 3000);
            List<String> problems = new ArrayList<>();
            try (Child second = new Child("ingest-2", "192m", p.env(), p.dir.resolve("ingest-2.log"), "ingest", "--config", p.config.toString())) {
                second.start();
                recovered = Math.max(recovered, Pipeline.awaitReady(second, Duration.ofMinutes(2)));
                long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
                while (p.ingest.alive() && p.ingest.status("/health") == 200 && System.nanoTime() < deadline) {
                    Thread.sleep(500);
                }
                if (p.ingest.alive() && p.ingest.status("/health") == 200) {
                    problems.add("the first ingest was not fenced within 90 s of a second one starting");
                }
                // the second instance publishes from here on; the first (the zombie) stops
                p.ingest.close();
                Verdict v = Verdict.await(p, SETTLE, true);
                if (!v.clean()) {
                    problems.add("with the second ingest: " + v.summary());
                }
                Map<String, Integer> records = p.observed().certificateRecords();
                p.oracle.certificates().keySet().forEach(k -> {
                    int n = records.getOrDefault(k, 0);
                    if (n != 1) {
                        problems.add(k + " published " + n + " times on certificates (once expected: nothing changed)");
                    }
                });
            }
            return new Fault(recovered, System.nanoTime(), problems.size() > 10
                    ? String.join("; ", problems.subList(0, 10)) + "; ... (" + problems.size() + ")" : String.join("; ", problems));
        });
    }

    /**
     * Row 8: the simulator serves disordered upstream data from ingest's first poll on (pages served twice,
     * listings that leave about a tenth of their certificates out for one listing and list them again at the
     * next, smoxy attempts shuffled, twice or without their oldest), for at least 20 s and until each kind
     * happened, then stops. Besides the oracle (views equal it; each transition once on certificate-alerts and in
     * alert_history): no tombstone on {@code certificates} for a certificate the sources list at the oracle's
     * instant, and no attempt published twice on {@code renewal-attempts}.
     */
    @Test
    @Order(10)
    void row8_duplicateLateAndOutOfOrderUpstreamData() throws Exception {
        double repeat = 0.3;
        double shrink = 0.35;
        double attempts = 0.5;
        trials("8", "disordered upstream data from the first poll on: pages served twice (" + repeat + " of later pages), listings "
                + "leaving about a tenth of their certificates out for one listing (" + shrink + " of listings), smoxy attempts shuffled, "
                + "twice or late (" + attempts + "): no tombstone for a listed certificate, no attempt twice", c -> {
            // pages of 5: a source lists about a dozen certificates, so a page after the first exists to be served twice
            c.get("ingest").get("sources").forEach(src -> {
                com.fasterxml.jackson.databind.node.ObjectNode o = (com.fasterxml.jackson.databind.node.ObjectNode) src;
                for (String k : List.of("itemsPerPage", "pageSize")) {
                    if (o.has(k)) {
                        o.put(k, 5);
                    }
                }
            });
            // -Dreliability.removeAfterListings=1: ingest removing at the first listing without a certificate, as before the fix
            String n = System.getProperty("reliability.removeAfterListings");
            if (n != null) {
                ((com.fasterxml.jackson.databind.node.ObjectNode) c.get("ingest")).put("removeAfterListings", Integer.parseInt(n));
            }
        }, false, (p, r, i) -> {
            p.simulator.disorder(repeat, shrink, attempts);
            p.start();
            long t0 = System.nanoTime();
            long deadline = t0 + Duration.ofSeconds(90).toNanos();
            long atLeast = t0 + Duration.ofSeconds(20 + r.nextInt(10)).toNanos();
            dev.certflow.simulator.Simulator.Disorder d = p.simulator.disorder();
            while (System.nanoTime() < deadline && (System.nanoTime() < atLeast || d.shrunkListings() == 0 || d.repeatedPages() == 0
                    || d.disorderedAttempts() == 0)) {
                Thread.sleep(500);
                d = p.simulator.disorder();
            }
            p.simulator.disorder(0, 0, 0);
            long ended = System.nanoTime();
            d = p.simulator.disorder();
            List<String> problems = new ArrayList<>();
            if (d.shrunkListings() == 0 || d.repeatedPages() == 0 || d.disorderedAttempts() == 0) {
                problems.add("not every disorder happened within 90 s: " + d);
            }
            Verdict v = Verdict.await(p, SETTLE, true);
            Observed o = p.observed();
            Set<String> tombstoned = new java.util.TreeSet<>(o.tombstones());
            tombstoned.retainAll(p.oracle.certificates().keySet());
            tombstoned.stream().limit(10).forEach(k -> problems.add("tombstone on certificates for " + k + ", which the source still lists"));
            Map<String, Integer> attemptRecords = o.attemptRecords();
            attemptRecords.forEach((k, n) -> {
                if (n > 1) {
                    problems.add("renewal-attempts: " + k + " " + n + " times");
                }
            });
            String info = d.shrunkListings() + " listings shrank (" + d.omittedCertificates() + " certificates left out once), "
                    + d.repeatedPages() + " pages served twice, " + d.disorderedAttempts() + " attempts listings disordered; "
                    + tombstoned.size() + " tombstones for listed certificates; " + attemptRecords.size() + " attempt records, "
                    + attemptRecords.values().stream().filter(n -> n > 1).count() + " twice";
            LOG.info("row 8: {}; verdict {}", info, v.summary());
            return new Fault(0, ended, String.join("; ", problems), info);
        });
    }
}
