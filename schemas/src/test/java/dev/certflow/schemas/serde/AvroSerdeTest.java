package dev.certflow.schemas.serde;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericContainer;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AvroSerdeTest {
    private String scope;
    private Map<String, String> config;

    @BeforeEach
    void freshRegistry() {
        scope = "serde-" + UUID.randomUUID();
        config = Map.of(SchemaRegistryClients.URL, "mock://" + scope);
    }

    @AfterEach
    void dropRegistry() {
        MockSchemaRegistry.dropScope(scope);
    }

    @Test
    void bytesAreTheConfluentWireFormat() {
        var serde = AvroSerde.of(CertificateKey.class, config, false);
        byte[] bytes = serde.serializer().serialize("keys", CertificateKeys.of(SourceKind.YEASTAR, "pbx", null, "3"));
        // magic 0, schema id 1 big-endian, then Avro: enum index 2 -> zigzag 04, "pbx" -> 06 70 62 78,
        // null branch of the union -> 00, "3" -> 02 33
        assertThat(HexFormat.of().formatHex(bytes)).isEqualTo("00" + "00000001" + "04" + "06706278" + "00" + "0233");

        byte[] withTenant = serde.serializer().serialize("keys", CertificateKeys.of(SourceKind.LEEGALITY, "e", "t", "x"));
        // same schema, same id; enum index 0 -> 00, "e" -> 02 65, union branch 1 -> 02, "t" -> 02 74, "x" -> 02 78
        assertThat(HexFormat.of().formatHex(withTenant)).isEqualTo("00" + "00000001" + "00" + "0265" + "02" + "0274" + "0278");
    }

    @Test
    void registersUnderTopicNameStrategySubjects() {
        AvroSerializer<CertificateKey> keySer = new AvroSerializer<>();
        keySer.configure(config, true);
        keySer.serialize("certificates", CertificateKeys.of(SourceKind.SMOXY, "s", "o", "1"));
        var valueSerde = AvroSerde.of(CertificateKey.class, config, false);
        valueSerde.serializer().serialize("certificates", CertificateKeys.of(SourceKind.SMOXY, "s", "o", "1"));
        assertThat(MockSchemaRegistry.scope(scope).subjects()).containsExactly("certificates-key", "certificates-value");
    }

    @Test
    void roundTripsASpecificRecord() {
        var serde = AvroSerde.of(Certificate.class, config, false);
        Certificate cert = Certificate.newBuilder()
                .setKey(CertificateKeys.of(SourceKind.SMOXY, "acme", "org-1", "c1"))
                .setSans(List.of("a.example", "b.example"))
                .setNotAfter(Instant.parse("2026-12-31T23:59:59Z"))
                .setExpiryStatus(ExpiryStatus.KNOWN)
                .setAttributes(Map.of("status", "active"))
                .setObservedAt(Instant.parse("2026-11-22T00:00:00Z"))
                .build();
        byte[] bytes = serde.serializer().serialize("certificates", cert);
        assertThat(serde.deserializer().deserialize("certificates", bytes)).isEqualTo(cert);
    }

    @Test
    void nullIsATombstoneBothWays() {
        var serde = AvroSerde.of(Certificate.class, config, false);
        assertThat(serde.serializer().serialize("certificates", null)).isNull();
        assertThat(serde.deserializer().deserialize("certificates", null)).isNull();
    }

    @Test
    void unknownSchemaIdIsAClearSerializationException() {
        var serde = AvroSerde.of(CertificateKey.class, config, false);
        byte[] bytes = HexFormat.of().parseHex("00" + "0000002a" + "04" + "06706278" + "00" + "0233");
        assertThatThrownBy(() -> serde.deserializer().deserialize("certificates", bytes))
                .isInstanceOf(SerializationException.class)
                .hasMessageContaining("topic certificates")
                .hasMessageContaining("schema id 42");
    }

    @Test
    void wrongMagicByteAndShortRecordsAreRejected() {
        var serde = AvroSerde.of(CertificateKey.class, config, false);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[]{1, 0, 0, 0, 1, 4}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("magic byte 0x01");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", new byte[]{0, 0}))
                .isInstanceOf(SerializationException.class).hasMessageContaining("too short");
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", "{\"json\":true}".getBytes()))
                .isInstanceOf(SerializationException.class);
    }

    @Test
    void corruptPayloadIsAClearSerializationException() {
        var serde = AvroSerde.of(CertificateKey.class, config, false);
        byte[] good = serde.serializer().serialize("t", CertificateKeys.of(SourceKind.YEASTAR, "pbx", null, "3"));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 2);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", truncated))
                .isInstanceOf(SerializationException.class).hasMessageContaining("corrupt Avro payload for schema id 1");
        byte[] trailing = java.util.Arrays.copyOf(good, good.length + 3);
        assertThatThrownBy(() -> serde.deserializer().deserialize("t", trailing))
                .isInstanceOf(SerializationException.class).hasMessageContaining("trailing bytes");
    }

    @Test
    void recordWrittenWithAnOlderSchemaIsReadByTheNewClass() throws IOException {
        Schema old;
        try (InputStream in = getClass().getResourceAsStream("/evolution/Certificate-v0.avsc")) {
            old = new Schema.Parser().parse(in);
        }
        GenericRecord key = new GenericData.Record(old.getField("key").schema());
        key.put("sourceKind", new GenericData.EnumSymbol(old.getField("key").schema().getField("sourceKind").schema(), "YEASTAR"));
        key.put("sourceName", "pbx-berlin");
        key.put("tenant", "pbx-berlin");
        key.put("sourceId", "3");
        GenericRecord written = new GenericData.Record(old);
        written.put("key", key);
        written.put("name", "docs.example.com.pem");
        written.put("notAfter", Instant.parse("2027-01-01T00:00:00Z").toEpochMilli());
        written.put("observedAt", Instant.parse("2026-11-22T00:00:00Z").toEpochMilli());

        AvroSerializer<GenericRecord> oldWriter = new AvroSerializer<>();
        oldWriter.configure(config, false);
        byte[] bytes = oldWriter.serialize("certificates", written);

        Certificate read = AvroSerde.of(Certificate.class, config, false).deserializer().deserialize("certificates", bytes);
        assertThat(read.getName()).isEqualTo("docs.example.com.pem");
        assertThat(read.getNotAfter()).isEqualTo(Instant.parse("2027-01-01T00:00:00Z"));
        assertThat(read.getKey().getSourceName()).isEqualTo("pbx-berlin");
        // fields the old writer did not have take their defaults
        assertThat(read.getSans()).isEmpty();
        assertThat(read.getExpiryStatus()).isEqualTo(ExpiryStatus.MISSING);
        assertThat(read.getAttributes()).isEmpty();
    }

    @Test
    void genericConsumerReadsWithTheWriterSchemaOnly() {
        var serde = AvroSerde.of(CertificateKey.class, config, false);
        byte[] bytes = serde.serializer().serialize("t", CertificateKeys.of(SourceKind.SMOXY, "s", "org", "7"));
        var generic = AvroDeserializer.generic(MockSchemaRegistry.scope(scope));
        GenericRecord read = generic.deserialize("t", bytes);
        assertThat(read.get("sourceId").toString()).isEqualTo("7");
        assertThat(read.get("sourceKind").toString()).isEqualTo("SMOXY");
    }

    private static Certificate certificate(String id, Map<String, String> attributes) {
        return Certificate.newBuilder()
                .setKey(CertificateKeys.of(SourceKind.SMOXY, "acme", "org-1", id))
                .setCommonName(id + ".example")
                .setAttributes(attributes)
                .setObservedAt(Instant.parse("2026-11-22T00:00:00Z"))
                .build();
    }

    @Test
    void oneSerializerSharedByThreadsWritesEachRecordWithItsOwnSchemaId() throws Exception {
        // producer threads share one serializer; records of two schemas on two topics must never swap ids
        AvroSerializer<GenericContainer> shared = new AvroSerializer<>();
        shared.configure(config, false);
        List<GenericContainer> records = List.of(CertificateKeys.of(SourceKind.YEASTAR, "pbx", null, "3"), certificate("c1", Map.of("a", "b")));
        AvroSerializer<GenericContainer> single = new AvroSerializer<>();
        single.configure(config, false);
        List<String> topics = List.of("keys", "certificates");
        List<byte[]> expected = List.of(single.serialize(topics.get(0), records.get(0)), single.serialize(topics.get(1), records.get(1)));
        assertThat(expected.get(0)[4]).isNotEqualTo(expected.get(1)[4]);

        int threads = 4;
        var pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<Integer>> wrong = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int offset = t;
                wrong.add(pool.submit(() -> {
                    int mismatches = 0;
                    for (int i = 0; i < 50_000; i++) {
                        int which = (i + offset) % 2;
                        if (!Arrays.equals(shared.serialize(topics.get(which), records.get(which)), expected.get(which))) {
                            mismatches++;
                        }
                    }
                    return mismatches;
                }));
            }
            for (Future<Integer> f : wrong) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isZero();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aLargeRecordLeavesNothingBehindForTheNext() {
        var serde = AvroSerde.of(Certificate.class, config, false);
        Certificate small = certificate("s", Map.of("k", "v"));
        byte[] expected = serde.serializer().serialize("certificates", small);
        Certificate large = certificate("l", Map.of("blob", "x".repeat(AvroSerializer.RETAINED_BUFFER_LIMIT + 10)));
        byte[] big = serde.serializer().serialize("certificates", large);

        assertThat(serde.deserializer().deserialize("certificates", big)).isEqualTo(large);
        assertThat(serde.serializer().serialize("certificates", small)).isEqualTo(expected);
    }

    @Test
    void aRecordThatFailsHalfWayLeavesNothingBehindForTheNext() {
        AvroSerializer<GenericContainer> serializer = new AvroSerializer<>();
        serializer.configure(config, false);
        GenericContainer good = CertificateKeys.of(SourceKind.YEASTAR, "pbx", null, "3");
        byte[] expected = serializer.serialize("t", good);
        GenericRecord broken = new GenericData.Record(good.getSchema());
        broken.put("sourceKind", new GenericData.EnumSymbol(good.getSchema().getField("sourceKind").schema(), "YEASTAR"));
        broken.put("sourceName", "written before the failure");
        // sourceId (a non-null string) left null: the writer fails after two fields

        assertThatThrownBy(() -> serializer.serialize("t", broken))
                .isInstanceOf(SerializationException.class).hasMessageContaining("topic t");
        assertThat(serializer.serialize("t", good)).isEqualTo(expected);
    }
}
