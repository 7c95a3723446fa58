package dev.certflow.bench.ingest;

import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.Ingest;
import dev.certflow.ingest.PollResult;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.simulator.SimulatedSource;
import dev.certflow.simulator.Simulator;
import dev.certflow.simulator.SimulatorOptions;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The first poll of one smoxy organisation against the simulator, where every certificate's
 * attempts cost a request: certificates per second for each {@code attemptConcurrency}, and the
 * ratio against 1 (one request at a time, the behaviour before it existed) measured in the same run.
 * An optional added latency per request stands in for the round trip to a remote SaaS.
 *
 * <p>Args: {@code [fleetSize=27000] [concurrencies=1,2,4,8,16] [latencyMs=0] [rounds=2]}; the
 * organisation polled holds a ninth of the fleet.
 */
public final class SmoxyColdStartBench {
    public static void main(String[] args) throws Exception {
        int size = args.length > 0 ? Integer.parseInt(args[0]) : 27_000;
        int[] levels = Arrays.stream((args.length > 1 ? args[1] : "1,2,4,8,16").split(",")).mapToInt(Integer::parseInt).toArray();
        int latencyMs = args.length > 2 ? Integer.parseInt(args[2]) : 0;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 2;

        SimulatorOptions options = new SimulatorOptions().size(size).speed(1);
        options.threads = 64; // a SaaS answers many clients at once: the simulator's pool must not be what is measured
        if (latencyMs > 0) {
            options.faults(0, 0, 0, 1.0).slowDelay(Duration.ofMillis(latencyMs));
        }
        Map<Integer, List<Double>> rates = new LinkedHashMap<>();
        try (EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(); Simulator simulator = Simulator.start(options)) {
            SimulatedSource source = simulator.sources().stream().filter(s -> s.kind().equals("smoxy")).findFirst().orElseThrow();
            System.out.printf(Locale.ROOT, "smoxy cold start: fleet %d, source %s, added latency %d ms, %d rounds, %d cores%n",
                    size, source.name(), latencyMs, rounds, Runtime.getRuntime().availableProcessors());
            for (int r = 0; r < rounds; r++) {
                for (int level : levels) {
                    double rate = firstPoll(broker.bootstrapServers(), source, level);
                    rates.computeIfAbsent(level, k -> new ArrayList<>()).add(rate);
                    System.out.printf(Locale.ROOT, "round %d: attemptConcurrency %2d: %,.0f certificates/s%n", r + 1, level, rate);
                }
            }
        }
        double base = median(rates.getOrDefault(1, List.of(Double.NaN)));
        StringBuilder sb = new StringBuilder("RESULT median certificates/s (ratio to attemptConcurrency 1):");
        rates.forEach((level, v) -> sb.append(String.format(Locale.ROOT, " %d: %,.0f (%.1fx);", level, median(v), median(v) / base)));
        System.out.println(sb);
    }

    /** One first poll (fresh topics, no checkpoints); returns certificates per second. */
    static double firstPoll(String bootstrap, SimulatedSource source, int concurrency) throws Exception {
        KafkaSettings kafka = IngestBenchmark.freshTopics(bootstrap, "bench-smoxy-");
        IngestConfig config = new IngestConfig();
        config.pollThreads = 1;
        SmoxySourceConfig s = new SmoxySourceConfig();
        s.name = source.name();
        s.baseUrl = source.baseUrl();
        s.allowedNetworks = Simulator.LOOPBACK_NETWORKS;
        s.organizationId = source.settings().get("organizationId");
        s.token = Secret.of(source.settings().get("token"));
        s.authScheme = source.settings().get("authScheme");
        s.itemsPerPage = Integer.parseInt(source.settings().get("itemsPerPage"));
        s.requestTimeout = Duration.ofSeconds(30);
        s.attemptConcurrency = concurrency;
        config.sources = List.of(s);
        try (Ingest ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults())) {
            PollResult p = ingest.pollNow(s.name);
            if (p.outcome() != PollOutcome.SUCCESS || p.seen() == 0) {
                throw new IllegalStateException("unexpected poll result " + p);
            }
            return p.seen() / (p.took().toNanos() / 1e9);
        }
    }

    static double median(List<Double> v) {
        double[] s = v.stream().mapToDouble(Double::doubleValue).sorted().toArray();
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
}
