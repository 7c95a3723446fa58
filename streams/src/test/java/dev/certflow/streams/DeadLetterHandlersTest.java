package dev.certflow.streams;

import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.DeserializationExceptionHandler;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The deserialization handler dead-letters bad records, never valid ones it could not decode for want of the registry. */
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
}
