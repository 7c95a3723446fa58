package dev.certflow.sink.oncall;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Silence;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.DeadLetterProducer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;

/**
 * Every silence and acknowledgement, read from the compacted topics {@code alert-silences} and
 * {@code alert-acknowledgements} into memory. Each sink instance reads every partition from the
 * beginning (assigned, no consumer group), so all instances hold the same set; {@link #loaded()}
 * completes once the topics' end offsets at start are reached, and the delivery decides nothing
 * before that (an alert must not slip past a silence that is merely not read yet). A record that
 * cannot be read goes to the dead-letter topic; the others are kept.
 */
public final class OnCallFeed implements OnCallState, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OnCallFeed.class);
    static final String APPLICATION = "certflow-sink-oncall";

    private final KafkaSettings kafka;
    private final String silencesTopic;
    private final String acksTopic;
    private final Deserializer<Silence> silences;
    private final Deserializer<Acknowledgement> acks;
    private final Map<String, SilenceRules> silenceById = new ConcurrentHashMap<>();
    private final Map<String, Acknowledgement> ackByIncident = new ConcurrentHashMap<>();
    private final ConcurrentLinkedQueue<Acknowledgement> newAcks = new ConcurrentLinkedQueue<>();
    private final CompletableFuture<Void> loaded = new CompletableFuture<>();
    private final Thread thread;
    private volatile boolean running = true;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private volatile long version;

    public OnCallFeed(KafkaSettings kafka) {
        this.kafka = kafka;
        Topics topics = kafka.topics();
        this.silencesTopic = topics.alertSilences().name();
        this.acksTopic = topics.alertAcknowledgements().name();
        this.silences = topics.alertSilences().valueSerde().deserializer();
        this.acks = topics.alertAcknowledgements().valueSerde().deserializer();
        this.thread = new Thread(this::run, "sink-oncall-feed");
        this.thread.setDaemon(true);
    }

    public OnCallFeed start() {
        thread.start();
        return this;
    }

    /** Completes once everything on the topics at start has been read. */
    public CompletableFuture<Void> loaded() {
        return loaded;
    }

    /** The silences as read (expired ones included: they tell which held alerts to release). */
    @Override
    public Collection<SilenceRules> silences() {
        return silenceById.values();
    }

    /** Changes whenever a silence is added or changed. */
    public long version() {
        return version;
    }

    /** The acknowledgement of an incident, or null. */
    @Override
    public Acknowledgement acknowledgement(String incidentId) {
        return incidentId == null ? null : ackByIncident.get(incidentId);
    }

    /** Acknowledgements read since the last call (at start: every one on the topic), oldest first. */
    @Override
    public List<Acknowledgement> drainNewAcknowledgements() {
        List<Acknowledgement> out = new ArrayList<>();
        for (Acknowledgement a; (a = newAcks.poll()) != null; ) {
            out.add(a);
        }
        return out;
    }

    private void run() {
        Map<String, Object> props = kafka.consumer("unused", APPLICATION);
        props.remove("group.id"); // assigned partitions, no group: every instance reads everything
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
             DeadLetterProducer dlq = new DeadLetterProducer(kafka, APPLICATION)) {
            consumer = c;
            List<TopicPartition> partitions = new ArrayList<>();
            for (String topic : List.of(silencesTopic, acksTopic)) {
                for (PartitionInfo p : c.partitionsFor(topic, Duration.ofMinutes(1))) {
                    partitions.add(new TopicPartition(topic, p.partition()));
                }
            }
            c.assign(partitions);
            c.seekToBeginning(partitions);
            Map<TopicPartition, Long> end = new HashMap<>(c.endOffsets(partitions, Duration.ofMinutes(1)));
            while (running) {
                for (ConsumerRecord<String, byte[]> r : c.poll(Duration.ofMillis(200))) {
                    apply(r, dlq);
                }
                if (!loaded.isDone()) {
                    end.entrySet().removeIf(e -> c.position(e.getKey()) >= e.getValue());
                    if (end.isEmpty()) {
                        LOG.info("Read {} silences and {} acknowledgements", silenceById.size(), ackByIncident.size());
                        loaded.complete(null);
                    }
                }
            }
        } catch (WakeupException e) {
            LOG.debug("On-call feed woken up to stop");
        } catch (RuntimeException e) {
            LOG.error("On-call feed stopped", e);
            loaded.completeExceptionally(e);
        }
    }

    private void apply(ConsumerRecord<String, byte[]> r, DeadLetterProducer dlq) {
        boolean silence = r.topic().equals(silencesTopic);
        if (r.value() == null) {
            if (silence) {
                silenceById.remove(r.key()); // not written by certflow (expiry rewrites the record), honoured anyway
                version++;
            } else {
                ackByIncident.remove(r.key());
            }
            return;
        }
        try {
            if (silence) {
                SilenceRules rules = SilenceRules.of(silences.deserialize(r.topic(), r.value()));
                if (rules.invalid() != null) {
                    LOG.warn("Silence {} matches nothing: {}", rules.id(), rules.invalid());
                }
                silenceById.put(rules.id(), rules);
                version++;
            } else {
                Acknowledgement a = acks.deserialize(r.topic(), r.value());
                ackByIncident.put(a.getIncidentId(), a);
                newAcks.add(a);
            }
        } catch (RuntimeException e) {
            LOG.warn("Unreadable record {}/{}@{} dead-lettered", r.topic(), r.partition(), r.offset());
            dlq.deadLetter(r, e, "deserialization");
        }
    }

    @Override
    public void close() {
        running = false;
        KafkaConsumer<String, byte[]> c = consumer;
        if (c != null) {
            c.wakeup();
        }
        try {
            thread.join(TimeUnit.SECONDS.toMillis(30));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
