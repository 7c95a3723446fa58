package dev.certflow.bench.suite;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.schemas.Topics;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import dev.certflow.simulator.Simulator;
import dev.certflow.simulator.SimulatorOptions;
import dev.certflow.streams.StreamsProperties;
import dev.certflow.streams.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * M1 and P1: certflow's own commands as child processes, each measured from outside. Heap is the
 * JVM's used heap as its {@code /metrics} report it (Micrometer's {@code jvm_memory_used_bytes},
 * read from the MemoryPoolMXBeans), scraped every 5 s (a scrape costs the process CPU: at 2 per
 * second it took a quarter of {@code certflow local}'s); RSS is the peak resident set
 * ({@code VmHWM} of {@code /proc/PID/status}, exact whatever the sampling).
 */
final class ProcessRows {
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
    private static final long MIB = 1024 * 1024;
    private static final long SCRAPE_EVERY_NANOS = TimeUnit.SECONDS.toNanos(5);

    private ProcessRows() {
    }

    /** Peak heap and RSS of one child, sampled. */
    static final class Sampler {
        final Process process;
        final String metricsUrl;
        long peakHeap;
        long peakRss;
        Map<String, Double> last = Map.of();
        long lastScrape = System.nanoTime() - SCRAPE_EVERY_NANOS;

        Sampler(Process process, String metricsUrl) {
            this.process = process;
            this.metricsUrl = metricsUrl;
        }

        void sample() {
            // a scrape of /metrics is not free (Kafka client metrics): at most one every 5 s, as a Prometheus would
            long now = System.nanoTime();
            Map<String, Double> m = now - lastScrape < SCRAPE_EVERY_NANOS ? Map.of() : metrics(metricsUrl);
            if (!m.isEmpty()) {
                lastScrape = now;
                last = m;
                peakHeap = Math.max(peakHeap, (long) sum(m, "jvm_memory_used_bytes", "area=\"heap\""));
            }
            long hwm = Machine.statusKb(process.pid(), "VmHWM:");
            if (hwm > 0) {
                peakRss = Math.max(peakRss, hwm * 1024);
            }
        }
    }

    /**
     * The heap {@code ./certflow local} gets unless {@code CERTFLOW_JAVA_OPTS} sets one (the script's
     * default), so M1-local measures the process a user starts.
     */
    static final String LOCAL_HEAP = "-Xmx1280m";

    /** P1 and the whole-process part of M1: {@code certflow local --size N --speed 1}, cold, until every published certificate is in the view. */
    static List<Row> coldStart(Bench bench, int size, Path logDir) throws Exception {
        Path log = logDir.resolve("p1-local-" + Stats.size(size) + ".log");
        // the ports are chosen here: certflow local prints its addresses only once streams has caught up, minutes at 1M
        int opsPort = EmbeddedKafkaBroker.freePort();
        int pgPort = EmbeddedKafkaBroker.freePort();
        long t0 = System.nanoTime();
        Process p = Bench.childJvm(List.of(LOCAL_HEAP), "dev.certflow.cli.Main", List.of("local", "--size", Integer.toString(size), "--speed", "1",
                        "--kafka-port", "0", "--registry-port", "0", "--postgres-port", Integer.toString(pgPort),
                        "--set", "ops.port=" + opsPort, "--summary-every", "1h"))
                .redirectErrorStream(true).redirectOutput(log.toFile()).start();
        try {
            Sampler sampler = new Sampler(p, "http://127.0.0.1:" + opsPort + "/metrics");
            long[] published = {0};
            long[] rows = {0};
            Duration timeout = bench.settings().bigTimeout();
            try (HikariDataSource ds = new HikariDataSource()) {
                ds.setJdbcUrl("jdbc:postgresql://127.0.0.1:" + pgPort + "/postgres");
                ds.setUsername(EmbeddedPostgresServer.USER);
                ds.setPassword(EmbeddedPostgresServer.PASSWORD);
                ds.setMaximumPoolSize(1);
                // the database comes up a few seconds after the process: no pool start failure, short waits
                ds.setInitializationFailTimeout(-1);
                ds.setConnectionTimeout(2_000);
                boolean done = Bench.await(timeout, Duration.ofMillis(500), () -> {
                    sampler.sample();
                    rows[0] = PipelineRows.rows(ds);
                    Set<String> polled = polledSources(sampler.last);
                    published[0] = (long) sum(sampler.last, "certflow_ingest_certificates_changed_total", "");
                    return !p.isAlive() || (polled.size() >= 7 && rows[0] >= published[0]);
                });
                double seconds = (System.nanoTime() - t0) / 1e9;
                if (!p.isAlive()) {
                    throw new IllegalStateException("certflow local exited with " + p.exitValue() + " (log " + log + ")");
                }
                String ps = String.format(Locale.ROOT, "%.0f s", seconds);
                Row p1 = new Row("P1", "certflow local --size " + Stats.size(size) + " cold start until every certificate is in the views",
                        done ? ps : "> " + ps, "—", List.of(seconds), "≤ 180 s (goal 60 s)", done && seconds <= 180,
                        done ? Stats.num(rows[0]) + " certificates in the view (all the first polls published); ratio column = seconds"
                                : "timed out: " + Stats.num(rows[0]) + " certificates in the view, " + polledSources(sampler.last).size()
                                + " of 7 sources through their first poll (fleet " + Stats.num(size) + ")");
                Row m1 = new Row("M1-local", "certflow local whole process during the " + Stats.size(size) + " run, peak RSS",
                        mib(sampler.peakRss) + " RSS, heap peak " + mib(sampler.peakHeap), "—", List.of(sampler.peakRss / (double) MIB),
                        "≤ 2 GiB RSS (goal 1.5 GiB)", sampler.peakRss <= 2048 * MIB,
                        "ratio column = peak RSS in MiB (VmHWM); " + LOCAL_HEAP + ", the certflow script's default for local");
                return List.of(p1, m1);
            }
        } finally {
            stop(p);
        }
    }

    /**
     * M1 per service: {@code certflow ingest} (-Xmx512m) and {@code certflow streams} (-Xmx1g) as their own
     * processes on the suite's broker, polling a simulator of N in this JVM through a shared HTTP schema
     * registry, until streams has consumed every certificate ingest published.
     */
    static List<Row> memory(Bench bench, int size, Path logDir) throws Exception {
        String run = bench.unique("m1");
        Path dir = Files.createTempDirectory("certflow-bench-m1-");
        try (EmbeddedSchemaRegistry registry = EmbeddedSchemaRegistry.start(0);
             Simulator simulator = Simulator.start(new SimulatorOptions().size(size).speed(1).pbxOutage(false))) {
            KafkaSettings kafka = bench.kafka(run);
            kafka.schemaRegistryUrl = registry.url();
            new TopicManager(kafka).ensure(Topics.ALL);
            int ingestOps = EmbeddedKafkaBroker.freePort();
            int streamsOps = EmbeddedKafkaBroker.freePort();
            String common = "kafka: {bootstrapServers: \"" + bench.bootstrapServers() + "\", schemaRegistryUrl: \"" + registry.url()
                    + "\", topicPrefix: \"" + kafka.topicPrefix + "\"}\n";
            Path ingestYaml = dir.resolve("ingest.yaml");
            Files.writeString(ingestYaml, common + "ops: {host: 127.0.0.1, port: " + ingestOps + "}\n" + simulator.ingestYaml());
            Path streamsYaml = dir.resolve("streams.yaml");
            String appId = "bench-" + run;
            Files.writeString(streamsYaml, common + "ops: {host: 127.0.0.1, port: " + streamsOps + "}\nstreams: {applicationId: \"" + appId
                    + "\", stateDir: \"" + dir.resolve("state") + "\"}\n");
            ProcessBuilder ib = Bench.childJvm(List.of("-Xmx512m"), "dev.certflow.cli.Main", List.of("ingest", "--config", ingestYaml.toString()));
            ib.environment().putAll(simulator.credentials());
            Process ingest = ib.redirectErrorStream(true).redirectOutput(logDir.resolve("m1-ingest-" + Stats.size(size) + ".log").toFile()).start();
            Process streams = Bench.childJvm(List.of("-Xmx1g"), "dev.certflow.cli.Main", List.of("streams", "--config", streamsYaml.toString()))
                    .redirectErrorStream(true).redirectOutput(logDir.resolve("m1-streams-" + Stats.size(size) + ".log").toFile()).start();
            try {
                Sampler si = new Sampler(ingest, "http://127.0.0.1:" + ingestOps + "/metrics");
                Sampler ss = new Sampler(streams, "http://127.0.0.1:" + streamsOps + "/metrics");
                String topic = kafka.topics().certificates().name();
                Duration timeout = bench.settings().bigTimeout();
                long t0 = System.nanoTime();
                boolean done;
                try (Admin admin = Admin.create(kafka.admin("bench-m1"))) {
                    done = Bench.await(timeout, Duration.ofMillis(500), () -> {
                        si.sample();
                        ss.sample();
                        if (!ingest.isAlive() || !streams.isAlive()) {
                            return true;
                        }
                        return polledSources(si.last).size() >= simulator.sources().size() && caughtUp(bench, kafka, admin, appId, topic);
                    });
                }
                double seconds = (System.nanoTime() - t0) / 1e9;
                boolean alive = ingest.isAlive() && streams.isAlive();
                String state = !alive ? "a process died (ingest " + (ingest.isAlive() ? "alive" : "exited " + ingest.exitValue()) + ", streams "
                        + (streams.isAlive() ? "alive" : "exited " + streams.exitValue()) + ")"
                        : done ? String.format(Locale.ROOT, "all %s certificates through streams in %.0f s", Stats.size(size), seconds)
                        : "timed out after " + timeout.toSeconds() + " s, so the floor is not shown to hold (figures up to then)";
                boolean rocksBounded = StreamsProperties.of(kafka, new StreamsSettings(), null, null).containsKey("rocksdb.config.setter");
                Row mi = new Row("M1-ingest", "ingest heap during the " + Stats.size(size) + " run (certflow ingest, -Xmx512m)",
                        mib(si.peakHeap) + " heap, RSS " + mib(si.peakRss), "—", List.of(si.peakHeap / (double) MIB), "≤ 512 MiB heap",
                        alive && done && si.peakHeap <= 512 * MIB, state + "; ratio column = peak heap in MiB");
                Row ms = new Row("M1-streams", "streams heap during the " + Stats.size(size) + " run (certflow streams, -Xmx1g)",
                        mib(ss.peakHeap) + " heap, RSS " + mib(ss.peakRss), "—", List.of(ss.peakHeap / (double) MIB),
                        "≤ 1 GiB heap, RocksDB bounded by a config setter", alive && done && ss.peakHeap <= 1024 * MIB && rocksBounded,
                        (rocksBounded ? "rocksdb.config.setter set" : "FINDING: no rocksdb.config.setter: block cache and memtables of every store unbounded (off-heap, in RSS)")
                                + "; " + state + "; ratio column = peak heap in MiB");
                return List.of(mi, ms);
            } finally {
                stop(ingest);
                stop(streams);
            }
        } finally {
            dev.certflow.embedded.TempDirs.deleteRecursively(dir);
        }
    }

    private static boolean caughtUp(Bench bench, KafkaSettings kafka, Admin admin, String group, String topic) {
        try {
            Map<TopicPartition, Long> ends = bench.endOffsets(kafka, topic);
            if (ends.values().stream().mapToLong(Long::longValue).sum() == 0) {
                return false;
            }
            Map<TopicPartition, OffsetAndMetadata> committed = admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata()
                    .get(5, TimeUnit.SECONDS);
            return ends.entrySet().stream().allMatch(e -> e.getValue() == 0
                    || (committed.get(e.getKey()) != null && committed.get(e.getKey()).offset() >= e.getValue()));
        } catch (Exception e) {
            return false;
        }
    }

    /** Sources with at least one poll that did not fail. */
    static Set<String> polledSources(Map<String, Double> metrics) {
        Set<String> polled = new HashSet<>();
        Pattern source = Pattern.compile("source=\"([^\"]+)\"");
        metrics.forEach((k, v) -> {
            if (k.startsWith("certflow_ingest_polls_total{") && !k.contains("outcome=\"failed\"") && v > 0) {
                Matcher m = source.matcher(k);
                if (m.find()) {
                    polled.add(m.group(1));
                }
            }
        });
        return polled;
    }

    /** Prometheus text exposition as series to value; empty when it cannot be read. */
    static Map<String, Double> metrics(String url) {
        try {
            HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).build(),
                    HttpResponse.BodyHandlers.ofString());
            Map<String, Double> out = new java.util.HashMap<>();
            for (String line : r.body().split("\n")) {
                if (line.isEmpty() || line.startsWith("#")) {
                    continue;
                }
                int sp = line.lastIndexOf(' ');
                try {
                    out.put(line.substring(0, sp), Double.parseDouble(line.substring(sp + 1)));
                } catch (NumberFormatException e) {
                    // a value Prometheus allows but we do not need (NaN variants)
                }
            }
            return out;
        } catch (IOException e) {
            return Map.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Map.of();
        }
    }

    static double sum(Map<String, Double> metrics, String name, String labelFilter) {
        return metrics.entrySet().stream()
                .filter(e -> (e.getKey().equals(name) || e.getKey().startsWith(name + "{")) && e.getKey().contains(labelFilter))
                .mapToDouble(Map.Entry::getValue).sum();
    }

    private static String mib(long bytes) {
        return Stats.num(bytes / (double) MIB) + " MiB";
    }

    private static void stop(Process p) throws InterruptedException {
        p.destroy();
        if (!p.waitFor(60, TimeUnit.SECONDS)) {
            p.destroyForcibly();
            p.waitFor(30, TimeUnit.SECONDS);
        }
    }
}
