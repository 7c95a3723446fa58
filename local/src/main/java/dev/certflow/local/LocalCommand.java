package dev.certflow.local;

import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.service.Lifecycle;
import dev.certflow.simulator.Profile;
import dev.certflow.simulator.SimulatorOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * {@code certflow local}: the whole pipeline in one JVM on embedded defaults, against the
 * simulator, or against real sources with {@code --config FILE}.
 */
@Command(name = "local", mixinStandardHelpOptions = true,
        description = "Run the whole pipeline in one JVM: in-JVM Kafka, schema registry, PostgreSQL, simulated APIs, ingest, streams, sink.")
public final class LocalCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--size", defaultValue = "300", description = "Simulated certificates (default ${DEFAULT-VALUE})")
    int size;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the simulated fleet (default ${DEFAULT-VALUE})")
    long seed;

    @Option(names = "--speed", defaultValue = "1440", description = "Simulated seconds per real second (default ${DEFAULT-VALUE}: a day per minute)")
    double speed;

    @Option(names = "--profile", defaultValue = "day", paramLabel = "day|year",
            description = "Scripted certificates of the simulated fleet: the scripted day or the renewal year (default ${DEFAULT-VALUE}; "
                    + "--profile year --speed 100000: renewals that stop, fail, are not deployed, drop a SAN or are superseded, a year in 5 minutes)")
    String profile;

    @Option(names = "--kafka-port", defaultValue = "9092", description = "Port of the in-JVM broker (default ${DEFAULT-VALUE}; 0 = a free port)")
    int kafkaPort;

    @Option(names = "--registry-port", defaultValue = "8081", description = "Port of the embedded schema registry (default ${DEFAULT-VALUE}; 0 = a free port)")
    int registryPort;

    @Option(names = "--postgres-port", defaultValue = "0", description = "Port of the embedded PostgreSQL, started when sink.jdbcUrl is not set (default: a free port)")
    int postgresPort;

    @Option(names = "--verbose", description = "Log every poll and rebalance (default: warnings only from the workers)")
    boolean verbose;

    @Option(names = "--summary-every", defaultValue = "10s", description = "How often to print the live summary (default ${DEFAULT-VALUE})",
            converter = DurationConverter.class)
    Duration summaryEvery;

    @Option(names = "--duration", description = "Stop by itself after this long (for example 2m); default: until Ctrl-C",
            converter = DurationConverter.class)
    Duration duration;

    @Override
    public Integer call() throws Exception {
        PrintStream out = System.out;
        LocalStack.Options stackOptions = new LocalStack.Options();
        stackOptions.config = options.load();
        stackOptions.simulator = new SimulatorOptions().size(size).seed(seed).speed(speed).profile(Profile.of(profile));
        stackOptions.kafkaPort = kafkaPort;
        stackOptions.registryPort = registryPort;
        stackOptions.postgresPort = postgresPort;
        if (!verbose) {
            // the console is for alerts and the summary; per-poll lines stay in --verbose
            for (String logger : new String[]{"dev.certflow.ingest", "dev.certflow.simulator", "dev.certflow.runtime", "dev.certflow.embedded",
                    "dev.certflow.sink", "dev.certflow.streams"}) {
                ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(logger)).setLevel(ch.qos.logback.classic.Level.WARN);
            }
            ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger("org.apache.kafka")).setLevel(ch.qos.logback.classic.Level.ERROR);
        }
        stackOptions.console = out;
        try (Lifecycle lifecycle = new Lifecycle()) {
            LocalStack stack = lifecycle.add(LocalStack.start(stackOptions));
            out.println();
            out.println("certflow local is running");
            out.println("  Kafka bootstrap servers : " + stack.bootstrapServers());
            out.println("  schema registry         : " + stack.schemaRegistryUrl());
            out.println("  dashboard               : " + stack.queryApiUrl() + "/");
            out.println("  query API               : " + stack.queryApiUrl() + "/v1/certificates/expiring-soon?days=30");
            out.println("  metrics / health        : " + stack.queryApiUrl() + "/metrics, /health, /ready");
            if (stack.writeTokenFile() != null) {
                out.println("  API write token         : in " + stack.writeTokenFile() + " (silences, acks: certflow silence add --api "
                        + stack.queryApiUrl() + " --token-file " + stack.writeTokenFile() + " ...)");
            }
            if (stack.postgres() != null) {
                out.println("  PostgreSQL              : " + stack.jdbcUrl() + " (user postgres, password postgres): " + stack.postgres().psqlCommand("postgres"));
            } else {
                out.println("  PostgreSQL              : " + stack.jdbcUrl());
            }
            if (stack.simulator() != null) {
                out.println("  simulator               : " + stack.simulator().baseUrl() + " (" + size + " certificates, "
                        + speed + "x, simulated start " + stack.simulator().clock().start() + ")");
            }
            out.println("Alerts print as they happen; a summary every " + summaryEvery.toSeconds() + " s. Ctrl-C stops.");
            out.println();
            ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "local-summary");
                t.setDaemon(true);
                return t;
            });
            lifecycle.add(ticker::shutdownNow);
            Instant started = Instant.now();
            ticker.scheduleAtFixedRate(() -> out.println(summary(stack, started)), summaryEvery.toMillis(), summaryEvery.toMillis(), TimeUnit.MILLISECONDS);
            if (duration != null) {
                ticker.schedule(lifecycle::stop, duration.toMillis(), TimeUnit.MILLISECONDS);
            }
            // closed first on stop: the last summary prints while the stack still runs
            lifecycle.add(() -> out.println(summary(stack, started) + "\nstopping certflow local"));
            lifecycle.awaitShutdown();
        }
        return 0;
    }

    /** One compact block: per source its polls and certificates, the table sizes, alerts and throughput. */
    static String summary(LocalStack stack, Instant started) {
        String simNow = stack.simulator() == null ? null : stack.simulator().clock().instant().truncatedTo(ChronoUnit.MINUTES).toString();
        return summary(stack.ops().registry(), Instant.now(), started, simNow);
    }

    /**
     * The summary from the meters alone. Certificates read count per page as a poll reads them, so a
     * long first poll shows its progress; a source with no successful poll yet says "never".
     *
     * @param simulatedNow the simulated clock's time, or null without the simulator
     */
    static String summary(MeterRegistry registry, Instant now, Instant started, String simulatedNow) {
        StringBuilder sb = new StringBuilder();
        sb.append("-- ").append(now.truncatedTo(ChronoUnit.SECONDS)).append(simulatedNow == null ? "" : " (simulated " + simulatedNow + ")").append('\n');
        Map<String, double[]> sources = new TreeMap<>(); // ok polls, failed polls, certificates read, last success age
        Search.in(registry).name("certflow.ingest.polls").counters().forEach(c -> {
            double[] v = sources.computeIfAbsent(c.getId().getTag("source"), k -> new double[4]);
            if ("failed".equalsIgnoreCase(c.getId().getTag("outcome"))) {
                v[1] += c.count();
            } else {
                v[0] += c.count();
            }
        });
        Search.in(registry).name("certflow.ingest.certificates.seen").counters().forEach(c ->
                sources.computeIfAbsent(c.getId().getTag("source"), k -> new double[4])[2] += c.count());
        Search.in(registry).name("certflow.ingest.last.success.age").gauges().forEach(g ->
                sources.computeIfAbsent(g.getId().getTag("source"), k -> new double[4])[3] = g.value());
        // before the first success the age gauge counts from the start: say "never" rather than pretend a success
        sources.forEach((name, v) -> sb.append(String.format(Locale.ROOT, "   %-16s polls ok %-4.0f failed %-4.0f certificates read %-7.0f last success %s%n",
                name, v[0], v[1], v[2], v[0] > 0 ? String.format(Locale.ROOT, "%4.0fs ago", v[3]) : "never")));
        StringBuilder tables = new StringBuilder();
        Search.in(registry).name("certflow.streams.table.size").gauges().forEach(g ->
                tables.append(' ').append(g.getId().getTag("store")).append('=').append(Double.isNaN(g.value()) ? "?" : String.format(Locale.ROOT, "%.0f", g.value())));
        sb.append("   tables:").append(tables).append('\n');
        double fired = Search.in(registry).name("certflow.streams.alerts.fired").counters().stream().mapToDouble(Counter::count).sum();
        double resolved = Search.in(registry).name("certflow.streams.alerts.resolved").counters().stream().mapToDouble(Counter::count).sum();
        double seen = Search.in(registry).name("certflow.ingest.certificates.seen").counters().stream().mapToDouble(Counter::count).sum();
        double seconds = Math.max(1, Duration.between(started, now).toSeconds());
        sb.append(String.format(Locale.ROOT, "   alerts fired %.0f, resolved %.0f; ingest %.0f certificates read (%.0f/s)", fired, resolved, seen, seen / seconds));
        return sb.toString();
    }

    /** Picocli converter for {@code 30s}, {@code 2m}, {@code PT1M}. */
    public static final class DurationConverter implements picocli.CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            return dev.certflow.runtime.config.Durations.parse(value);
        }
    }

}
