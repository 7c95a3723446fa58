package dev.certflow.simulator;

import com.sun.net.httpserver.HttpServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The running simulator: one loopback HTTP server serving the three vendor APIs for a generated
 * {@link Fleet}, with time from a {@link SimClock}.
 *
 * <p>Paths: smoxy at the server root ({@code /api/organizations/...}, so its server-relative
 * {@code view.next} IRIs resolve either way), Leegality under {@code /leegality/{source}}, each PBX
 * under {@code /yeastar/{pbx}}. {@link #sources()} gives the ingest settings of every source.
 */
public final class Simulator implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Simulator.class);
    /** The User-Agent the generated Yeastar settings ask ingest to send. */
    public static final String USER_AGENT = "certflow/0.1";

    private final HttpServer server;
    private final ExecutorService executor;
    private final Fleet fleet;
    private final SimClock clock;
    private final String baseUrl;
    private final List<SimulatedSource> sources;
    private final Faults faults;

    /**
     * What the disorder faults did so far: pages served twice, listings that shrank and the certificates
     * they left out, smoxy attempts listings served out of order, with a duplicate or without their oldest.
     */
    public record Disorder(long repeatedPages, long shrunkListings, long omittedCertificates, long disorderedAttempts) {
    }

    private Simulator(HttpServer server, ExecutorService executor, Fleet fleet, SimClock clock, Faults faults) {
        this.faults = faults;
        this.server = server;
        this.executor = executor;
        this.fleet = fleet;
        this.clock = clock;
        this.baseUrl = "http://" + server.getAddress().getHostString() + ":" + server.getAddress().getPort();
        this.sources = List.copyOf(buildSources());
    }

    /** Generates the fleet and starts serving; close the result to stop. */
    public static Simulator start(SimulatorOptions options) throws IOException {
        options.validate();
        SimClock clock = options.clock != null ? options.clock
                : SimClock.realTime(options.start != null ? options.start : Instant.now().truncatedTo(ChronoUnit.SECONDS),
                options.speed);
        Fleet fleet = new Fleet(options.seed, options.size, clock.start(), options.credential, options.profile);
        Faults faults = new Faults(options, options.seed);
        HttpServer server = HttpServer.create(new InetSocketAddress(options.host, options.port), 128);
        AtomicInteger threadId = new AtomicInteger();
        ExecutorService executor = Executors.newFixedThreadPool(options.threads, r -> {
            Thread t = new Thread(r, "simulator-http-" + threadId.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(executor);
        server.createContext(LeegalityApi.PREFIX, new LeegalityApi(fleet, clock, options, faults));
        server.createContext(SmoxyApi.PREFIX, new SmoxyApi(fleet, clock, options, faults));
        server.createContext(YeastarApi.PREFIX, new YeastarApi(fleet, clock, options, faults));
        server.createContext("/", exchange -> {
            byte[] body = "{\"error\":\"not found\"}".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(404, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        Simulator simulator = new Simulator(server, executor, fleet, clock, faults);
        LOG.info("Simulator serving {} certificates on {} (profile {}, seed {}, speed {}, start {})",
                options.size, simulator.baseUrl, options.profile, options.seed, clock.speed(), clock.start());
        return simulator;
    }

    /** The sources with their ingest settings, in a stable order: Leegality, smoxy, Yeastar. */
    public List<SimulatedSource> sources() {
        return sources;
    }

    /** The source with this name. */
    public SimulatedSource source(String name) {
        return sources.stream().filter(s -> s.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("no simulated source named '" + name + "'"));
    }

    /** Changes the disorder rates while serving (see {@link SimulatorOptions#disorder}); 0, 0, 0 turns disorder off. */
    public void disorder(double repeatPage, double shrink, double attempts) {
        faults.disorder(repeatPage, shrink, attempts);
    }

    /** What the disorder faults did so far. */
    public Disorder disorder() {
        return faults.counts();
    }

    public Fleet fleet() {
        return fleet;
    }

    public SimClock clock() {
        return clock;
    }

    /** The ingest {@code allowedNetworks} that let a source reach the simulator (loopback only). */
    public static final List<String> LOOPBACK_NETWORKS = List.of("127.0.0.0/8", "::1/128");

    /** {@code http://127.0.0.1:PORT}. */
    public String baseUrl() {
        return baseUrl;
    }

    public int port() {
        return server.getAddress().getPort();
    }

    /**
     * The {@code ingest:} YAML section polling every simulated source. Credentials are references
     * ({@code ${SIM_<NAME>_<KEY>}}, see {@link #credentials()}), as in any certflow configuration.
     */
    public String ingestYaml() {
        StringBuilder sb = new StringBuilder("ingest:\n  sources:\n");
        for (SimulatedSource s : sources) {
            sb.append("    - {kind: ").append(s.kind()).append(", name: ").append(s.name())
                    .append(", baseUrl: ").append(s.baseUrl());
            for (String key : keyOrder(s.kind())) {
                String v = s.settings().get(key);
                sb.append(", ").append(key).append(": ");
                if (SimulatedSource.CREDENTIAL_KEYS.contains(key)) {
                    sb.append("\"${").append(s.variable(key)).append("}\"");
                } else if (key.equals("departmentIds")) {
                    sb.append('[').append(String.join(", ", v.split(","))).append(']');
                } else if (key.equals("days") || key.equals("itemsPerPage") || key.equals("pageSize")) {
                    sb.append(v);
                } else {
                    sb.append('"').append(v).append('"');
                }
            }
            sb.append(", allowedNetworks: [\"").append(String.join("\", \"", LOOPBACK_NETWORKS)).append("\"]"); // the simulator listens on loopback
            sb.append("}\n");
        }
        return sb.toString();
    }

    /** Every credential {@link #ingestYaml()} refers to, by environment variable (the simulator's own, throwaway). */
    public Map<String, String> credentials() {
        Map<String, String> env = new LinkedHashMap<>();
        sources.forEach(s -> env.putAll(s.credentials()));
        return env;
    }

    private static List<String> keyOrder(String kind) {
        return switch (kind) {
            case "leegality" -> List.of("token", "departmentIds", "days", "zone");
            case "smoxy" -> List.of("organizationId", "token", "authScheme", "itemsPerPage");
            default -> List.of("clientId", "clientSecret", "zone", "pageSize", "userAgent");
        };
    }

    private List<SimulatedSource> buildSources() {
        List<SimulatedSource> list = new ArrayList<>();
        Map<String, List<FleetUnit>> leegality = new LinkedHashMap<>();
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("leegality")) {
                leegality.computeIfAbsent(u.sourceName(), k -> new ArrayList<>()).add(u);
            }
        }
        leegality.forEach((name, departments) -> {
            Map<String, String> settings = new LinkedHashMap<>();
            settings.put("token", departments.get(0).token());
            settings.put("departmentIds", String.join(",", departments.stream().map(FleetUnit::tenant).toList()));
            settings.put("days", "3650");
            settings.put("zone", departments.get(0).zone().getId());
            list.add(new SimulatedSource("leegality", name, baseUrl + LeegalityApi.PREFIX + name, settings));
        });
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("smoxy")) {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("organizationId", u.tenant());
                settings.put("token", u.token());
                settings.put("authScheme", u.tenant().equals(SmoxyApi.HYDRA_ORG) ? "bearer" : "api-token");
                settings.put("itemsPerPage", "100");
                list.add(new SimulatedSource("smoxy", u.sourceName(), baseUrl, settings));
            }
        }
        for (FleetUnit u : fleet.units()) {
            if (u.kind().equals("yeastar")) {
                Map<String, String> settings = new LinkedHashMap<>();
                settings.put("clientId", u.clientId());
                settings.put("clientSecret", u.clientSecret());
                settings.put("zone", u.zone().getId());
                settings.put("pageSize", "100");
                settings.put("userAgent", USER_AGENT);
                list.add(new SimulatedSource("yeastar", u.sourceName(), baseUrl + YeastarApi.PREFIX + u.sourceName(),
                        settings));
            }
        }
        return list;
    }

    @Override
    public void close() {
        server.stop(0);
        executor.shutdownNow();
        LOG.info("Simulator on {} stopped", baseUrl);
    }
}
