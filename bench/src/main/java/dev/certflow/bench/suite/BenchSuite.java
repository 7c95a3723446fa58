package dev.certflow.bench.suite;

import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * {@code bench/run all [--smoke|--full] [--sizes 10k,100k,1m] [--rounds N] [--only R2,R6]
 * [--big-size 1m] [--big-timeout 600s] [--out FILE] [--jfr DIR]}: the whole benchmark table of issue 15 in one
 * run. One in-JVM broker and one embedded PostgreSQL serve every row; each row alternates ours and
 * its baseline round by round on the same records (the fleet corpus, {@link Corpus}) after a
 * warm-up, and reports the ratio's median and spread against the target. The table is
 * printed and written, with the command, commit and machine, to {@code bench/results/latest.md}.
 *
 * <p>{@code --smoke} (one round, tiny sizes, the child-process rows in parallel) exists so CI
 * runs the harness: its figures mean nothing.
 */
public final class BenchSuite {
    /** Every row id the table has, in its order (T1 and M1 have sub-rows). */
    public static final List<String> ROWS = List.of("R1", "R2", "R3", "R4", "R5", "R6", "R7", "T1", "M1", "P1");

    private BenchSuite() {
    }

    public static void main(String[] args) throws Exception {
        Bench.Settings settings = parse(args);
        List<Row> rows = run(settings, System.out);
        System.exit(rows.isEmpty() ? 1 : 0); // Kafka and PostgreSQL client threads would keep the JVM
    }

    /** Parses the command line (everything after {@code all}). */
    public static Bench.Settings parse(String[] args) {
        boolean smoke = false;
        List<Integer> sizes = null;
        Integer rounds = null;
        Set<String> only = new LinkedHashSet<>();
        Integer big = null;
        Duration bigTimeout = null;
        Path out = null;
        Path jfr = null;
        Path repo = Path.of(System.getProperty("certflow.repo", ".")).toAbsolutePath().normalize();
        List<String> a = new ArrayList<>(Arrays.asList(args));
        if (!a.isEmpty() && a.get(0).equals("all")) {
            a.remove(0);
        }
        for (int i = 0; i < a.size(); i++) {
            String arg = a.get(i);
            switch (arg) {
                case "--smoke" -> smoke = true;
                case "--full" -> smoke = false;
                case "--sizes" -> sizes = Arrays.stream(value(a, ++i, arg).split(",")).map(BenchSuite::size).toList();
                case "--rounds" -> rounds = Integer.parseInt(value(a, ++i, arg));
                case "--only" -> Arrays.stream(value(a, ++i, arg).split(",")).map(s -> s.trim().toUpperCase(Locale.ROOT)).forEach(only::add);
                case "--big-size" -> big = size(value(a, ++i, arg));
                case "--big-timeout" -> bigTimeout = dev.certflow.runtime.config.Durations.parse(value(a, ++i, arg));
                case "--out" -> out = Path.of(value(a, ++i, arg));
                case "--jfr" -> jfr = Path.of(value(a, ++i, arg)).toAbsolutePath();
                default -> throw new IllegalArgumentException("bench/run all: unknown option '" + arg
                        + "' (--smoke, --full, --sizes 10k,100k,1m, --rounds N, --only R1,R2, --big-size 1m, --big-timeout 600s, --out FILE, --jfr DIR)");
            }
        }
        for (String id : only) {
            if (!ROWS.contains(id)) {
                throw new IllegalArgumentException("bench/run all --only: no row '" + id + "' (rows: " + String.join(", ", ROWS) + ")");
            }
        }
        return new Bench.Settings(smoke, sizes != null ? sizes : smoke ? List.of(2000) : List.of(10_000, 100_000),
                rounds != null ? rounds : smoke ? 1 : 3, out != null ? out : repo.resolve("bench/results/latest.md"), only,
                big != null ? big : smoke ? 300 : 1_000_000, bigTimeout != null ? bigTimeout : smoke ? Duration.ofMinutes(2) : Duration.ofMinutes(10),
                repo, "bench/run all " + String.join(" ", a), jfr);
    }

