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

import java.io.IOException;
import java.io.OutputStream;
import java.util.Arrays;
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

    /** Buffers kept per thread are dropped after a record larger than this, so one huge record does not pin memory. */
    static final int RETAINED_BUFFER_LIMIT = 1 << 20;

    private SchemaRegistryClient registry;
    private boolean isKey;
    private boolean autoRegister = true;
    private RegistryRetry retry = RegistryRetry.none();
    private final Map<Schema, DatumWriter<Object>> writers = new ConcurrentHashMap<>();
    private final Map<SubjectSchema, Integer> ids = new ConcurrentHashMap<>();
    // one serializer is shared by every thread of a producer or a Streams instance: each thread writes
    // through its own reused buffer and encoder, and remembers its own last (topic, schema) -> id, writer
    private final ThreadLocal<Scratch> scratch = ThreadLocal.withInitial(Scratch::new);

    private record SubjectSchema(String subject, Schema schema) {
    }

    /** A thread's reusable output buffer and encoder, and the last schema it wrote. */
    private static final class Scratch extends OutputStream {
        byte[] buf = new byte[256];
        int count;
        BinaryEncoder encoder;
        boolean busy;
        String lastTopic;
        Schema lastSchema;
        int lastId;
        DatumWriter<Object> lastWriter;

        @Override
        public void write(int b) {
            ensure(1);
            buf[count++] = (byte) b;
        }

        @Override
        public void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, buf, count, len);
            count += len;
        }

        private void ensure(int more) {
            if (count + more > buf.length) {
                buf = Arrays.copyOf(buf, Math.max(buf.length * 2, count + more));
            }
        }
    }

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
        retry = RegistryRetry.fromConfig(configs);
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
        Scratch s = scratch.get();
        if (s.busy) {
            s = new Scratch(); // re-entered on this thread (a writer serializing with this serializer): do not share the buffer
        }
        Schema schema = data.getSchema();
        if (s.lastSchema != schema || !topic.equals(s.lastTopic)) {
            remember(s, topic, schema);
        }
        s.busy = true;
        try {
            s.count = 0;
            s.write(WireFormat.MAGIC_BYTE);
            int id = s.lastId;
            s.write(id >>> 24);
            s.write(id >>> 16);
            s.write(id >>> 8);
            s.write(id);
            s.encoder = EncoderFactory.get().binaryEncoder(s, s.encoder);
            s.lastWriter.write(data, s.encoder);
            s.encoder.flush();
            return Arrays.copyOf(s.buf, s.count);
        } catch (IOException | RuntimeException e) {
            s.encoder = null; // may hold half a record
            throw new SerializationException("topic " + topic + ": cannot write " + schema.getFullName() + " as Avro: " + e.getMessage(), e);
        } finally {
            s.busy = false;
            if (s.buf.length > RETAINED_BUFFER_LIMIT) {
                s.buf = new byte[256];
            }
        }
    }

    /** Looks up (and caches) the id and writer for (topic, schema) into the thread's scratch. */
    private void remember(Scratch s, String topic, Schema schema) {
        String subject = AvroSerdeConfig.subject(topic, isKey);
        int id;
        try {
            SubjectSchema key = new SubjectSchema(subject, schema);
            Integer known = ids.get(key);
            if (known == null) {
                // asked outside the map: waiting for a registry (RegistryRetry) must not hold the map's lock for other threads
                known = retry.call(() -> autoRegister ? registry.register(subject, schema) : registry.lookup(subject, schema));
                Integer first = ids.putIfAbsent(key, known);
                known = first != null ? first : known;
            }
            id = known;
        } catch (SchemaRegistryException e) {
            throw new SerializationException("topic " + topic + ": cannot get a schema id for subject " + subject + " ("
                    + schema.getFullName() + "): " + e.getMessage(), e);
        }
        s.lastWriter = writers.computeIfAbsent(schema, AvroSerializer::writerFor);
        s.lastId = id;
        s.lastSchema = schema;
        s.lastTopic = topic;
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
