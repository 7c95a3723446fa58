package dev.certflow.streams;

import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.apache.kafka.streams.errors.ErrorHandlerContext;
import org.apache.kafka.streams.errors.ProcessingExceptionHandler;
import org.apache.kafka.streams.errors.ProductionExceptionHandler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The handlers dead-letter bad records, never valid ones they could not decode, process or write for want of the registry. */
class DeadLetterHandlersTest {
    private final DeadLetterHandlers.Deserialization handler = new DeadLetterHandlers.Deserialization();
    private final ConsumerRecord<byte[], byte[]> record = new ConsumerRecord<>("certificates", 2, 41L,
            "k".getBytes(StandardCharsets.UTF_8), new byte[]{0, 0, 0, 0, 7, 1});

    DeadLetterHandlersTest() {
        handler.configure(Map.of(DeadLetterHandlers.DLQ_TOPIC, "certflow-dlq", "application.id", "test"));
    }

    @Test
    void aCorruptRecordOrAnUnknownSchemaIdIsDeadLettered() {
        for (Exception e : new Exception[]{new SerializationException("not Avro"),
                new SerializationException("no schema", new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "schema 7 not found"))}) {
            DeserializationExceptionHandler.Response r = handler.handleError(null, record, e);
            assertThat(r.result()).as(e.toString()).isEqualTo(DeserializationExceptionHandler.Result.RESUME);
            assertThat(r.deadLetterQueueRecords()).hasSize(1);
            assertThat(r.deadLetterQueueRecords().get(0).topic()).isEqualTo("certflow-dlq");
        }
    }

    @Test
    void anUnreachableOrFailingRegistryFailsTheTaskAndDeadLettersNothing() {
        for (Exception e : new Exception[]{
                new SerializationException("cannot decode", new SchemaRegistryException("schema registry http://r unreachable for GET /schemas/ids/7",
                        new IOException("connection refused"))),
                new SchemaRegistryException(503, 50003, "registry overloaded")}) {
            DeserializationExceptionHandler.Response r = handler.handleError(null, record, e);
            assertThat(r.result()).as(e.toString()).isEqualTo(DeserializationExceptionHandler.Result.FAIL);
            assertThat(r.deadLetterQueueRecords()).isEmpty();
        }
    }

    /** An ErrorHandlerContext of a record of task 0_2 (or of a punctuation: no source record). */
    private static ErrorHandlerContext context(boolean withSource) {
        return new ErrorHandlerContext() {
            public String topic() { return withSource ? "certificates" : null; }
            public int partition() { return withSource ? 2 : -1; }
            public long offset() { return withSource ? 41L : -1L; }
            public org.apache.kafka.common.header.Headers headers() { return new org.apache.kafka.common.header.internals.RecordHeaders(); }
            public String processorNodeId() { return "certificate-processor"; }
            public org.apache.kafka.streams.processor.TaskId taskId() { return new org.apache.kafka.streams.processor.TaskId(0, 2); }
            public long timestamp() { return 0; }
            public byte[] sourceRawKey() { return withSource ? "k".getBytes(StandardCharsets.UTF_8) : null; }
            public byte[] sourceRawValue() { return withSource ? new byte[]{0, 0, 0, 0, 7, 1} : null; }
        };
    }

    private static final Exception STORE_SERIALIZER_WITHOUT_REGISTRY = new SerializationException("topic x-changelog: cannot get a schema id",
            new SchemaRegistryException("schema registry http://r unreachable for POST /subjects/x/versions", new IOException("timed out")));

    /**
     * Reliability row 5s (seed 1309731845): the broker, and the registry in its process, froze while streams processed
     * its first certificate; a state store's serializer could not get its schema id, and the record was dead-lettered:
     * its alert and view row were lost. Such a record now fails the task and is processed again.
     */
    @Test
    void aSerializerThatCannotReachTheRegistryFailsTheTaskInsteadOfDeadLetteringTheRecord() {
        DeadLetterHandlers.Processing processing = new DeadLetterHandlers.Processing();
        processing.configure(Map.of(DeadLetterHandlers.DLQ_TOPIC, "certflow-dlq", "application.id", "test"));
        for (boolean withSource : new boolean[]{true, false}) {
            ProcessingExceptionHandler.Response r = processing.handleError(context(withSource), null, STORE_SERIALIZER_WITHOUT_REGISTRY);
            assertThat(r.result()).as("source record: %s", withSource).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
            assertThat(r.deadLetterQueueRecords()).isEmpty();
        }
        ProcessingExceptionHandler.Response bad = processing.handleError(context(true), null, new IllegalArgumentException("inconsistent key"));
        assertThat(bad.result()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
        assertThat(bad.deadLetterQueueRecords()).hasSize(1);

        DeadLetterHandlers.Production production = new DeadLetterHandlers.Production();
        production.configure(Map.of(DeadLetterHandlers.DLQ_TOPIC, "certflow-dlq", "application.id", "test"));
        var output = new org.apache.kafka.clients.producer.ProducerRecord<>("certificate-alerts", "alert-1", (Object) "value");
        ProductionExceptionHandler.Response out = production.handleSerializationError(context(true), output, STORE_SERIALIZER_WITHOUT_REGISTRY,
                ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
        assertThat(out.result()).isEqualTo(ProductionExceptionHandler.Result.FAIL);
        assertThat(out.deadLetterQueueRecords()).isEmpty();
        ProductionExceptionHandler.Response unwritable = production.handleSerializationError(context(true), output,
                new SerializationException("not Avro"), ProductionExceptionHandler.SerializationExceptionOrigin.VALUE);
        assertThat(unwritable.result()).isEqualTo(ProductionExceptionHandler.Result.RESUME);
        assertThat(unwritable.deadLetterQueueRecords()).hasSize(1);
    }

    /**
     * Reliability row 4 (seed 4047772007, broker down 60 s): a changelog send timed out, Kafka Streams' record collector
     * reported it at the next record's first write, and the processing handler dead-lettered that valid record.
     */
    @Test
    void aFailureOfTheBrokerOrAStoreFailsTheTaskInsteadOfDeadLetteringTheRecord() {
        DeadLetterHandlers.Processing processing = new DeadLetterHandlers.Processing();
        processing.configure(Map.of(DeadLetterHandlers.DLQ_TOPIC, "certflow-dlq", "application.id", "test"));
        for (Exception e : new Exception[]{
                new org.apache.kafka.streams.errors.StreamsException("Error encountered sending record to topic x-changelog for task 0_2",
                        new org.apache.kafka.common.errors.TimeoutException("Topic x-changelog not present in metadata after 60000 ms.")),
                new org.apache.kafka.common.errors.TimeoutException("Expiring 3 record(s)"),
                new org.apache.kafka.streams.errors.ProcessorStateException("Error while putting key into store certificate-store"),
                new org.apache.kafka.common.errors.ProducerFencedException("fenced")}) {
            ProcessingExceptionHandler.Response r = processing.handleError(context(true), null, e);
            assertThat(r.result()).as(e.toString()).isEqualTo(ProcessingExceptionHandler.Result.FAIL);
            assertThat(r.deadLetterQueueRecords()).isEmpty();
        }
        // what a record can be blamed for is still dead-lettered
        for (Exception e : new Exception[]{new IllegalArgumentException("key does not match"), new NullPointerException("sourceId"),
                new SerializationException("cannot write Certificate", new org.apache.avro.AvroRuntimeException("null of string"))}) {
            ProcessingExceptionHandler.Response r = processing.handleError(context(true), null, e);
            assertThat(r.result()).as(e.toString()).isEqualTo(ProcessingExceptionHandler.Result.RESUME);
            assertThat(r.deadLetterQueueRecords()).hasSize(1);
        }
    }
}
