package dev.certflow.bench.suite;

import dev.certflow.events.Certificate;
import dev.certflow.schemas.Topics;
import org.apache.avro.io.BinaryDecoder;
import org.apache.avro.io.BinaryEncoder;
import org.apache.avro.io.DecoderFactory;
import org.apache.avro.io.EncoderFactory;
import org.apache.avro.specific.SpecificDatumReader;
import org.apache.avro.specific.SpecificDatumWriter;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * R1 under JMH: certflow's serde (Confluent wire format, registry id lookup, per-call encoder)
 * against plain Avro {@link SpecificDatumWriter} / {@link SpecificDatumReader} with a reused
 * encoder / decoder, on the corpus' certificate records (1,000 of them, cycled).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class SerdeBench {
    private static final String TOPIC = "bench.certificates";

    private Certificate[] records;
    private byte[][] wire;
    private byte[][] plain;
    private Serializer<Certificate> ours;
    private Deserializer<Certificate> oursReader;
    private SpecificDatumWriter<Certificate> writer;
    private SpecificDatumReader<Certificate> reader;
    private final ByteArrayOutputStream out = new ByteArrayOutputStream(512);
    private BinaryEncoder encoder;
    private BinaryDecoder decoder;
    private int next;

    @Setup
    public void setup() throws IOException {
        List<Certificate> corpus = Corpus.of(1000).certificates();
        var topic = new Topics("bench.", Map.of("schema.registry.url", "mock://serde-bench")).certificates();
        ours = topic.valueSerde().serializer();
        oursReader = topic.valueSerde().deserializer();
        writer = new SpecificDatumWriter<>(Certificate.class);
        reader = new SpecificDatumReader<>(Certificate.class);
        records = corpus.toArray(new Certificate[0]);
        wire = new byte[records.length][];
        plain = new byte[records.length][];
        for (int i = 0; i < records.length; i++) {
            wire[i] = ours.serialize(TOPIC, records[i]);
            plain[i] = plainWrite(records[i]);
        }
    }

    private byte[] plainWrite(Certificate c) throws IOException {
        out.reset();
        encoder = EncoderFactory.get().binaryEncoder(out, encoder);
        writer.write(c, encoder);
        encoder.flush();
        return out.toByteArray();
    }

    private int next() {
        int i = next;
        next = i + 1 == records.length ? 0 : i + 1;
        return i;
    }

    @Benchmark
    public byte[] oursWrite() {
        return ours.serialize(TOPIC, records[next()]);
    }

    @Benchmark
    public byte[] plainWrite() throws IOException {
        return plainWrite(records[next()]);
    }

    @Benchmark
    public Certificate oursRead() {
        return oursReader.deserialize(TOPIC, wire[next()]);
    }

    @Benchmark
    public Certificate plainRead() throws IOException {
        byte[] b = plain[next()];
        decoder = DecoderFactory.get().binaryDecoder(b, 0, b.length, decoder);
        return reader.read(null, decoder);
    }
}
