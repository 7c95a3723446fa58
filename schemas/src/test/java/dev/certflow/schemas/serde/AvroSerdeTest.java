package dev.certflow.schemas.serde;

import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.registry.MockSchemaRegistry;
import dev.certflow.schemas.registry.SchemaRegistryClients;
import org.apache.avro.Schema;
import org.apache.avro.generic.GenericData;
import org.apache.avro.generic.GenericRecord;
import org.apache.kafka.common.errors.SerializationException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.io.InputStream;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;

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
}
