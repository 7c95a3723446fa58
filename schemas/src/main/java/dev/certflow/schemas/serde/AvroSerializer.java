package dev.certflow.schemas.serde;

import dev.certflow.schemas.registry.SchemaRegistryClient;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericDatumWriter;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DatumWriter;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Serializer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Serializes Avro records (specific or generic) in the Confluent wire format, registering the
 * writer schema under {@code <topic>-key} / {@code <topic>-value}. Configured like Confluent's
 * {@code KafkaAvroSerializer} ({@code schema.registry.url}, {@code auto.register.schemas}).
 */
public class AvroSerializer<T extends GenericContainer> implements Serializer<T> {
    static {
        TrustedPackages.trustCertflowEvents();
    }

    private SchemaRegistryClient registry;
    private boolean isKey;
    private boolean autoRegister = true;
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();

    private record SubjectSchema(String subject, Schema schema) {
    }

    // written before lastKey, read after it: a reader that sees the key sees its id
    private volatile int lastId;
    private volatile SubjectSchema lastKey;

    /** For Kafka's reflective construction; {@link #configure} must follow. */
    public AvroSerializer() {
    }

    public AvroSerializer(SchemaRegistryClient registry) {
        this.registry = registry;
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        this.isKey = isKey;
        if (registry == null) {
            registry = SchemaRegistryClients.fromConfig(configs);
        }
        Object auto = configs.get(AvroSerdeConfig.AUTO_REGISTER_SCHEMAS);
        if (auto != null) {
            autoRegister = Boolean.parseBoolean(auto.toString());
        }
    }

    @Override
    public byte[] serialize(String topic, T data) {
        if (data == null) {
            return null;
        }
        if (registry == null) {
            throw new SerializationException("AvroSerializer for topic " + topic + " is not configured: set schema.registry.url");
        }
        Schema schema = data.getSchema();
        String subject = AvroSerdeConfig.subject(topic, isKey);
        int id;
        try {
            id = schemaId(subject, schema);
        } catch (SchemaRegistryException e) {
            throw new SerializationException("topic " + topic + ": cannot get a schema id for subject " + subject + " ("
                    + schema.getFullName() + "): " + e.getMessage(), e);
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(256);
        out.write(WireFormat.MAGIC_BYTE);
        out.writeBytes(ByteBuffer.allocate(4).putInt(id).array());
        try {
            BinaryEncoder encoder = EncoderFactory.get().directBinaryEncoder(out, null);
            writers.computeIfAbsent(schema, AvroSerializer::writerFor).write(data, encoder);
            encoder.flush();
        } catch (IOException | RuntimeException e) {
            throw new SerializationException("topic " + topic + ": cannot write " + schema.getFullName() + " as Avro: " + e.getMessage(), e);
        }
        return out.toByteArray();
    }

    /** The id for (subject, schema); the last one is remembered by identity, so the hot path hashes nothing. */
    private int schemaId(String subject, Schema schema) {
        SubjectSchema last = lastKey;
        if (last != null && last.schema() == schema && last.subject().equals(subject)) {
            return lastId;
        }
        SubjectSchema key = new SubjectSchema(subject, schema);
        int id = ids.computeIfAbsent(key, k -> autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema));
        lastId = id;
        lastKey = key;
        return id;
    }

    @SuppressWarnings("unchecked")
    private static DatumWriter<Object> writerFor(Schema schema) {
        Class<?> specific = SpecificData.get().getClass(schema);
        if (specific != null && SpecificRecord.class.isAssignableFrom(specific)) {
            return (DatumWriter<Object>) (DatumWriter<?>) new SpecificDatumWriter<>(schema);
        }
        return new GenericDatumWriter<>(schema);
    }
}
