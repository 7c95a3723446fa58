package dev.certflow.schemas.serde;

import dev.certflow.schemas.registry.SchemaRegistryClient;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericDatumReader;
import org.apache.avro.generic.GenericRecord;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.DatumReader;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.specific.SpecificData;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.common.serialization.Deserializer;

import java.nio.ByteBuffer;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the Confluent wire format. With a target class, it resolves the writer schema (by id,
 * from the registry) against the class's schema, so records written by an older schema are read
 * by the new class; with none, it returns {@link GenericRecord}s in the writer's schema, as any
 * other team's consumer would. Unknown ids and corrupt bytes raise {@link SerializationException}.
 */
public class AvroDeserializer<T> implements Deserializer<T> {
    static {
        TrustedPackages.trustCertflowEvents();
    }

    private SchemaRegistryClient registry;
    private final Schema readerSchema;
    private final Map<Integer, DatumReader<Object>> readers = new ConcurrentHashMap<>();
    private RegistryRetry retry = RegistryRetry.none();

    /** A generic deserializer (for Kafka's reflective construction too); {@link #configure} must follow. */
    public AvroDeserializer() {
        this(null, null);
    }

    /** Reads into {@code type}, or into generic records when {@code type} is null. */
    public AvroDeserializer(SchemaRegistryClient registry, Class<? extends SpecificRecord> type) {
        this.registry = registry;
        this.readerSchema = type == null ? null : SpecificData.get().getSchema(type);
    }

    /** A deserializer returning {@link GenericRecord}s, knowing nothing but the registry. */
    public static AvroDeserializer<GenericRecord> generic(SchemaRegistryClient registry) {
        return new AvroDeserializer<>(registry, null);
    }

    @Override
    public void configure(Map<String, ?> configs, boolean isKey) {
        if (registry == null) {
            registry = SchemaRegistryClients.fromConfig(configs);
        }
        retry = RegistryRetry.fromConfig(configs);
    }

    @Override
    @SuppressWarnings("unchecked")
    public T deserialize(String topic, byte[] data) {
        if (data == null) {
            return null;
        }
        ByteBuffer buffer = ByteBuffer.wrap(data);
        int id = WireFormat.readSchemaId(topic, buffer);
        DatumReader<Object> reader;
        try {
            // built outside the map: waiting for a registry (RegistryRetry) must not hold the map's lock for other threads
            reader = readers.get(id);
            if (reader == null) {
                DatumReader<Object> built = readerFor(id);
                DatumReader<Object> first = readers.putIfAbsent(id, built);
                reader = first != null ? first : built;
            }
        } catch (SchemaRegistryException e) {
            throw new SerializationException("topic " + topic + ": schema id " + id + " cannot be resolved: " + e.getMessage(), e);
        }
        try {
            BinaryDecoder decoder = DecoderFactory.get().binaryDecoder(data, buffer.position(), buffer.remaining(), null);
            Object value = reader.read(null, decoder);
            if (!decoder.isEnd()) {
                throw new SerializationException("topic " + topic + ": " + decoder.inputStream().available()
                        + " trailing bytes after the Avro record with schema id " + id);
            }
            return (T) value;
        } catch (SerializationException e) {
            throw e;
        } catch (Exception e) {
            throw new SerializationException("topic " + topic + ": corrupt Avro payload for schema id " + id
                    + " (" + data.length + " bytes): " + e, e);
        }
    }

    private DatumReader<Object> readerFor(int id) {
        Schema writer = retry.call(() -> registry.getById(id));
        if (readerSchema == null) {
            return new GenericDatumReader<>(writer);
        }
        return new SpecificDatumReader<>(writer, readerSchema);
    }
}
