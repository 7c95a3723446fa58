package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.ingest.source.CertState;
import dev.certflow.ingest.source.ItemError;
import dev.certflow.ingest.source.Observation;
import dev.certflow.ingest.source.PollSink;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.ops.ClientMetrics;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.BiPredicate;

/**
 * Publishes one source worker's polls with its own transactional producer ({@code transactional.id}
 * = {@code certflow-ingest-<topicPrefix><source>}, so a restarted worker fences its predecessor).
 * Each page's certificate records, attempts, checkpoints and dead letters commit in one transaction;
 * the end of a poll (tombstones of what a complete listing no longer has, and the source status)
 * is another. The in-memory state changes only after a commit, so an aborted page is re-read and
 * re-published by the next poll, never lost and never half-published.
 *
 * <p>A poll's transactions other than the last are committed on the publisher's own thread while
 * the poll reads and normalises the next pages (at most one in flight, committed in order; the
 * commit's wait for the broker took half of a first poll when it ran in the poll's thread). A
 * failed commit stops the poll at its next page, or at {@link Session#awaitCommits()}.
 */
public final class Publisher implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Publisher.class);
    static final long BUFFER_MEMORY = 8L * 1024 * 1024;
    /** The serializer's wire format: magic byte and 4-byte schema id before the Avro binary form. */
    static final int WIRE_HEADER = 5;

    private final String source;
    private final KafkaSettings kafka;
    private final Topics topics;
    private final Clock clock;
    private final Serializer<String> keys;
    private final Serializer<Certificate> certificates;
    private final Serializer<RenewalAttempt> attempts;
    private final Serializer<IngestCheckpoint> checkpoints;
    private final Serializer<SourceStatus> statuses;
    private final String certTopic;
    private final String attemptTopic;
    private final String checkpointTopic;
    private final String statusTopic;
    private final String dlqTopic;
    private final Fingerprints fingerprints = new Fingerprints();
    private final int transactionRecords;
    // the committed state: read by the poll and the meters, written after commits (the committer thread's too)
    private final Object stateLock = new Object();
    private Map<String, CertState> state = new HashMap<>();
    // complete listings in a row that lacked a known certificate (not yet removed); in memory: a restart starts again at 0
    private final Map<String, Integer> misses = new HashMap<>();
    private final int removeAfterListings;
    private Producer<byte[], byte[]> producer;
    private ExecutorService committer;
    private volatile boolean fenced;

    private io.micrometer.core.instrument.MeterRegistry meters;
    private ClientMetrics.Binding clientMetrics = () -> { };
    private volatile Progress progress = Progress.NONE;

    /**
     * Told a poll's counts while it runs, so meters move during a long first poll rather than at its
     * end: certificates seen per page read, changed certificates and attempts per committed
     * transaction, removals at the end of the poll.
     */
    @FunctionalInterface
    public interface Progress {
        Progress NONE = (seen, changed, removed, attempts) -> { };

        void add(int seen, int changed, int removed, int attempts);
    }

    public Publisher(String source, KafkaSettings kafka, Clock clock) {
        this(source, kafka, clock, 5000);
    }

    public Publisher(String source, KafkaSettings kafka, Clock clock, int transactionRecords) {
        this(source, kafka, clock, transactionRecords, 2);
    }

    /**
     * @param transactionRecords pages are buffered and committed together once they hold this many
     *                           records (a page is never split; the poll's end commits the rest), so
     *                           small pages do not each pay a transaction commit
     * @param removeAfterListings a known certificate is removed (tombstoned) once this many complete listings
     *                           in a row lacked it (1: the first), so one listing that leaves certificates out
     *                           (an upstream hiccup) removes nothing; any poll that sees it starts the count again
     */
    public Publisher(String source, KafkaSettings kafka, Clock clock, int transactionRecords, int removeAfterListings) {
        if (removeAfterListings < 1) {
            throw new IllegalArgumentException("removeAfterListings must be at least 1, was " + removeAfterListings);
        }
        this.removeAfterListings = removeAfterListings;
        this.transactionRecords = transactionRecords;
        this.source = source;
        this.kafka = kafka;
        this.topics = kafka.topics();
        this.clock = clock;
        this.keys = topics.certificates().keySerde().serializer();
        this.certificates = topics.certificates().valueSerde().serializer();
        this.attempts = topics.renewalAttempts().valueSerde().serializer();
        this.checkpoints = topics.ingestCheckpoints().valueSerde().serializer();
        this.statuses = topics.sourceStatus().valueSerde().serializer();
        this.certTopic = topics.certificates().name();
        this.attemptTopic = topics.renewalAttempts().name();
        this.checkpointTopic = topics.ingestCheckpoints().name();
        this.statusTopic = topics.sourceStatus().name();
        this.dlqTopic = topics.deadLetters().name();
    }

    /** Puts the producer's own Kafka client metrics on this registry (call before {@link #init}). */
    public synchronized Publisher withMetrics(io.micrometer.core.instrument.MeterRegistry registry) {
        this.meters = registry;
        return this;
    }

    /** Reports each poll's counts as they happen (see {@link Progress}). */
    public Publisher withProgress(Progress p) {
        this.progress = p;
        return this;
    }

    /** Creates the producer and runs initTransactions (fencing a predecessor); call before loading state. */
    public synchronized void init() {
        if (producer == null) {
            Map<String, Object> props = producerProperties(kafka, source);
            KafkaProducer<byte[], byte[]> p = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
            try {
                p.initTransactions();
            } catch (RuntimeException e) {
                p.close(Duration.ZERO);
                throw e;
            }
            producer = p;
            clientMetrics = ClientMetrics.bind(meters, p);
        }
    }

    /**
     * The source's transactional producer. {@code buffer.memory} is 8 MiB unless
     * {@code kafka.properties} sets it: one transaction holds at most a few MiB and every source has its
     * own producer, so Kafka's 32 MiB default per source only multiplies the heap one ingest needs.
     */
    public static Map<String, Object> producerProperties(KafkaSettings kafka, String source) {
        Map<String, Object> props = kafka.producer("certflow-ingest-" + source);
        props.put("transactional.id", transactionalId(kafka.topicPrefix, source));
        props.put("max.block.ms", "30000");
        props.put("transaction.timeout.ms", "60000");
        props.putIfAbsent("buffer.memory", BUFFER_MEMORY);
        return props;
    }

    private void closeClientMetrics() {
        clientMetrics.close();
        clientMetrics = () -> { };
    }

    public static String transactionalId(String topicPrefix, String source) {
        return "certflow-ingest-" + (topicPrefix == null ? "" : topicPrefix) + source;
    }

    /** Replaces the state (after the checkpoint topic was read). */
    public void restore(Map<String, CertState> restored) {
        synchronized (stateLock) {
            this.state = new HashMap<>(restored);
            misses.clear();
        }
    }

    public int knownCertificates() {
        synchronized (stateLock) {
            return state.size();
        }
    }

    /** Starts a poll. */
    public Session begin(Instant startedAt) {
        return new Session(startedAt);
    }

    /** One poll's view of the publisher: the {@link PollSink} the source client writes to. */
    public final class Session implements PollSink {
        private final Instant startedAt;
        private final Set<String> seen = new HashSet<>();
        private final List<BiPredicate<String, CertState>> complete = new ArrayList<>();
        private int certificatesSeen;
        private int changed;
        private int removed;
        private int attemptsPublished;
        private int itemErrors;
        // pages read but not yet committed: they commit together, never split
        private final List<ProducerRecord<byte[], byte[]>> pending = new ArrayList<>();
        private final Map<String, CertState> pendingUpdates = new HashMap<>();
        private int pendingChanged;
        private int pendingAttempts;
        // the transaction being committed on the committer thread while this poll goes on
        private Future<?> inFlight;

        Session(Instant startedAt) {
            this.startedAt = startedAt;
        }

        @Override
        public CertState state(String certificateKey) {
            synchronized (stateLock) {
                return state.get(certificateKey);
            }
        }

        @Override
        public void page(List<Observation> observations, List<ItemError> errors) throws PollAbortedException {
            if (inFlight != null && inFlight.isDone()) {
                awaitCommits(); // a failed commit stops the poll here
            }
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            Map<String, CertState> updates = new HashMap<>();
            int pageChanged = 0;
            int pageAttempts = 0;
            int seenBefore = certificatesSeen;
            Instant now = clock.instant();
            for (Observation o : observations) {
                Certificate cert = o.certificate();
                String key = CertificateKeys.format(cert.getKey());
                if (!seen.add(key)) {
                    continue; // already handled in this poll
                }
                certificatesSeen++;
                CertState prior = state(key);
                byte[] value = certificates.serialize(certTopic, cert);
                String fp = fingerprints.of(cert, value, WIRE_HEADER);
                boolean certChanged = prior == null || !prior.hasFingerprint(fp);
                CertState next = new CertState(cert.getKey(), fp,
                        o.lastAttemptId() != null ? o.lastAttemptId() : prior == null ? null : prior.lastAttemptId(),
                        o.lastAttemptId() != null ? o.lastAttemptStartedAt() : prior == null ? null : prior.lastAttemptStartedAt(),
                        o.lastStatus() != null ? o.lastStatus() : prior == null ? null : prior.lastStatus(),
                        cert.getNotAfter());
                // a checkpoint only for attempt progress the certificate record does not rebuild (CheckpointLoader)
                boolean hadCheckpoint = prior != null && prior.checkpointed();
                boolean checkpoint = hadCheckpoint ? !next.sameProgress(prior) : !next.progressDerivableFrom(cert);
                next = next.checkpointed(hadCheckpoint || checkpoint);
                byte[] keyBytes = keys.serialize(certTopic, key);
                if (certChanged) {
                    records.add(new ProducerRecord<>(certTopic, keyBytes, value));
                    pageChanged++;
                }
                for (RenewalAttempt a : o.newAttempts()) {
                    records.add(new ProducerRecord<>(attemptTopic, keyBytes, attempts.serialize(attemptTopic, a)));
                    pageAttempts++;
                }
                if (checkpoint) {
                    records.add(new ProducerRecord<>(checkpointTopic, keyBytes, checkpoints.serialize(checkpointTopic, next.toCheckpoint(now))));
                }
                if (!next.equals(prior)) {
                    updates.put(key, next);
                }
            }
            for (ItemError e : errors) {
                if (e.certificateKey() != null) {
                    seen.add(e.certificateKey());
                }
                var headers = DeadLetters.headers(certTopic, -1, -1, "ingest", "ingest/" + source,
                        new IllegalArgumentException("source " + source + ": " + e.message()), now);
                byte[] dlqKey = e.certificateKey() == null ? null : e.certificateKey().getBytes(StandardCharsets.UTF_8);
                records.add(DeadLetters.record(dlqTopic, dlqKey, e.itemJson(), headers));
            }
            itemErrors += errors.size();
            progress.add(certificatesSeen - seenBefore, 0, 0, 0);
            pending.addAll(records);
            pendingUpdates.putAll(updates);
            pendingChanged += pageChanged;
            pendingAttempts += pageAttempts;
            if (pending.size() >= transactionRecords) {
                flush(List.of(), false);
            }
        }

        /**
         * Commits the pending pages plus {@code extra} in one transaction, after the one in flight:
         * in this thread when {@code last}, else on the committer thread. On failure the pending pages
         * are dropped (re-read next poll).
         */
        private void flush(List<ProducerRecord<byte[], byte[]>> extra, boolean last) throws PollAbortedException {
            awaitCommits();
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(pending);
            records.addAll(extra);
            Map<String, CertState> updates = new HashMap<>(pendingUpdates);
            int c = pendingChanged;
            int a = pendingAttempts;
            pending.clear();
            pendingUpdates.clear();
            pendingChanged = 0;
            pendingAttempts = 0;
            if (records.isEmpty()) {
                return;
            }
            if (last) {
                commitBatch(records, updates, c, a);
                return;
            }
            try {
                inFlight = committer().submit(() -> {
                    commitBatch(records, updates, c, a);
                    return null;
                });
            } catch (RejectedExecutionException e) {
                throw new PollAbortedException("source " + source + ": the publisher is closed", e);
            }
        }

        private void commitBatch(List<ProducerRecord<byte[], byte[]>> records, Map<String, CertState> updates, int c, int a)
                throws PollAbortedException {
            commit(records);
            synchronized (stateLock) {
                state.putAll(updates);
            }
            changed += c; // read by the poll's thread after awaitCommits (Future.get orders it)
            attemptsPublished += a;
            progress.add(0, c, 0, a);
        }

        /**
         * Waits for the transaction in flight. If it failed, the pages read since are dropped (re-read next
         * poll), no certificate is removed at the end of this poll, and its exception is thrown.
         */
        public void awaitCommits() throws PollAbortedException {
            Future<?> f = inFlight;
            if (f == null) {
                return;
            }
            inFlight = null;
            try {
                f.get();
            } catch (ExecutionException e) {
                pending.clear();
                pendingUpdates.clear();
                pendingChanged = 0;
                pendingAttempts = 0;
                complete.clear();
                if (e.getCause() instanceof PollAbortedException p) {
                    throw p;
                }
                throw new PollAbortedException("source " + source + ": publishing failed: " + e.getCause().getClass().getSimpleName(), e.getCause());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                complete.clear();
                throw new PollAbortedException("source " + source + ": interrupted while a transaction was committed", e);
            }
        }

        @Override
        public void listingComplete(BiPredicate<String, CertState> wouldInclude) {
            complete.add(wouldInclude);
        }

        /**
         * Ends the poll: the pages still pending, tombstones for certificates a complete listing no
         * longer has, and the status record, in one transaction. {@code status} is completed with
         * this poll's counters.
         */
        public SourceStatus finish(SourceStatus.Builder status) throws PollAbortedException {
            try {
                awaitCommits();
            } catch (PollAbortedException e) {
                if (status.getOutcome() != PollOutcome.FAILED) {
                    throw e; // the status would not say so: not published (the caller should have called awaitCommits)
                }
                // the poll failed already (the status says why); its end is still published
            }
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<String> gone = new ArrayList<>();
            Map<String, Integer> missing = new HashMap<>(); // lacked by this poll's complete listing, not removed yet
            if (!complete.isEmpty()) {
                Map<String, CertState> snapshot;
                Map<String, Integer> missed;
                synchronized (stateLock) {
                    snapshot = new HashMap<>(state);
                    missed = new HashMap<>(misses);
                }
                snapshot.forEach((key, st) -> {
                    if (!seen.contains(key) && complete.stream().anyMatch(p -> p.test(key, st))) {
                        int n = missed.getOrDefault(key, 0) + 1;
                        if (n < removeAfterListings) {
                            missing.put(key, n);
                            return;
                        }
                        byte[] k = keys.serialize(certTopic, key);
                        records.add(new ProducerRecord<>(certTopic, k, null));
                        if (st.checkpointed()) {
                            records.add(new ProducerRecord<>(checkpointTopic, k, null));
                        }
                        gone.add(key);
                    }
                });
                if (!missing.isEmpty()) {
                    LOG.info("Source {}: {} known certificates missing from this complete listing; removed if the next {} lack them too",
                            source, missing.size(), removeAfterListings - 1);
                }
            }
            SourceStatus s = status
                    .setCertificatesSeen(certificatesSeen)
                    .setCertificatesChanged(changed + pendingChanged)
                    .setCertificatesRemoved(gone.size())
                    .setAttemptsPublished(attemptsPublished + pendingAttempts)
                    .setItemErrors(itemErrors)
                    .build();
            records.add(new ProducerRecord<>(statusTopic, keys.serialize(statusTopic, source), statuses.serialize(statusTopic, s)));
            flush(records, true);
            synchronized (stateLock) {
                gone.forEach(state::remove);
                gone.forEach(misses::remove);
                misses.keySet().removeIf(seen::contains); // seen again: the count starts over
                misses.putAll(missing);
            }
            removed = gone.size();
            progress.add(0, 0, removed, 0);
            return s;
        }

        public Instant startedAt() {
            return startedAt;
        }

        public int certificatesSeen() {
            return certificatesSeen;
        }

        public int changed() {
            return changed;
        }

        public int removed() {
            return removed;
        }

        public int attemptsPublished() {
            return attemptsPublished;
        }

        public int itemErrors() {
            return itemErrors;
        }
    }

    /** True once another instance took over this source's transactional id; this one must not publish again. */
    public boolean fenced() {
        return fenced;
    }

    private synchronized void commit(List<ProducerRecord<byte[], byte[]>> records) throws PollSink.PollAbortedException {
        if (fenced) {
            throw new PollSink.PollAbortedException("source " + source + ": fenced by another instance with the same transactional id", null);
        }
        try {
            init();
            producer.beginTransaction();
            for (ProducerRecord<byte[], byte[]> r : records) {
                producer.send(r);
            }
            producer.commitTransaction();
        } catch (RuntimeException e) {
            // a failed transaction leaves the producer in an uncertain state: drop it, the next page makes a new one
            // (initTransactions then aborts whatever this one left open)
            if (isFencing(e)) {
                // re-initialising would fence the instance that replaced us, and it would fence us back: stop instead
                fenced = true;
                LOG.error("Source {}: another instance now publishes this source (transactional id {}); this worker stops publishing it",
                        source, transactionalId(kafka.topicPrefix, source));
            } else {
                LOG.warn("Source {}: publishing {} records failed ({}); the transaction is aborted", source, records.size(), e.getClass().getSimpleName());
            }
            Producer<byte[], byte[]> p = producer;
            producer = null;
            closeClientMetrics();
            if (p != null) {
                try {
                    p.abortTransaction();
                } catch (RuntimeException ignored) {
                    // fenced or closed: nothing to abort
                }
                p.close(Duration.ofSeconds(5));
            }
            throw new PollSink.PollAbortedException("source " + source + ": publishing failed: " + e.getClass().getSimpleName(), e);
        }
    }

    private static boolean isFencing(Throwable e) {
        for (Throwable t = e; t != null; t = t.getCause()) {
            if (t instanceof org.apache.kafka.common.errors.ProducerFencedException
                    || t instanceof org.apache.kafka.common.errors.InvalidProducerEpochException) {
                return true;
            }
        }
        return false;
    }

    /** The thread that commits a poll's transactions while the poll goes on; created on first use. */
    private synchronized ExecutorService committer() {
        if (committer == null) {
            committer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "ingest-commit-" + source);
                t.setDaemon(true);
                return t;
            });
        }
        return committer;
    }

    @Override
    public void close() {
        ExecutorService c;
        synchronized (this) {
            c = committer;
        }
        if (c != null) {
            c.shutdown(); // a transaction in flight ends (committed or failed) before the producer closes
            try {
                if (!c.awaitTermination(60, TimeUnit.SECONDS)) {
                    LOG.warn("Source {}: a transaction was still being committed after 60 s; closing the producer", source);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
        closeProducer();
    }

    private synchronized void closeProducer() {
        closeClientMetrics();
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
    }

    /** A copy of every certificate's state (tests). */
    public Map<String, CertState> states() {
        synchronized (stateLock) {
            return new HashMap<>(state);
        }
    }

    /** For tests: the state of one key. */
    public CertState stateOf(String key) {
        synchronized (stateLock) {
            return state.get(key);
        }
    }

    @Override
    public String toString() {
        return "Publisher[" + source + "]";
    }
}
