package dev.certflow.streams;

import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.Producer;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.KafkaException;
import org.apache.kafka.common.errors.RecordTooLargeException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.processor.api.Record;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Kafka Streams exception handlers that send the record that could not be handled to the
 * dead-letter topic ({@code certflow-dlq}: original key and value bytes, origin in
 * {@link DeadLetters} headers) and let the application continue. The dead-letter records are
 * written by Kafka Streams in the same transaction as the task's output (KIP-1034), so under
 * exactly-once a record is either processed or dead-lettered, never both, never lost.
 *
 * <p>Configured through the Streams properties {@link #DLQ_TOPIC} (required) and {@link #METRICS}
 * (a {@link CertflowMetrics} object, optional).
 */
public final class DeadLetterHandlers {
    public static final String DLQ_TOPIC = "certflow.dlq.topic";
    public static final String METRICS = "certflow.dlq.metrics";
    private static final Logger LOG = LoggerFactory.getLogger(DeadLetterHandlers.class);

    private DeadLetterHandlers() {
    }

    /**
     * A processor's failure that is about the infrastructure, not the record: Kafka Streams' own errors (a send
     * that failed or timed out, reported by the record collector at the next write; a state store's I/O),
     * any other Kafka client error but a serialization one, or a registry that cannot answer.
     */
    static boolean infrastructure(Throwable exception) {
        for (Throwable t = exception; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof StreamsException || (t instanceof KafkaException && !(t instanceof SerializationException))) {
                return true;
            }
        }
        return SchemaRegistryException.unavailable(exception);
    }

    /** Shared configuration of the three handlers. */
    abstract static class Base {
        String topic;
        String application;
        CertflowMetrics metrics;
        private Map<String, ?> configs = Map.of();
        private volatile Producer<byte[], byte[]> globalProducer;

        public void configure(Map<String, ?> configs) {
            this.configs = configs;
            Object t = configs.get(DLQ_TOPIC);
            if (t == null) {
                throw new IllegalArgumentException("missing Kafka Streams property '" + DLQ_TOPIC + "' (dead-letter topic)");
            }
            topic = t.toString();
            Object app = configs.get("application.id");
            application = app == null ? "certflow-streams" : app.toString();
            Object m = configs.get(METRICS);
            metrics = m instanceof CertflowMetrics cm ? cm : null;
        }

        /**
         * A global store's task ({@code -1_-1}: alert-silences, alert-acknowledgements): Kafka Streams 4.4 casts its
         * context to a record collector it does not have when a handler returns dead-letter records, and the
         * global thread dies (the whole application goes to ERROR). There is no transaction to join either.
         */
        static boolean global(ErrorHandlerContext context) {
            return context != null && context.taskId() != null && context.taskId().subtopology() < 0;
        }

        /**
         * Sends the dead letters itself, synchronously (the global thread moves past the record only after
         * the broker holds the copy), and returns nothing for Kafka Streams to send. A failed send fails
         * the global thread, so the record is read again rather than lost.
         */
        List<ProducerRecord<byte[], byte[]>> sendFromGlobalThread(List<ProducerRecord<byte[], byte[]>> records) {
            try {
                for (ProducerRecord<byte[], byte[]> r : records) {
                    globalProducer().send(r).get(30, TimeUnit.SECONDS);
                }
            } catch (Exception e) {
                if (e instanceof InterruptedException) {
                    Thread.currentThread().interrupt();
                }
                throw new IllegalStateException("cannot dead-letter a global store's record to " + topic + ": " + e, e);
            }
            return List.of();
        }

        private Producer<byte[], byte[]> globalProducer() {
            Producer<byte[], byte[]> p = globalProducer;
            if (p == null) {
                synchronized (this) {
                    if (globalProducer == null) {
                        // the application's own client settings (brokers, TLS, SASL), idempotent, not transactional
                        Map<String, Object> props = new StreamsConfig(configs).getProducerConfigs(application + "-global-dlq");
                        props.remove(ProducerConfig.TRANSACTIONAL_ID_CONFIG);
                        props.put(ProducerConfig.ACKS_CONFIG, "all");
                        globalProducer = new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer());
                    }
                    p = globalProducer;
                }
            }
            return p;
        }

        /**
         * A schema registry that cannot answer (unreachable, timed out, 5xx) says nothing about the record: the task
         * fails and the record is processed again once the registry is back ({@link StreamsApp} replaces the thread
         * without counting it as a failure), instead of a valid record being dead-lettered and its alerts lost.
         */
        static boolean registryUnavailable(Exception exception, String stage, String topic, int partition, long offset) {
            if (!SchemaRegistryException.unavailable(exception)) {
                return false;
            }
            LOG.warn("Schema registry unavailable at stage {} for {}-{}@{}: failing the task, the record is processed again later",
                    stage, topic, partition, offset);
            return true;
        }

        List<ProducerRecord<byte[], byte[]>> deadLetter(String stage, String originTopic, int partition, long offset,
                                                         byte[] key, byte[] value, Exception error) {
            // log origin and error class only: the message may quote the payload
            LOG.warn("Dead-lettering a record at stage {} from {}-{}@{}: {}", stage, originTopic, partition, offset,
                    error.getClass().getName());
            if (metrics != null) {
                metrics.deadLettered(stage);
            }
            Headers headers = DeadLetters.headers(originTopic, partition, offset, stage, application, error, Instant.now());
            return List.of(DeadLetters.record(topic, key, value, headers));
        }
    }

    /**
     * Records that cannot be deserialized (bad Avro, unknown schema id). A registry that cannot be
     * reached (or answers 5xx) says nothing about the record: the task fails instead, so the record
     * is read again once the registry is back, rather than a valid record being dead-lettered.
     */
    public static final class Deserialization extends Base implements DeserializationExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, ConsumerRecord<byte[], byte[]> record, Exception exception) {
            if (registryUnavailable(exception, "deserialization", record.topic(), record.partition(), record.offset())) {
                return Response.fail();
            }
            List<ProducerRecord<byte[], byte[]>> dlq = deadLetter("deserialization", record.topic(), record.partition(), record.offset(),
                    record.key(), record.value(), exception);
            return Response.resume(global(context) ? sendFromGlobalThread(dlq) : dlq);
        }
    }

    /**
     * Records a processor rejects (inconsistent keys, invalid fields). A failure inside the expiry
     * punctuator has no source record: it is logged and the tick resumes at the next interval. A
     * schema registry that cannot answer fails the task in both cases (under exactly-once its partial
     * writes are aborted with it).
     */
    public static final class Processing extends Base implements ProcessingExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, Record<?, ?> record, Exception exception) {
            if (registryUnavailable(exception, "processing", context.topic(), context.partition(), context.offset())) {
                return Response.fail(); // a state store's or an output's serializer could not get its schema id
            }
            if (infrastructure(exception)) {
                // reliability row 4 (broker down 60 s): a changelog send timed out, the record collector reported it at the
                // next record's first write, and that valid record was dead-lettered
                LOG.warn("Processing of {}-{}@{} failed for want of the broker or a store ({}): failing the task, the record is "
                        + "processed again later", context.topic(), context.partition(), context.offset(), exception.getClass().getSimpleName());
                return Response.fail();
            }
            if (context.sourceRawKey() == null && context.sourceRawValue() == null && record == null) {
                LOG.error("Processing failed in {} without a source record (task {}): {}", context.processorNodeId(),
                        context.taskId(), exception.getClass().getName());
                if (metrics != null) {
                    metrics.deadLettered("processing-punctuation");
                }
                return Response.resume();
            }
            List<ProducerRecord<byte[], byte[]>> dlq = deadLetter("processing", context.topic(), context.partition(), context.offset(),
                    context.sourceRawKey(), context.sourceRawValue(), exception);
            return Response.resume(global(context) ? sendFromGlobalThread(dlq) : dlq);
        }
    }

    /**
     * Output that cannot be serialized or is too large for the broker goes to the dead-letter topic
     * (key and value as far as they exist); any other send error, and a serializer that could not reach the
     * schema registry, fails the task, so nothing is dropped silently (Kafka Streams retries retriable errors
     * itself before this is called).
     */
    public static final class Production extends Base implements ProductionExceptionHandler {
        @Override
        public Response handleError(ErrorHandlerContext context, ProducerRecord<byte[], byte[]> record, Exception exception) {
            if (exception instanceof RecordTooLargeException) {
                return Response.resume(deadLetter("production", record.topic(), -1, -1, record.key(), record.value(), exception));
            }
            return Response.fail();
        }

        @Override
        @SuppressWarnings("rawtypes")
        public Response handleSerializationError(ErrorHandlerContext context, ProducerRecord record, Exception exception,
                                                 SerializationExceptionOrigin origin) {
            if (registryUnavailable(exception, "production", record.topic(), -1, -1)) {
                return Response.fail();
            }
            byte[] key = record.key() instanceof String s ? s.getBytes(StandardCharsets.UTF_8)
                    : record.key() instanceof byte[] b ? b : null;
            return Response.resume(deadLetter("production", record.topic(), -1, -1, key, null, exception));
        }
    }
}
