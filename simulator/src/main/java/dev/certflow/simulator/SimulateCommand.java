package dev.certflow.simulator;

import dev.certflow.runtime.cli.Lifecycle;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;

/**
 * {@code certflow simulate}: runs only the simulated upstream APIs, prints each source's base URL and
 * the {@code ingest:} YAML that polls them, and serves until Ctrl-C.
 */
@Command(name = "simulate", mixinStandardHelpOptions = true,
        description = "Serve simulated Leegality, smoxy and Yeastar APIs for a generated certificate fleet.")
public final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--size", defaultValue = "300", description = "Number of certificates (default ${DEFAULT-VALUE}, up to 1000000).")
    int size;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated fleet (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--speed", defaultValue = "1440",
            description = "Simulated seconds per real second (default ${DEFAULT-VALUE}: a day per minute).")
    double speed;

    @Option(names = "--port", defaultValue = "0", description = "Port (default 0 = any free port).")
    int port;

    @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default ${DEFAULT-VALUE}; 0.0.0.0 in a container).")
    String host;

    @Option(names = "--credential-env", paramLabel = "VAR",
            description = "Environment variable holding one credential for every simulated source (tokens, client secrets; client ids are the PBX names), so a deployment's ingest config can refer to it.")
    String credentialEnv;

    @Option(names = "--start", description = "Simulated start instant, ISO-8601 (default now).")
    Instant start;

    @Option(names = "--token-ttl", defaultValue = "1800", description = "Yeastar access-token lifetime in seconds (default ${DEFAULT-VALUE}).")
    long tokenTtlSeconds;

    @Option(names = "--no-outage", description = "Disable the scripted PBX outage.")
    boolean noOutage;

    @Option(names = "--fault-429", defaultValue = "0", description = "Share of requests answered 429 (default 0).")
    double rate429;

    @Option(names = "--fault-500", defaultValue = "0", description = "Share of requests answered 500 (default 0).")
    double rate500;

    @Option(names = "--fault-html", defaultValue = "0", description = "Share of requests answered with an HTML 502 page (default 0).")
    double rateHtml;

    @Option(names = "--fault-slow", defaultValue = "0", description = "Share of requests delayed by 2 s (default 0).")
    double rateSlow;

    private final PrintStream out;
    private final Lifecycle lifecycle;

    public SimulateCommand() {
        this(System.out, new Lifecycle());
    }

    /** For tests: where to print and the lifecycle to await. */
    SimulateCommand(PrintStream out, Lifecycle lifecycle) {
        this.out = out;
        this.lifecycle = lifecycle;
    }

    /** The options this command line stands for. */
    SimulatorOptions options() {
        SimulatorOptions o = new SimulatorOptions().seed(seed).size(size).speed(speed).port(port).start(start)
                .tokenTtl(Duration.ofSeconds(tokenTtlSeconds)).pbxOutage(!noOutage)
                .faults(rate429, rate500, rateHtml, rateSlow);
        o.host = host;
        if (credentialEnv != null) {
            o.credential = System.getenv(credentialEnv);
            if (o.credential == null || o.credential.isEmpty()) {
                throw new IllegalArgumentException("--credential-env " + credentialEnv + ": that environment variable is not set");
            }
        }
        return o;
    }

    @Override
    public Integer call() throws Exception {
        Simulator simulator = lifecycle.add(Simulator.start(options()));
        out.println("Simulator on " + simulator.baseUrl() + " (" + size + " certificates, seed " + seed
                + ", speed " + speed + "x, start " + simulator.clock().start() + ")");
        for (SimulatedSource s : simulator.sources()) {
            out.println("  " + s.kind() + " " + s.name() + ": " + s.baseUrl());
        }
        out.println("  scripted: " + simulator.fleet().scenario().size() + " certificates (thresholds, expired, no expiry,"
                + " renewals failing then succeeding at start+2h/+8h, removals at +12h, additions at +6h)");
        if (!noOutage) {
            for (Outage o : simulator.fleet().outages()) {
                out.println("  outage: " + o.sourceName() + " answers 503 from " + o.from() + ", drops connections from "
                        + o.droppingFrom() + ", back at " + o.until() + " (simulated time)");
            }
        }
        out.println();
        out.println("# credentials of these sources (the simulator's own, throwaway): set them where ingest runs");
        String shared = credentialEnv == null ? null : System.getenv(credentialEnv);
        simulator.credentials().forEach((variable, value) -> out.println("export " + variable + "="
                + (value.equals(shared) ? "\"$" + credentialEnv + "\"" : "'" + value + "'")));
        out.println("# ingest config for these sources");
        out.print(simulator.ingestYaml());
        out.flush();
        lifecycle.awaitShutdown();
        return 0;
    }
}
