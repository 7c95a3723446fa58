package dev.certflow.ingest;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.config.SourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.ingest.http.HttpFetcher;
import dev.certflow.runtime.service.Sleeper;
import dev.certflow.ingest.source.CertState;
import dev.certflow.ingest.publish.CheckpointLoader;
import dev.certflow.ingest.publish.Publisher;
import dev.certflow.ingest.source.LeegalityClient;
import dev.certflow.ingest.source.SmoxyClient;
import dev.certflow.ingest.source.SourceClient;
import dev.certflow.ingest.source.YeastarClient;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.net.OutboundHttp;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.Topics;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;

/**
 * The ingest service, embeddable: {@link #start} builds one worker per enabled source (each with its
 * own transactional producer), rebuilds their state from {@code ingest-checkpoints}, and polls them
 * on a bounded pool ({@code ingest.pollThreads}). A source is never polled twice at once, and its
 * next poll is scheduled only when the previous one ended, so a slow or failing source holds at
 * most one pool thread and never delays the others' schedule beyond the pool's size.
 */
public final class Ingest implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Ingest.class);

    /** The topics ingest writes and reads (for {@code TopicManager.ensure}). */
    public static final List<TopicSpec> TOPICS = List.of(Topics.CERTIFICATES, Topics.RENEWAL_ATTEMPTS, Topics.SOURCE_STATUS,
            Topics.INGEST_CHECKPOINTS, Topics.DLQ);

    private final IngestConfig config;
    private final Map<String, SourceWorker> workers;
    private final Map<String, OutboundHttp> clients;
    private final ScheduledExecutorService timer;
    private final ExecutorService pool;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final AtomicBoolean polling = new AtomicBoolean();

    /** Test and benchmark hooks; {@link #defaults()} for production ({@code resolver}: the name lookup of every source's client). */
    public record Options(Clock clock, Sleeper sleeper, OutboundHttp.Resolver resolver, Duration stateLoadTimeout) {
        public static Options defaults() {
            return new Options(Clock.systemUTC(), Sleeper.REAL, OutboundHttp.Resolver.SYSTEM, Duration.ofMinutes(2));
        }

        public Options withClock(Clock c) {
            return new Options(c, sleeper, resolver, stateLoadTimeout);
        }

        public Options withSleeper(Sleeper s) {
            return new Options(clock, s, resolver, stateLoadTimeout);
        }

        public Options withResolver(OutboundHttp.Resolver r) {
            return new Options(clock, sleeper, r, stateLoadTimeout);
        }
    }

    private Ingest(IngestConfig config, Map<String, SourceWorker> workers, Map<String, OutboundHttp> clients) {
        this.config = config;
        this.workers = workers;
        this.clients = clients;
        AtomicInteger n = new AtomicInteger();
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "ingest-timer"));
        this.pool = Executors.newFixedThreadPool(config.pollThreads, r -> daemon(r, "ingest-poll-" + n.incrementAndGet()));
    }

    /** Builds the workers, restores their state and starts polling. The topics must exist. */
    public static Ingest start(KafkaSettings kafka, IngestConfig config, MeterRegistry registry, OpsServer ops) throws TimeoutException {
        Ingest ingest = create(kafka, config, registry, ops, Options.defaults());
        ingest.startPolling();
        return ingest;
    }

    /** Builds the workers and restores their state, without scheduling polls ({@link #pollNow} or {@link #startPolling}). */
    public static Ingest create(KafkaSettings kafka, IngestConfig config, MeterRegistry registry, OpsServer ops, Options options)
            throws TimeoutException {
        Clock clock = options.clock();
        IngestMetrics metrics = new IngestMetrics(registry, clock);
        // one client per source: each has its own network policy and connection pool
        Map<String, OutboundHttp> clients = new LinkedHashMap<>();
        for (SourceConfig source : config.sources) {
            if (source.enabled) {
                clients.put(source.name, OutboundHttp.builder("source " + source.name, source.networkPolicy())
                        .connectTimeout(config.connectTimeout).resolver(options.resolver()).build());
            }
        }
        HttpFetcher http = new HttpFetcher(name -> {
            OutboundHttp c = clients.get(name);
            if (c == null) {
                throw new IllegalStateException("no HTTP client for source " + name);
            }
            return c;
        }, config.maxRetries, config.initialBackoff, config.maxBackoff, config.maxRetryAfter,
                options.sleeper(), clock);
        Map<String, SourceWorker> workers = new LinkedHashMap<>();
        try {
            for (SourceConfig source : config.sources) {
                if (!source.enabled) {
                    LOG.info("Source {} is disabled", source.name);
                    continue;
                }
                Publisher publisher = new Publisher(source.name, kafka, clock, config.transactionRecords, config.removeAfterListings).withMetrics(registry)
                        .withProgress(metrics.progress(source.name));
                workers.put(source.name, new SourceWorker(source, client(source, http, config, metrics, clock), publisher, metrics, clock, config.failureBackoff));
                publisher.init(); // fences a predecessor and aborts its open transaction before the state is read
            }
            Map<String, Map<String, CertState>> states = CheckpointLoader.load(kafka, kafka.topics(), workers.keySet(), options.stateLoadTimeout());
            workers.forEach((name, w) -> {
                w.publisher.restore(states.getOrDefault(name, Map.of()));
                metrics.register(name, w.publisher::knownCertificates);
            });
        } catch (TimeoutException | RuntimeException e) {
            workers.values().forEach(SourceWorker::close);
            clients.values().forEach(Ingest::closeQuietly);
            throw e;
        }
        Ingest ingest = new Ingest(config, workers, clients);
        if (ops != null) {
            ops.addHealthCheck("ingest", () -> !ingest.closed.get() && !ingest.pool.isShutdown()
                    && ingest.workers.values().stream().noneMatch(w -> w.publisher.fenced() || w.fatal() != null));
            ops.addReadyCheck("ingest", () -> !ingest.closed.get());
        }
        LOG.info("Ingest ready with {} sources: {}", workers.size(), String.join(", ", workers.keySet()));
        return ingest;
    }

    private static SourceClient client(SourceConfig source, HttpFetcher http, IngestConfig config, IngestMetrics metrics, Clock clock) {
        if (source instanceof LeegalitySourceConfig l) {
            return new LeegalityClient(l, http, config.chunkSize, metrics);
        }
        if (source instanceof SmoxySourceConfig s) {
            return new SmoxyClient(s, http, metrics);
        }
        if (source instanceof YeastarSourceConfig y) {
            return new YeastarClient(y, http, metrics, clock);
        }
        throw new IllegalArgumentException("source " + source.name + ": unknown kind " + source.getClass().getSimpleName());
    }

    /** Schedules every source: first polls spread over up to a second, then each on its own interval. */
    public void startPolling() {
        if (!polling.compareAndSet(false, true)) {
            return;
        }
        for (SourceWorker w : workers.values()) {
            schedule(w, Duration.ofMillis(ThreadLocalRandom.current().nextLong(Math.min(1000, w.config.pollInterval.toMillis()) + 1)));
        }
    }

    private void schedule(SourceWorker worker, Duration delay) {
        if (closed.get()) {
            return;
        }
        try {
            timer.schedule(() -> pool.execute(() -> run(worker)), delay.toMillis(), TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            // closing
        }
    }

    private void run(SourceWorker worker) {
        Duration next = worker.config.pollInterval;
        try {
            next = worker.nextDelay(worker.pollOnce());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return;
        } catch (RuntimeException e) {
            LOG.error("Source {}: poll crashed with {}", worker.config.name, e.getClass().getName());
        } catch (Error e) {
            return; // logged by the worker, which now reports DOWN; the pool's thread lives on for the other sources
        }
        if (worker.publisher.fenced()) {
            LOG.error("Source {}: no longer polled here (fenced); /health reports DOWN", worker.config.name);
            return;
        }
        schedule(worker, next);
    }

    /** Runs one poll of a source now, in the calling thread (waits if the scheduler is polling it). */
    public PollResult pollNow(String source) throws InterruptedException {
        SourceWorker w = workers.get(source);
        if (w == null) {
            throw new IllegalArgumentException("no enabled source named '" + source + "'");
        }
        return w.pollOnce();
    }

    /**
     * Runs one poll of every source now, on the polling pool ({@code ingest.pollThreads} at once), and waits
     * for all of them: a cold start takes as long as its slowest source, not the sum of them. Results in
     * {@link #sources()} order; a poll that crashed is rethrown once every other poll has ended.
     */
    public Map<String, PollResult> pollAllNow() throws InterruptedException {
        Map<String, Future<PollResult>> running = new LinkedHashMap<>();
        for (var e : workers.entrySet()) {
            running.put(e.getKey(), pool.submit(e.getValue()::pollOnce));
        }
        Map<String, PollResult> results = new LinkedHashMap<>();
        Throwable crashed = null;
        try {
            for (var e : running.entrySet()) {
                try {
                    results.put(e.getKey(), e.getValue().get());
                } catch (ExecutionException ex) {
                    if (crashed == null) {
                        crashed = ex.getCause();
                    }
                }
            }
        } catch (InterruptedException e) {
            running.values().forEach(f -> f.cancel(true));
            throw e;
        }
        if (crashed instanceof RuntimeException r) {
            throw r;
        }
        if (crashed instanceof Error err) {
            throw err;
        }
        if (crashed != null) {
            throw new IllegalStateException(crashed);
        }
        return results;
    }

    public List<String> sources() {
        return List.copyOf(workers.keySet());
    }

    /** For tests: every certificate's state of a source. */
    Map<String, CertState> states(String source) {
        return workers.get(source).publisher.states();
    }

    /** For tests: the stored state of a certificate key. */
    CertState stateOf(String source, String key) {
        return workers.get(source).publisher.stateOf(key);
    }

    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        timer.shutdownNow();
        pool.shutdownNow();
        try {
            if (!pool.awaitTermination(30, TimeUnit.SECONDS)) {
                LOG.warn("Ingest: polls still running after 30 s: {}", workers.keySet().stream().collect(Collectors.joining(", ")));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        workers.values().forEach(SourceWorker::close);
        clients.values().forEach(Ingest::closeQuietly);
        LOG.info("Ingest stopped");
    }

    private static void closeQuietly(OutboundHttp client) {
        try {
            client.close();
        } catch (java.io.IOException e) {
            LOG.debug("Closing the HTTP client of {} failed: {}", client.owner(), e.toString());
        }
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }
}