    private static String value(List<String> a, int i, String option) {
        if (i >= a.size()) {
            throw new IllegalArgumentException("bench/run all: " + option + " needs a value");
        }
        return a.get(i);
    }

    /** {@code 10k}, {@code 1m}, {@code 2000}. */
    static int size(String s) {
        String v = s.trim().toLowerCase(Locale.ROOT);
        int mult = v.endsWith("k") ? 1000 : v.endsWith("m") ? 1_000_000 : 1;
        return Integer.parseInt(mult == 1 ? v : v.substring(0, v.length() - 1)) * mult;
    }

    /** Runs the suite, prints and writes the table; returns its rows. */
    public static List<Row> run(Bench.Settings s, PrintStream out) throws Exception {
        quietLogs();
        // before any JDK HTTP server exists (it reads this once): without it the server's separate header and body
        // writes meet the client's delayed ACK, ~40 ms per response charged to whatever the stub or receiver serves
        System.setProperty("sun.net.httpserver.nodelay", "true");
        Instant started = Instant.now();
        String loadStart = Machine.loadAverage();
        Path logs = Files.createDirectories(s.out().toAbsolutePath().getParent().resolve("logs"));
        jdk.jfr.Recording recording = null;
        if (s.jfr() != null) {
            // the whole suite recorded: each row's work runs on threads named after it (stream threads carry the application id)
            Files.createDirectories(s.jfr());
            Bench.jfrDir = s.jfr();
            recording = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            recording.setToDisk(true);
            recording.setDestination(s.jfr().resolve("suite.jfr"));
            recording.start();
        }
        List<Row> rows = new ArrayList<>();
        out.printf("certflow bench suite: %s, sizes %s, %d round(s), %d cores, load %s%n", s.smoke() ? "smoke" : "full",
                s.sizes().stream().map(Stats::size).toList(), s.rounds(), Machine.cores(), loadStart);
        ExecutorService background = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "bench-child-rows");
            t.setDaemon(true);
            return t;
        });
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start();
             EmbeddedPostgresServer postgres = EmbeddedPostgresServer.start()) {
            Bench bench = new Bench(s, broker, postgres);
            // the rows in child JVMs: in smoke mode in parallel with the rest (seconds matter, figures do not)
            List<Future<List<Row>>> children = new ArrayList<>();
            List<Callable<List<Row>>> childRows = new ArrayList<>();
            if (s.runs("T1")) {
                childRows.add(guard("T1", "expiry tick at " + s.sizes().stream().map(Stats::size).toList(), "tick(1M) ≤ 1.5 x tick(10k)",
                        () -> tick(s, logs)));
            }
            if (s.runs("M1")) {
                childRows.add(guard("M1", "memory during a " + Stats.size(s.bigSize()) + " run", "heap / RSS floors",
                        () -> ProcessRows.memory(bench, s.bigSize(), logs)));
            }
            if (s.runs("P1")) {
                childRows.add(guard("P1", "certflow local --size " + Stats.size(s.bigSize()) + " cold start", "≤ 180 s",
                        () -> ProcessRows.coldStart(bench, s.bigSize(), logs)));
            }
            if (s.smoke()) {
                for (Callable<List<Row>> c : childRows) {
                    children.add(background.submit(c));
                }
            }
            if (s.runs("R1")) {
                rows.addAll(guard("R1", "serde write / read (JMH)", "≥ 0.90 / 0.85", () -> SerdeRows.run(bench)).call());
            }
            for (int size : s.sizes()) {
                Corpus corpus = Corpus.of(size);
                String z = Stats.size(size);
                if (s.runs("R2")) {
                    rows.addAll(guard("R2", "ingest first poll, " + z, "≥ 0.40", () -> List.of(IngestRows.run(bench, size))).call());
                }
                if (s.runs("R3") || s.runs("R4")) {
                    rows.addAll(guard(s.runs("R3") ? "R3" : "R4", "topology throughput, " + z, "≥ 0.50 / 0.70",
                            () -> TopologyRows.run(bench, corpus, s.runs("R3"), s.runs("R4"))).call());
                }
                if (s.runs("R5")) {
                    rows.addAll(guard("R5", "whole pipeline, " + z, "≥ 0.25", () -> List.of(PipelineRows.run(bench, corpus))).call());
                }
                if (s.runs("R6")) {
                    rows.addAll(guard("R6", "view upserts, " + z, "≥ 0.50", () -> List.of(ViewRows.run(bench, corpus))).call());
                }
                if (s.runs("R7")) {
                    rows.addAll(guard("R7", "latency, " + z, "p99 ≤ 250 ms", () -> List.of(LatencyRows.run(bench, corpus))).call());
                }
            }
            if (!s.smoke()) {
                for (Callable<List<Row>> c : childRows) {
                    rows.addAll(c.call());
                }
            }
            for (Future<List<Row>> f : children) {
                rows.addAll(f.get());
            }
        } finally {
            background.shutdownNow();
            if (recording != null) {
                recording.stop();
                recording.close();
                out.println("flight recordings in " + s.jfr());
            }
        }
        rows.sort(java.util.Comparator.comparingInt(r -> ROWS.indexOf(r.id().replaceAll("^([A-Z]\\d).*", "$1"))));
        String table = Report.markdown(s, rows, started, loadStart, Machine.loadAverage());
        out.println();
        out.println(table);
        Files.createDirectories(s.out().toAbsolutePath().getParent());
        Files.writeString(s.out(), table);
        out.println("written to " + s.out());
        return rows;
    }

    /** T1 at every size, through ExpiryTickBench in child JVMs, one after the other. */
    private static List<Row> tick(Bench.Settings s, Path logs) {
        List<TickRows.Tick> ticks = new ArrayList<>();
        try {
            for (int size : s.sizes()) {
                int changed = s.smoke() ? Math.max(1, size / 20) : 1000;
                Path log = logs.resolve("t1-tick-" + Stats.size(size) + ".log");
                ticks.add(TickRows.collect(TickRows.start(size, changed, log), size, changed, log, s.smoke() ? 5 : 60));
                System.out.printf("T1 %s: tick %.1f ms, idle %.3f ms, catch-up %.0f certificates/s%n", Stats.size(size),
                        ticks.get(ticks.size() - 1).tickMs(), ticks.get(ticks.size() - 1).idleMs(), ticks.get(ticks.size() - 1).updatesPerSecond());
            }
            return TickRows.rows(ticks);
        } catch (Exception e) {
            e.printStackTrace();
            List<Row> rows = new ArrayList<>(ticks.isEmpty() ? List.of() : TickRows.rows(ticks));
            rows.add(Row.failed("T1", "expiry tick", "tick(1M) ≤ 1.5 x tick(10k)", e));
            return rows;
        }
    }

    /** The table is the output: the broker's, the clients' and our own INFO lines are not. */
    private static void quietLogs() {
        for (String logger : new String[]{"org.apache.kafka", "kafka", "org.apache.zookeeper", "dev.certflow", "com.zaxxer.hikari",
                "org.flywaydb", "io.zonky"}) {
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger)).setLevel(ch.qos.logback.classic.Level.ERROR);
        }
    }

    /** A row that fails with its reason instead of stopping the suite; says how long it took. */
    private static Callable<List<Row>> guard(String id, String figure, String target, Callable<List<Row>> row) {
        return () -> {
            long t0 = System.nanoTime();
            try {
                List<Row> rows = row.call();
                System.out.printf(Locale.ROOT, "%s (%s) took %.0f s, load %s%n", id, figure, (System.nanoTime() - t0) / 1e9, Machine.loadAverage());
                return rows;
            } catch (Exception | Error e) {
                System.err.println(id + " failed:");
                e.printStackTrace();
                return List.of(Row.failed(id, figure, target, e));
            }
        };
    }

}
