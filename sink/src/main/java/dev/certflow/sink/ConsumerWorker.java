package dev.certflow.sink;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.ops.ClientMetrics;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The consumer loop every sink worker runs (the view writer, the alert delivery): one thread
 * polling one consumer, a wakeup to stop it, a failure flag for {@code /health}, the lag gauge
 * {@code certflow.sink.consumer.lag{consumer=<name>}} and the worker's dead-letter producer. What
 * happens to the records, and to partitions coming and going, is the {@link Handler}'s.
 *
 * <p>An {@link Error} (tests inject crashes so) or a runtime exception out of the handler stops
 * the worker as a dying process would: marked failed, nothing committed on the way out.
 */
public final class ConsumerWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ConsumerWorker.class);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(30);

    /** What a worker does with its consumer; every method runs on the worker's thread. */
    public interface Handler {
        /** Partitions were assigned (seek here to positions kept elsewhere). */
        default void assigned(KafkaConsumer<String, byte[]> consumer, Collection<TopicPartition> partitions) {
        }

        /** Partitions are being revoked; {@code failed} once the worker died (commit nothing then). */
        default void revoked(KafkaConsumer<String, byte[]> consumer, Collection<TopicPartition> partitions, boolean failed) {
        }

        /** One poll's records (also called after an empty poll, for work that runs on a timer). */
        void handle(KafkaConsumer<String, byte[]> consumer, ConsumerRecords<String, byte[]> records, DeadLetterProducer dlq);

        /** An orderly stop: the loop ended without failing. */
        default void stopping(KafkaConsumer<String, byte[]> consumer) {
        }
    }

    private final String name;
    private final KafkaSettings kafka;
    private final String groupId;
    private final String application;
    private final List<String> topics;
    private final int maxPollRecords;
    private final Duration pollTimeout;
    private final MeterRegistry registry;
    private final Handler handler;
    private final AtomicLong lag = new AtomicLong();
    private final Thread thread;
    private final CompletableFuture<Void> assigned = new CompletableFuture<>();
    private volatile DeadLetterProducer dlq;
    private volatile boolean running = true;
    private volatile boolean failed;
    private volatile KafkaConsumer<String, byte[]> consumer;

    /**
     * @param name the worker's name: the lag gauge's {@code consumer} tag and the thread's name
     */
    public ConsumerWorker(String name, KafkaSettings kafka, String groupId, String application, Collection<String> topics,
                          int maxPollRecords, Duration pollTimeout, MeterRegistry registry, Handler handler) {
        this.name = name;
        this.kafka = kafka;
        this.groupId = groupId;
        this.application = application;
        this.topics = List.copyOf(topics);
        this.maxPollRecords = maxPollRecords;
        this.pollTimeout = pollTimeout;
        this.registry = registry;
        this.handler = handler;
        Gauge.builder("certflow.sink.consumer.lag", lag, AtomicLong::get).tag("consumer", name)
                .description("Records behind the end of the input topics").register(registry);
        this.thread = new Thread(this::run, "sink-" + name);
    }

    public ConsumerWorker start() {
        dlq = new DeadLetterProducer(kafka, application); // here, not in the constructor: a worker never started holds no producer
        thread.start();
        return this;
    }

    public String groupId() {
        return groupId;
    }

    /** The worker's dead-letter producer once started (also for the worker's other threads: channel threads). */
    public DeadLetterProducer deadLetters() {
        return dlq;
    }

    /** False once the loop died (a fatal error). */
    public boolean isHealthy() {
        return !failed;
    }

    public boolean isAlive() {
        return thread.isAlive();
    }

    /** Whether the loop should go on (handlers that wait check it). */
    public boolean isRunning() {
        return running;
    }

    /** Completes once the consumer first holds partitions. */
    public CompletableFuture<Void> assigned() {
        return assigned;
    }

    private void run() {
        Map<String, Object> props = kafka.consumer(groupId, application);
        props.put("max.poll.records", maxPollRecords);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
             ClientMetrics.Binding consumerMetrics = ClientMetrics.bind(registry, c)) {
            consumer = c;
            c.subscribe(topics, new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    handler.revoked(c, partitions, failed);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    handler.assigned(c, partitions);
                    if (!partitions.isEmpty()) {
                        assigned.complete(null);
                    }
                }
            });
            try {
                loop(c);
            } catch (Error | RuntimeException e) {
                failed = !(e instanceof WakeupException);
                throw e;
            }
        } catch (WakeupException e) {
            LOG.debug("Sink worker {} woken up to stop", name);
        } catch (Error e) {
            LOG.error("Sink worker {} stopped: {}", name, e.toString());
        } catch (RuntimeException e) {
            LOG.error("Sink worker {} stopped", name, e);
        }
    }

    private void loop(KafkaConsumer<String, byte[]> c) {
        while (running) {
            ConsumerRecords<String, byte[]> records;
            try {
                records = c.poll(pollTimeout);
            } catch (WakeupException e) {
                break;
            }
            handler.handle(c, records, dlq);
            long total = 0;
            for (TopicPartition tp : c.assignment()) {
                total += c.currentLag(tp).orElse(0);
            }
            lag.set(total);
        }
        handler.stopping(c);
    }

    /** Stops the loop: wakes the consumer out of its poll and waits for the thread. */
    public void stop() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(STOP_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** {@link #stop}, then closes the dead-letter producer. */
    @Override
    public void close() {
        stop();
        if (dlq != null) {
            dlq.close();
        }
    }
}
