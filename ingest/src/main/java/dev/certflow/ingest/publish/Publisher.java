package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import dev.certflow.events.IngestCheckpoint;
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
import java.util.function.BiPredicate;

/**
 * Publishes one source worker's polls with its own transactional producer ({@code transactional.id}
 * = {@code certflow-ingest-<topicPrefix><source>}, so a restarted worker fences its predecessor).
 * Each page's certificate records, attempts, checkpoints and dead letters commit in one transaction;
 * the end of a poll (tombstones of what a complete listing no longer has, and the source status)
 * is another. The in-memory state changes only after a commit, so an aborted page is re-read and
 * re-published by the next poll, never lost and never half-published.
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
    private Map<String, CertState> state = new HashMap<>();
    private Producer<byte[], byte[]> producer;
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

    /**
     * @param transactionRecords pages are buffered and committed together once they hold this many
     *                           records (a page is never split; the poll's end commits the rest), so
     *                           small pages do not each pay a transaction commit
     */
    public Publisher(String source, KafkaSettings kafka, Clock clock, int transactionRecords) {
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
    public synchronized void restore(Map<String, CertState> restored) {
        this.state = new HashMap<>(restored);
    }

    public synchronized int knownCertificates() {
        return state.size();
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

        Session(Instant startedAt) {
            this.startedAt = startedAt;
        }

        @Override
        public CertState state(String certificateKey) {
            synchronized (Publisher.this) {
                return state.get(certificateKey);
            }
        }

        @Override
        public void page(List<Observation> observations, List<ItemError> errors) throws PollAbortedException {
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
                boolean certChanged = prior == null || !fp.equals(prior.fingerprint());
                CertState next = new CertState(cert.getKey(), fp,
                        o.lastAttemptId() != null ? o.lastAttemptId() : prior == null ? null : prior.lastAttemptId(),
                        o.lastAttemptId() != null ? o.lastAttemptStartedAt() : prior == null ? null : prior.lastAttemptStartedAt(),
                        o.lastStatus() != null ? o.lastStatus() : prior == null ? null : prior.lastStatus(),
                        cert.getNotAfter());
                byte[] keyBytes = keys.serialize(certTopic, key);
                if (certChanged) {
                    records.add(new ProducerRecord<>(certTopic, keyBytes, value));
                    pageChanged++;
                }
                for (RenewalAttempt a : o.newAttempts()) {
                    records.add(new ProducerRecord<>(attemptTopic, keyBytes, attempts.serialize(attemptTopic, a)));
                    pageAttempts++;
                }
                if (!next.equals(prior)) {
                    records.add(new ProducerRecord<>(checkpointTopic, keyBytes, checkpoints.serialize(checkpointTopic, next.toCheckpoint(now))));
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
                flush(List.of());
            }
        }

        /** Commits the pending pages plus {@code extra} in one transaction; on failure the pending pages are dropped (re-read next poll). */
        private void flush(List<ProducerRecord<byte[], byte[]>> extra) throws PollAbortedException {
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
            commit(records);
            synchronized (Publisher.this) {
                state.putAll(updates);
            }
            changed += c;
            attemptsPublished += a;
            progress.add(0, c, 0, a);
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
            List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>();
            List<String> gone = new ArrayList<>();
            if (!complete.isEmpty()) {
                Map<String, CertState> snapshot;
                synchronized (Publisher.this) {
                    snapshot = new HashMap<>(state);
                }
                snapshot.forEach((key, st) -> {
                    if (!seen.contains(key) && complete.stream().anyMatch(p -> p.test(key, st))) {
                        byte[] k = keys.serialize(certTopic, key);
                        records.add(new ProducerRecord<>(certTopic, k, null));
                        records.add(new ProducerRecord<>(checkpointTopic, k, null));
                        gone.add(key);
                    }
                });
            }
            SourceStatus s = status
                    .setCertificatesSeen(certificatesSeen)
                    .setCertificatesChanged(changed + pendingChanged)
                    .setCertificatesRemoved(gone.size())
                    .setAttemptsPublished(attemptsPublished + pendingAttempts)
                    .setItemErrors(itemErrors)
                    .build();
            records.add(new ProducerRecord<>(statusTopic, keys.serialize(statusTopic, source), statuses.serialize(statusTopic, s)));
            flush(records);
            synchronized (Publisher.this) {
                gone.forEach(state::remove);
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

    @Override
    public synchronized void close() {
        closeClientMetrics();
        if (producer != null) {
            producer.close(Duration.ofSeconds(10));
            producer = null;
        }
    }

    /** For tests: the state of one key. */
    public synchronized CertState stateOf(String key) {
        return state.get(key);
    }

    @Override
    public String toString() {
        return "Publisher[" + source + "]";
    }
}
