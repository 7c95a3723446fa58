package dev.certflow.sink;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.DeadLetters;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;

/**
 * The dead-letter producer of one sink worker. Every send is synchronous: the caller moves its
 * offset past the record only after the broker holds the copy, so nothing is lost between the two.
 */
public final class DeadLetterProducer implements AutoCloseable {
    private static final Duration SEND_TIMEOUT = Duration.ofSeconds(30);

    private final KafkaProducer<byte[], byte[]> producer;
    private final String topic;
    private final String application;

    public DeadLetterProducer(KafkaSettings kafka, String application) {
        this.producer = new KafkaProducer<>(kafka.producer(application + "-dlq"), new ByteArraySerializer(), new ByteArraySerializer());
        this.topic = kafka.topics().deadLetters().name();
        this.application = application;
    }

    /** Copies an input record that cannot be used to the dead-letter topic with its origin headers. */
    public void deadLetter(ConsumerRecord<String, byte[]> r, Exception error, String stage) {
        byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
        var headers = DeadLetters.headers(r.topic(), r.partition(), r.offset(), stage, application, error, Instant.now());
        try {
            send(DeadLetters.record(topic, key, r.value(), headers));
        } catch (Exception e) {
            throw new IllegalStateException("cannot dead-letter record " + r.topic() + "/" + r.partition() + "@" + r.offset() + ": " + e, e);
        }
    }

    /** Sends any record (the delivery dead letters have their own topic); returns once the broker has it. */
    public void send(ProducerRecord<byte[], byte[]> record) throws Exception {
        producer.send(record).get(SEND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    @Override
    public void close() {
        producer.close(Duration.ofSeconds(5));
    }
}
