package dev.certflow.simulator;

import dev.certflow.runtime.service.Lifecycle;
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
        description = "Serve simulated Leegality, smoxy and Yeastar APIs for a generated certificate fleet.",
        footer = {"",
                "Profiles (which certificates are scripted; the rest is the same in both):",
                "  day   thresholds crossed within hours, expired, no expiry, a renewal",
                "        failing then succeeding, removals at +12h, additions at +6h,",
                "        pbx-newyork down from +4h to +10h.",
                "  year  a simulated year, events days apart (--speed 100000: a year in",
                "        about 5 real minutes):",
                "        RENEWAL_STOPS         no attempt; smoxy renews late at +56d, a PBX",
                "                              at +65d, after expiry",
                "        RENEWAL_FAILS         daily failures from +50.5d, success +56.5d",
                "        RENEWED_NOT_DEPLOYED  smoxy renews shop.<org>.example at +30.5d,",
                "                              the PBX copy is updated at +40d",
                "        SAN_DROPPED           the renewal at +10.5d drops www., +71d",
                "                              restores it",
                "        SUPERSEDED            a Leegality certificate replaced late by a",
                "                              new id at +36d",
                "        pbx-newyork down from +200d to +230d. At that speed give ingest a",
                "        short pollInterval and failureBackoff (they run on real time).",
                "",
                "Background certificates renew on schedule: smoxy auto_managed 30 days",
                "before expiry, Yeastar apply (auto_renewal=1) at a third of the lifetime",
                "left, uploads by hand 1-10 days before a 30-day lead time, Leegality ones",
                "by a new id 38-45 days before expiry. Lifetimes: automatic 47/100/200/398",
                "days (40/30/20/10 %), uploaded 100/200/398 (30/40/30 %), Leegality 200/398",
                "(30/70 %), trusted CAs ten years."})
public final class SimulateCommand implements Callable<Integer> {

    @Option(names = "--size", defaultValue = "300", description = "Number of certificates (default ${DEFAULT-VALUE}, up to 1000000).")
    int size;

    @Option(names = "--seed", defaultValue = "42", description = "Seed of the generated fleet (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--speed", defaultValue = "1440",
            description = "Simulated seconds per real second (default ${DEFAULT-VALUE}: a day per minute; 100000: a year in 5 minutes).")
    double speed;

    @Option(names = "--profile", defaultValue = "day", paramLabel = "day|year",
            description = "Scripted certificates: the scripted day or the renewal year (default ${DEFAULT-VALUE}; see below).")
    String profile;

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
        SimulatorOptions o = new SimulatorOptions().profile(Profile.of(profile)).seed(seed).size(size).speed(speed).port(port).start(start)
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
        Fleet fleet = simulator.fleet();
        if (fleet.profile() == Profile.DAY) {
            out.println("  scripted: " + fleet.scenario().size() + " certificates (thresholds, expired, no expiry,"
                    + " renewals failing then succeeding at start+2h/+8h, removals at +12h, additions at +6h)");
        } else {
            out.println("  scripted: " + fleet.scenario().size() + " certificates; what streams should conclude:");
            for (FleetCertificate c : fleet.scenario()) {
                out.println("    " + c.script() + " " + c.key() + ": " + describe(c, fleet.start()));
            }
        }
        if (!noOutage) {
            for (Outage o : fleet.outages()) {
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

    /** "RENEWAL_OVERDUE FIRING +32d, ..." or "nothing (renewed on schedule)". */
    static String describe(FleetCertificate c, Instant start) {
        StringBuilder sb = new StringBuilder();
        for (ScriptEvent e : c.expectedAlerts()) {
            if (!sb.isEmpty()) {
                sb.append(", ");
            }
            sb.append(e.alert()).append(e.days() == null ? "" : " " + e.days() + "d").append(' ').append(e.type())
                    .append(" +").append(offset(Duration.between(start, e.at())));
        }
        return sb.isEmpty() ? "nothing (renewed on schedule)" : sb.toString();
    }

    private static String offset(Duration d) {
        long hours = d.toHours();
        return hours % 24 == 0 ? hours / 24 + "d" : hours / 24 + "d" + hours % 24 + "h";
    }
}
