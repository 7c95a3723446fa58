package dev.certflow.local;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.ingest.Ingest;
import dev.certflow.embedded.TempDirs;
import dev.certflow.runtime.service.Lifecycle;
import dev.certflow.runtime.service.ServiceRunner;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.kafka.BrokerReadiness;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.schemas.Topics;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import dev.certflow.simulator.SimClock;
import dev.certflow.simulator.SimulatedSource;
import dev.certflow.simulator.Simulator;
import dev.certflow.simulator.SimulatorOptions;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.Sink;
import dev.certflow.sink.SinkConfig;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The whole pipeline in one JVM: the in-JVM KRaft broker, the embedded schema registry over HTTP,
 * an embedded PostgreSQL (unless a JDBC URL is configured; the sink is handed its URL), the simulated
 * upstream APIs (unless real sources are configured), ingest, streams with its query API, and the
 * sink with a console channel. Everything a started stack holds is closed in reverse order.
 */
public final class LocalStack implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LocalStack.class);
    /** The value of {@code kafka.bootstrapServers} / {@code kafka.schemaRegistryUrl} that starts the embedded one. */
    public static final String EMBEDDED = "embedded";

    /** How the stack is started. */
    public static final class Options {
        /** The configuration (file, env, flags); sections left out get the one-JVM defaults. */
        public ConfigTree config = ConfigLoader.load(null, Map.of(), List.of());
        /**
         * Simulated fleet; ignored when the configuration lists real ingest sources. Without a clock of its
         * own the stack makes a held one and releases it once the pipeline is ready; a held clock given here
         * is released the same way.
         */
        public SimulatorOptions simulator = new SimulatorOptions().speed(1440);
        /** Real-time poll interval of the simulated sources. */
        public Duration simulatedPollInterval = Duration.ofSeconds(2);
        /** Broker port (0 = free). */
        public int kafkaPort = 0;
        /** Embedded schema registry port (0 = free). */
        public int registryPort = 0;
        /** Embedded PostgreSQL port (0 = free). */
        public int postgresPort = 0;
        /**
         * How long the start waits for streams to run and the sink's consumers to be assigned before the
         * simulated clock is released.
         */
        public Duration readyTimeout = Duration.ofMinutes(2);
        /** Where the console channel prints alerts (null = no console channel). */
        public PrintStream console = System.out;
    }

    private final Lifecycle resources = new Lifecycle();
    private KafkaSettings kafka;
    private String registryUrl;
    private OpsServer ops;
    private EmbeddedPostgresServer postgres;
    private Simulator simulator;
    private Sink sink;
    private StreamsApp streams;
    private Ingest ingest;
    private Admin admin;
    private String streamsApplicationId;
    private Path writeTokenFile;

    private LocalStack() {
    }

    /** Starts everything; on failure, stops what was started and rethrows. */
    public static LocalStack start(Options options) throws Exception {
        LocalStack stack = new LocalStack();
        try {
            stack.startAll(options);
            return stack;
        } catch (Exception | Error e) {
            stack.close();
            throw e;
        }
    }

    private void startAll(Options options) throws Exception {
        ConfigTree tree = options.config;
        tree.requireOnlySections(ServiceRunner.SECTIONS);
        kafka = tree.bind("kafka", KafkaSettings.class);
        // unless a layer names a cluster or registry, the one-JVM mode brings its own
        if (tree.origin("kafka.bootstrapServers") == null) {
            kafka.bootstrapServers = EMBEDDED;
        }
        if (tree.origin("kafka.schemaRegistryUrl") == null) {
            kafka.schemaRegistryUrl = EMBEDDED;
        }
        OpsSettings opsSettings = tree.bind("ops", OpsSettings.class);
        IngestConfig ingestConfig = tree.bind("ingest", IngestConfig.class);
        // one owners section for both: streams stamps the owner, the sink routes by it
        dev.certflow.runtime.owners.OwnersConfig owners = tree.bind("owners", dev.certflow.runtime.owners.OwnersConfig.class);
        StreamsSettings streamsSettings = tree.bind("streams", StreamsSettings.class).withOwners(owners);
        streamsApplicationId = streamsSettings.applicationId;
        SinkConfig sinkConfig = tree.bind("sink", SinkConfig.class).owners(owners);

        if (EMBEDDED.equals(kafka.bootstrapServers)) {
            Path dir = Files.createTempDirectory("certflow-local-kafka-");
            // a simulated clock faster than real time stamps records in the future: let the broker take them
            EmbeddedKafkaBroker broker = add(EmbeddedKafkaBroker.start(dir, options.kafkaPort, true,
                    Map.of("log.message.timestamp.after.max.ms", Long.toString(Long.MAX_VALUE))));
            kafka.bootstrapServers = broker.bootstrapServers();
        }
        if (EMBEDDED.equals(kafka.schemaRegistryUrl)) {
            kafka.schemaRegistryUrl = add(EmbeddedSchemaRegistry.start(options.registryPort)).url();
        }
        registryUrl = kafka.schemaRegistryUrl;
        new TopicManager(kafka).ensure(Topics.ALL);

        ops = add(OpsServer.start(opsSettings.host, Math.max(opsSettings.port, 0), OpsServer.newRegistry()));
        if (!opsSettings.brokerCheckInterval.isZero()) {
            // as every service command (ServiceRunner): /ready is DOWN while the broker does not answer
            BrokerReadiness brokers = add(BrokerReadiness.start(kafka, "local", opsSettings.brokerCheckInterval, opsSettings.brokerCheckFailures));
            ops.addReadyCheck("kafka", brokers::ready);
        }

        if (streamsSettings.stateDir == null) {
            Path stateDir = Files.createTempDirectory("certflow-local-streams-");
            add(TempDirs.deleting(stateDir)); // closed after the streams application, which is added later
            streamsSettings.stateDir = stateDir.toString();
        }
        if (streamsSettings.api.writeToken == null) {
            // the one-JVM mode accepts silences and acks out of the box: a fresh token in a file only the user reads
            Path dir = Files.createTempDirectory("certflow-local-api-");
            add(TempDirs.deleting(dir));
            writeTokenFile = newWriteToken(dir);
            streamsSettings.api.writeToken = dev.certflow.runtime.config.Secret.of(Files.readString(writeTokenFile).trim());
        }
        if (sinkConfig.jdbcUrl == null || sinkConfig.jdbcUrl.isBlank()) {
            // the one-JVM mode only (certflow sink requires a URL); closed after the sink, which is added later
            postgres = add(EmbeddedPostgresServer.start(options.postgresPort));
            sinkConfig.jdbcUrl = postgres.jdbcUrl("postgres");
            sinkConfig.user = EmbeddedPostgresServer.USER;
        }
        if (options.console != null && sinkConfig.channels.stream().noneMatch(c -> "console".equalsIgnoreCase(c.type))) {
            ChannelConfig console = new ChannelConfig();
            console.name = "console";
            console.type = "console";
            sinkConfig.channels.add(console);
        }
        boolean simulatedWorld = ingestConfig.sources.isEmpty();
        SimulatorOptions simulated = options.simulator.copy();
        // The simulated world's clock is held at its start until the pipeline is ready: at a fast clock the
        // seconds a stack takes to start are simulated days, which would pass before anything polls.
        SimClock clock = !simulatedWorld ? null : simulated.clock != null ? simulated.clock
                : SimClock.held(simulated.start != null ? simulated.start : Instant.now().truncatedTo(ChronoUnit.SECONDS), simulated.speed);
        // the sink times silences, escalations and digests on the same clock as the world it hears about
        sink = add(Sink.start(kafka, sinkConfig, ops.registry(), ops, dev.certflow.sink.FaultHook.NONE,
                options.console == null ? System.out : options.console, clock != null ? clock : java.time.Clock.systemUTC()));
        if (!simulatedWorld) {
            streams = add(StreamsApp.start(kafka, streamsSettings, ops.registry(), ops, Time.SYSTEM));
            ingest = add(Ingest.start(kafka, ingestConfig, ops.registry(), ops));
            LOG.info("certflow local stack started");
            return;
        }
        simulator = add(Simulator.start(simulated.clock(clock)));
        ingestConfig = simulatedIngest(simulator, options.simulatedPollInterval, tree.env());
        // One clock for the whole simulated world: streams' "now" and ingest's observation times. Kafka Streams
        // keeps real time for its own timing (commits, transaction and poll timeouts): on the simulated clock it
        // would commit a transaction on every loop at 100,000x. The tick then runs on real time, as often as the
        // simulated tick interval asks, at least every 10 ms.
        if (clock.speed() > 1) {
            long realTickNanos = (long) (streamsSettings.tickInterval.toNanos() / clock.speed());
            streamsSettings.tickInterval = Duration.ofNanos(Math.max(realTickNanos, Duration.ofMillis(10).toNanos()));
        }
        streams = add(StreamsApp.start(kafka, streamsSettings, ops.registry(), ops, Time.SYSTEM, clock::millis));
        ingest = add(Ingest.create(kafka, ingestConfig, ops.registry(), ops, Ingest.Options.defaults().withClock(clock)));
        ingest.pollAllNow(); // every source's first poll, at the held start, side by side as the scheduler would run them
        admin = add(Admin.create(kafka.admin("certflow-local")));
        awaitReady(options.readyTimeout, streamsSettings.applicationId);
        ingest.startPolling();
        clock.release();
        LOG.info("certflow local stack started");
    }

    /**
     * Waits until streams is RUNNING, the sink's consumers hold their partitions and streams has committed
     * everything the first polls published (on a cold JVM that takes seconds, simulated days at a fast
     * clock); fails naming what is not ready.
     */
    private void awaitReady(Duration timeout, String applicationId) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        CompletableFuture<Void> streamsRunning = streams.running();
        CompletableFuture<Void> sinkAssigned = sink.assigned();
        try {
            CompletableFuture.allOf(streamsRunning, sinkAssigned).get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            ScheduledExecutorService checks = Executors.newSingleThreadScheduledExecutor();
            try {
                CompletableFuture<Void> caughtUp = new CompletableFuture<>();
                checks.scheduleWithFixedDelay(() -> {
                    try {
                        if (streamsBacklog(applicationId) == 0) {
                            caughtUp.complete(null);
                        }
                    } catch (Exception e) {
                        caughtUp.completeExceptionally(e);
                    }
                }, 0, 50, TimeUnit.MILLISECONDS);
                caughtUp.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
            } finally {
                checks.shutdownNow();
            }
        } catch (TimeoutException e) {
            throw new IllegalStateException("the local stack was not ready within " + timeout + ": streams " + streams.state()
                    + (streamsRunning.isDone() ? "" : " (not RUNNING yet)") + ", sink consumers "
                    + (sinkAssigned.isDone() ? "assigned" : "not assigned yet") + ", streams backlog "
                    + streamsBacklog(applicationId) + " records; the simulated clock stays held");
        } catch (ExecutionException e) {
            throw new IllegalStateException("the local stack failed to start: " + e.getCause(), e.getCause());
        }
    }

    /**
     * Records on the topics streams reads that it has not committed yet (its consumer group's offsets
     * against the ends of its input partitions): 0 once it has processed everything published so far.
     */
    public long streamsBacklog() throws Exception {
        return streamsBacklog(streamsApplicationId);
    }

    private long streamsBacklog(String applicationId) throws Exception {
        Topics topics = kafka.topics();
        List<String> inputs = List.of(topics.certificates().name(), topics.renewalAttempts().name(), topics.sourceStatus().name(),
                topics.certificateNames().name(), topics.certificateNameMatches().name());
        return Offsets.behind(admin, applicationId, Offsets.ends(admin, inputs));
    }

    /** The ingest configuration polling every simulated source, its credentials by reference like any configuration's. */
    static IngestConfig simulatedIngest(Simulator simulator, Duration pollInterval, Map<String, String> env) {
        Map<String, String> withCredentials = new HashMap<>(env);
        withCredentials.putAll(simulator.credentials());
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode root = f.objectNode();
        ArrayNode sources = root.putObject("ingest").putArray("sources");
        for (SimulatedSource s : simulator.sources()) {
            ObjectNode node = sources.addObject();
            node.put("kind", s.kind());
            node.put("name", s.name());
            node.put("baseUrl", s.baseUrl());
            node.put("pollInterval", pollInterval.toMillis() + "ms");
            Simulator.LOOPBACK_NETWORKS.forEach(node.putArray("allowedNetworks")::add); // the simulator listens on loopback
            s.settings().forEach((k, v) -> {
                if (k.equals("departmentIds")) {
                    ArrayNode ids = node.putArray(k);
                    for (String id : v.split(",")) {
                        ids.add(id);
                    }
                } else if (SimulatedSource.CREDENTIAL_KEYS.contains(k)) {
                    node.put(k, "${" + s.variable(k) + "}");
                } else {
                    node.put(k, v);
                }
            });
        }
        return ConfigLoader.fromTree(root, withCredentials).bind("ingest", IngestConfig.class);
    }

    private <T extends AutoCloseable> T add(T resource) {
        return resources.add(resource);
    }

    public String bootstrapServers() {
        return kafka.bootstrapServers;
    }

    public String schemaRegistryUrl() {
        return registryUrl;
    }

    public KafkaSettings kafka() {
        return kafka;
    }

    public OpsServer ops() {
        return ops;
    }

    /** Base URL of the query API ({@code /v1/...}), /health, /ready and /metrics. */
    /**
     * The file holding the query API's write token the stack made (readable by its owner only), or
     * null when the configuration gave {@code streams.api.writeToken}.
     */
    public Path writeTokenFile() {
        return writeTokenFile;
    }

    static Path newWriteToken(Path dir) throws java.io.IOException {
        byte[] random = new byte[32];
        new java.security.SecureRandom().nextBytes(random);
        Path file = dir.resolve("write-token");
        Files.createFile(file, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
                java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
        Files.writeString(file, java.util.HexFormat.of().formatHex(random) + "\n");
        return file;
    }

    public String queryApiUrl() {
        return ops.url();
    }

    public String jdbcUrl() {
        return sink.database().jdbcUrl();
    }

    /** The embedded PostgreSQL, or null when {@code sink.jdbcUrl} is configured. */
    public EmbeddedPostgresServer postgres() {
        return postgres;
    }

    /** The simulator, or null when real sources are configured. */
    public Simulator simulator() {
        return simulator;
    }

    public StreamsApp streams() {
        return streams;
    }

    @Override
    public void close() {
        resources.close();
    }
}
