package dev.certflow.streams;

import com.sun.net.httpserver.HttpHandler;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.runtime.kafka.ClockTime;
import dev.certflow.runtime.ops.OpsServer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.kafka.KafkaStreamsMetrics;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.StoreQueryParameters;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.QueryableStoreTypes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Properties;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * The running streams service, embeddable: {@link #start} builds the topology, starts Kafka Streams
 * with exactly-once, binds metrics and mounts the query API and health checks on the ops server.
 *
 * <p>Uncaught exceptions: record-level problems never get here (the dead-letter handlers take
 * them). What does is infrastructure trouble (a broker timeout past the retries, a state store
 * I/O error). The thread is replaced, which under exactly-once aborts its open transaction and
 * redoes the work from the last commit, up to {@code maxThreadReplacements} times within
 * {@code threadReplacementWindow}; past that the failure is persistent, the client shuts down,
 * {@code /health} turns DOWN and the process exits so the orchestrator restarts it cleanly. A schema
 * registry that cannot answer is not counted ({@link ThreadFailures}): the thread is replaced after a
 * pause for as long as it takes, since the record that needed it was neither processed nor
 * dead-lettered ({@link DeadLetterHandlers}).
 */
public final class StreamsApp implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(StreamsApp.class);

    private final KafkaStreams streams;
    private final KafkaStreamsMetrics streamsMetrics;
    private final QueryService queries;
    private final ThreadFailures threadFailures;
    private final java.util.List<Runnable> onError = new java.util.concurrent.CopyOnWriteArrayList<>();
    private volatile boolean closing;
    private final CompletableFuture<Void> running = new CompletableFuture<>();

    private final CertflowMetrics metrics;

    private final KafkaWrites writes;

    private StreamsApp(KafkaStreams streams, KafkaStreamsMetrics streamsMetrics, QueryService queries, CertflowMetrics metrics,
                       KafkaWrites writes, ThreadFailures threadFailures) {
        this.threadFailures = threadFailures;
        this.metrics = metrics;
        this.writes = writes;
        this.streams = streams;
        this.streamsMetrics = streamsMetrics;
        this.queries = queries;
    }

    /** Starts with the system clock. */
    public static StreamsApp start(KafkaSettings kafka, StreamsSettings settings, MeterRegistry registry, OpsServer ops) {
        return start(kafka, settings, registry, ops, Time.SYSTEM);
    }

    /**
     * @param registry where meters go (null: not exported)
     * @param ops      the ops server to mount {@code /v1/} and the checks on (null: no HTTP API)
     * @param time     the clock of punctuation and "now" (a faster simulator clock, or Time.SYSTEM)
     */
    public static StreamsApp start(KafkaSettings kafka, StreamsSettings settings, MeterRegistry registry, OpsServer ops, Time time) {
        return start(kafka, settings, registry, ops, time, null);
    }

    /**
     * As {@link #start(KafkaSettings, StreamsSettings, MeterRegistry, OpsServer, Time)}, with "now" taken from
     * {@code clock} (a simulator's, faster than real time) while Kafka Streams keeps {@code time} for its own
     * timing: commits, timeouts and the punctuation schedule ({@code tickInterval} is then real time).
     *
     * @param clock epoch milliseconds of every evaluation and of the query API; null: {@code time}'s
     */
    public static StreamsApp start(KafkaSettings kafka, StreamsSettings settings, MeterRegistry registry, OpsServer ops, Time time,
                                   LongSupplier clock) {
        CertflowMetrics metrics = new CertflowMetrics(registry);
        String appServer = settings.applicationServer != null ? settings.applicationServer
                : ops != null ? "localhost:" + ops.port() : null;
        Properties props = StreamsProperties.of(kafka, settings, appServer, metrics);
        String instance = StaticMembership.groupInstanceId(settings, props);
        if (instance != null) {
            props.put(ConsumerConfig.GROUP_INSTANCE_ID_CONFIG, instance);
        }
        Topology topology = CertflowTopology.buildTopology(StreamsProperties.topics(kafka), settings, metrics, clock);
        // every subtopology is co-partitioned with certificates: that many tasks at most
        int tasks = kafka.partitions > 0 ? kafka.partitions : Topics.CERTIFICATES.partitions();
        props.put(BoundedRocksDbConfig.STORES, BoundedRocksDbConfig.storesAtMost(topology.describe(), tasks));
        CoPartitioning.check(kafka, topology.describe());
        LOG.info("Starting Kafka Streams application {} (processing {}, query API at {}, group instance {})", settings.applicationId,
                settings.processingGuarantee, appServer, instance == null ? "dynamic" : instance);
        LOG.debug("Topology: {}", topology.describe());
        KafkaStreams streams = new KafkaStreams(topology, props, time);
        KafkaStreamsMetrics streamsMetrics = new KafkaStreamsMetrics(streams);
        streamsMetrics.bindTo(metrics.registry());
        QueryService queries = new QueryService(streams, appServer == null ? null : HostInfo.buildFromEndpoint(appServer),
                clock == null ? time : new ClockTime(clock),
                new RenewalPolicy(settings.renewal));
        ApiAuth auth = new ApiAuth(settings.api);
        queries.withPeerToken(auth.peerToken()).withOwners(settings.ownerRules());
        KafkaWrites writes = ops == null ? null : new KafkaWrites(kafka, settings.applicationId);
        StreamsApp app = new StreamsApp(streams, streamsMetrics, queries, metrics, writes,
                new ThreadFailures(settings.maxThreadReplacements, settings.threadReplacementWindow));
        // the only restore listener: what a (re)start restores, per store (a clean restart restores nearly nothing)
        streams.setGlobalStateRestoreListener(new RestoreMetrics(metrics.registry(), topology.describe()));
        streams.setUncaughtExceptionHandler(e -> app.onUncaught(e, settings));
        streams.setStateListener((next, prev) -> {
            LOG.info("Kafka Streams state {} -> {}", prev, next);
            if (next == KafkaStreams.State.RUNNING) {
                app.running.complete(null);
            }
            if (next == KafkaStreams.State.ERROR) {
                app.onError.forEach(Runnable::run);
            }
        });
        for (String store : new String[]{Names.CERTIFICATE_STORE, Names.EXPIRING_STORE, Names.FAILED_STORE, Names.UNKNOWN_EXPIRY_STORE}) {
            Gauge.builder("certflow.streams.table.size", app, a -> a.approximateSize(store))
                    .description("Approximate rows of a table in this instance's active partitions")
                    .tag("store", store).register(metrics.registry());
        }
        if (ops != null) {
            ops.addHealthCheck("streams", app::healthy);
            ops.addReadyCheck("streams", () -> streams.state() == KafkaStreams.State.RUNNING);
            mountQueryApi(ops, queries, settings, auth, writes);
        }
        streams.start();
        return app;
    }

    /**
     * Mounts the query API under {@code /v1/} (reads, and the alert and silence writes through
     * {@code publisher}, null: writes answer 503) and the web dashboard at {@code /} on an ops server
     * (done by {@link #start}; public for benchmarks that query other stores).
     */
    public static void mountQueryApi(OpsServer ops, QueryService queries, StreamsSettings settings) {
        ApiAuth auth = new ApiAuth(settings.api);
        mountQueryApi(ops, queries.withPeerToken(auth.peerToken()).withOwners(settings.ownerRules()), settings, auth, null);
    }

    static void mountQueryApi(OpsServer ops, QueryService queries, StreamsSettings settings, ApiAuth auth, WriteApi.Publisher publisher) {
        boolean writes = settings.api.writeToken != null;
        HttpHandler reads = auth.reads(new QueryApi(queries, new FleetQueries.Info(settings.applicationId,
                java.util.List.copyOf(settings.thresholdDays), settings.renewal.enabled, true, writes, writes)));
        ops.addRoute("/v1/", reads);
        WriteApi alertsApi = new WriteApi(queries, auth, publisher, reads);
        ops.addRoute("/v1/alerts", alertsApi);
        ops.addRoute("/v1/silences", alertsApi);
        ops.addRoute("/", new Dashboard());
    }

    private StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse onUncaught(Throwable e, StreamsSettings settings) {
        ThreadFailures.Decision d = threadFailures.next(e, System.currentTimeMillis());
        if (d.registry()) {
            LOG.warn("Stream thread stopped: the schema registry is unavailable ({} in a row); replacing it in {} ms", d.count(), d.pauseMillis());
            try {
                Thread.sleep(d.pauseMillis()); // on the failed thread, before it is replaced
            } catch (InterruptedException ie) {
                Thread.currentThread().interrupt();
            }
        } else if (d.response() == StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse.REPLACE_THREAD) {
            LOG.error("Stream thread failed ({} in the last {}); replacing it", d.count(), settings.threadReplacementWindow, e);
        } else {
            LOG.error("Stream thread failed more than {} times in {}; shutting the client down", settings.maxThreadReplacements,
                    settings.threadReplacementWindow, e);
        }
        return d.response();
    }

    private double approximateSize(String store) {
        try {
            return streams.store(StoreQueryParameters.fromNameAndType(store, QueryableStoreTypes.keyValueStore())).approximateNumEntries();
        } catch (RuntimeException e) {
            return Double.NaN;
        }
    }

    /** Alive: not failed, and not stopped unless we are closing. */
    public boolean healthy() {
        KafkaStreams.State s = streams.state();
        return s != KafkaStreams.State.ERROR && s != KafkaStreams.State.PENDING_ERROR
                && (closing || (s != KafkaStreams.State.NOT_RUNNING && s != KafkaStreams.State.PENDING_SHUTDOWN));
    }

    /** Runs {@code callback} when the client has shut itself down for good (state ERROR). */
    public void onError(Runnable callback) {
        onError.add(callback);
    }

    /** Completes the first time Kafka Streams reaches RUNNING (its tasks assigned and restored). */
    public CompletableFuture<Void> running() {
        return running;
    }

    public KafkaStreams.State state() {
        return streams.state();
    }

    public KafkaStreams streams() {
        return streams;
    }

    public CertflowMetrics metrics() {
        return metrics;
    }

    public QueryService queries() {
        return queries;
    }

    @Override
    public void close() {
        closing = true;
        streams.close(Duration.ofSeconds(30));
        streamsMetrics.close();
        if (writes != null) {
            writes.close();
        }
    }
}
