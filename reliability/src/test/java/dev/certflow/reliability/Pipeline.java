package dev.certflow.reliability;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.simulator.SimClock;
import dev.certflow.simulator.SimulatedSource;
import dev.certflow.simulator.Simulator;
import dev.certflow.simulator.SimulatorOptions;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * One trial's pipeline over the shared broker: the simulator (in this JVM, its clock held three days
 * after the fleet's start, so the scripted day is over and nothing changes while the trial runs), a
 * fresh PostgreSQL database behind a {@link FaultProxy}, a {@link WebhookReceiver}, and ingest,
 * streams and sink as child JVMs on one configuration file with this trial's topic prefix,
 * application id and consumer group.
 */
final class Pipeline implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Pipeline.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Set<String> SECRET_KEYS = Set.of("token", "clientId", "clientSecret");
    static final Duration POLL = Duration.ofSeconds(2);

    final String name;
    final Path dir;
    final Broker broker;
    final Simulator simulator;
    final FleetOracle oracle;
    final WebhookReceiver receiver;
    final FaultProxy postgresProxy;
    final String jdbcUrl;
    final String prefix;
    final Child ingest;
    final Child streams;
    final Child sink;
    final Path config;
    private final Map<String, String> env = new HashMap<>();

    /**
     * @param size    the fleet's size (the day's 84 scripted certificates come on top)
     * @param adjust  changes to the configuration before it is written
     */
    Pipeline(String name, Path dir, Broker broker, EmbeddedPostgresServer postgres, long seed, int size,
             Consumer<ObjectNode> adjust) throws Exception {
        this.name = name;
        this.dir = dir;
        this.broker = broker;
        Files.createDirectories(dir);
        Instant fleetStart = Instant.now().truncatedTo(ChronoUnit.SECONDS).minus(Duration.ofDays(3));
        SimClock clock = SimClock.held(fleetStart, 1);
        clock.advance(Duration.ofDays(3));
        simulator = Simulator.start(new SimulatorOptions().seed(seed).size(size).clock(clock).pbxOutage(false));
        FleetOracle o = FleetOracle.of(simulator.fleet(), clock.instant());
        // the children judge "now" by the real clock: no certificate may cross a floor while the trial runs
        for (int i = 0; i < 16 && !o.changingWithin(Duration.ofHours(2)).isEmpty(); i++) {
            clock.advance(Duration.ofHours(3));
            o = FleetOracle.of(simulator.fleet(), clock.instant());
        }
        if (!o.changingWithin(Duration.ofHours(2)).isEmpty()) {
            throw new IllegalStateException("seed " + seed + ": no quiet instant: " + o.changingWithin(Duration.ofHours(2)));
        }
        oracle = o;
        receiver = new WebhookReceiver();
        String database = postgres.createDatabase(("rel_" + name).toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_"));
        postgresProxy = new FaultProxy("127.0.0.1", postgres.port());
        jdbcUrl = database;
        prefix = name + "-";
        env.put("REL_PG_PASSWORD", EmbeddedPostgresServer.PASSWORD);
        env.put("REL_WEBHOOK_SECRET", "reliability-webhook-secret");
        env.put("CERTFLOW_LOG_LEVEL", "INFO");
        ObjectNode root = config();
        adjust.accept(root);
        config = dir.resolve("certflow.yaml");
        Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root)); // JSON is YAML
        ingest = new Child("ingest", "192m", env, dir.resolve("ingest.log"), "ingest", "--config", config.toString());
        streams = new Child("streams", "256m", env, dir.resolve("streams.log"), "streams", "--config", config.toString());
        sink = new Child("sink", "192m", env, dir.resolve("sink.log"), "sink", "--config", config.toString());
    }

    /** The children's environment (the secrets the configuration refers to). */
    Map<String, String> env() {
        return Map.copyOf(env);
    }

    /** The JDBC URL the sink uses: through the proxy. */
    String sinkJdbcUrl() {
        return jdbcUrl.replaceFirst(":(\\d+)/", ":" + postgresProxy.port() + "/");
    }

    private ObjectNode config() {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("kafka").put("bootstrapServers", broker.bootstrap()).put("schemaRegistryUrl", broker.registryUrl())
                .put("topicPrefix", prefix);
        root.putObject("ops").put("host", "127.0.0.1").put("port", 0);
        ObjectNode ingestNode = root.putObject("ingest").put("transactionRecords", 60).put("chunkSize", 25).put("failureBackoff", "1s")
                .put("maxBackoff", "2s").put("connectTimeout", "2s");
        ArrayNode sources = ingestNode.putArray("sources");
        for (SimulatedSource s : simulator.sources()) {
            ObjectNode node = sources.addObject().put("kind", s.kind()).put("name", s.name()).put("baseUrl", s.baseUrl())
                    .put("pollInterval", POLL.toSeconds() + "s").put("requestTimeout", "5s");
            Simulator.LOOPBACK_NETWORKS.forEach(node.putArray("allowedNetworks")::add);
            s.settings().forEach((k, v) -> {
                if (k.equals("departmentIds")) {
                    ArrayNode ids = node.putArray(k);
                    for (String id : v.split(",")) {
                        ids.add(id);
                    }
                } else if (k.equals("itemsPerPage") || k.equals("pageSize")) {
                    node.put(k, 20); // many pages, so a kill lands inside a poll
                } else if (SECRET_KEYS.contains(k)) {
                    String var = ("REL_" + s.name() + "_" + k).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
                    env.put(var, v);
                    node.put(k, "${" + var + "}");
                } else {
                    node.put(k, v);
                }
            });
        }
        ObjectNode streamsNode = root.putObject("streams").put("applicationId", name + "-streams")
                .put("stateDir", dir.resolve("streams-state").toString()).put("tickInterval", "1s");
        streamsNode.putArray("thresholdDays").add(7).add(1);
        streamsNode.putObject("renewal").put("enabled", false);
        ObjectNode sinkNode = root.putObject("sink").put("jdbcUrl", sinkJdbcUrl()).put("password", "${REL_PG_PASSWORD}")
                .put("groupId", name + "-sink").put("batchSize", 40).put("maxAttempts", 40).put("initialBackoff", "500ms")
                .put("maxBackoff", "5s").put("requestTimeout", "5s").put("connectTimeout", "2s");
        ObjectNode hook = sinkNode.putArray("channels").addObject().put("name", "hook").put("type", "webhook").put("url", receiver.url())
                .put("secret", "${REL_WEBHOOK_SECRET}");
        Simulator.LOOPBACK_NETWORKS.forEach(hook.putArray("allowedNetworks")::add);
        return root;
    }

    /**
     * Starts streams and the sink, waits until they are ready, then starts ingest: its first polls, the
     * whole fleet, flow through a running pipeline while the trial's faults strike.
     */
    Pipeline start() throws Exception {
        streams.start();
        sink.start();
        awaitReady(streams, Duration.ofMinutes(3));
        awaitReady(sink, Duration.ofMinutes(3));
        ingest.start();
        awaitReady(ingest, Duration.ofMinutes(3));
        return this;
    }

    List<Child> workers() {
        return List.of(ingest, streams, sink);
    }

    /** Waits until {@code /ready} answers 200; the seconds it took. */
    static double awaitReady(Child c, Duration timeout) throws InterruptedException {
        long t0 = System.nanoTime();
        c.opsUrl();
        long deadline = t0 + timeout.toNanos();
        while (c.status("/ready") != 200) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("certflow " + c.name + " not ready within " + timeout + ":\n" + c.tail(40));
            }
            if (!c.alive()) {
                throw new IllegalStateException("certflow " + c.name + " exited:\n" + c.tail(40));
            }
            Thread.sleep(200);
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    Observed observed() {
        return new Observed(broker.bootstrap(), broker.registryUrl(), prefix);
    }

    @Override
    public void close() throws Exception {
        for (Child c : workers()) {
            c.close();
        }
        receiver.close();
        postgresProxy.close();
        simulator.close();
        deleteTopics();
    }

    /**
     * Deletes this trial's topics (its prefix: the workers' and Kafka Streams' internal ones alike), so one broker
     * serves a whole --full run: kept, 78 trials' topics (14,471 partition directories) filled a 320 MiB broker heap.
     * Best effort: a broker that is down (a trial that killed it) leaves them to the next broker start.
     */
    private void deleteTopics() {
        try (Admin admin = Admin.create(Map.<String, Object>of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, broker.bootstrap(),
                AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, 10_000, AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, 20_000))) {
            List<String> mine = admin.listTopics().names().get(20, TimeUnit.SECONDS).stream().filter(t -> t.startsWith(prefix)).toList();
            if (!mine.isEmpty()) {
                admin.deleteTopics(mine).all().get(30, TimeUnit.SECONDS);
            }
            LOG.info("{} topics of {} deleted", mine.size(), name);
        } catch (Exception e) {
            LOG.warn("Topics of {} not deleted: {}", name, e.toString());
        }
    }
}
