package dev.certflow.ingest.publish;

import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.common.serialization.Serializer;
import org.junit.jupiter.api.Test;

import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;

import static org.assertj.core.api.Assertions.assertThat;

/** The fingerprint read from the published bytes is the one computed by encoding the certificate again. */
class FingerprintsTest {
    private final Serializer<Certificate> serializer = serializer();

    private static Serializer<Certificate> serializer() {
        KafkaSettings kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://fingerprints-test";
        return kafka.topics().certificates().valueSerde().serializer();
    }

    private static Certificate certificate(Random random, Instant observedAt) {
        Map<String, String> attributes = new TreeMap<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            attributes.put("k" + random.nextInt(100), "v".repeat(random.nextInt(200)));
        }
        return Certificate.newBuilder()
                .setKey(CertificateKeys.of(SourceKind.YEASTAR, "pbx", "pbx", Integer.toString(random.nextInt(1000))))
                .setName(random.nextBoolean() ? null : "name" + random.nextInt())
                .setCommonName("cn" + random.nextInt(10))
                .setSans(random.nextBoolean() ? List.of() : List.of("a.example", "b.example"))
                .setNotAfter(random.nextBoolean() ? null : Instant.ofEpochMilli(random.nextLong() >> 20))
                .setExpiryStatus(ExpiryStatus.KNOWN)
                .setStatus(random.nextBoolean() ? null : "issuance_success")
                .setObservedAt(observedAt)
                .setAttributes(attributes)
                .build();
    }

    @Test
    void fromThePublishedBytesEqualsEncodingAgainForEveryObservedAt() {
        assertThat(Fingerprints.SPLICEABLE).isTrue();
        Fingerprints fingerprints = new Fingerprints();
        Random random = new Random(15);
        Instant[] observed = {Instant.EPOCH, Instant.ofEpochMilli(1), Instant.ofEpochMilli(-1), Instant.ofEpochMilli(63),
                Instant.ofEpochMilli(64), Instant.parse("2026-12-02T04:00:00.123Z"), Instant.parse("1901-01-01T00:00:00Z"),
                Instant.ofEpochMilli(Long.MAX_VALUE), Instant.ofEpochMilli(Long.MIN_VALUE)};
        for (int n = 0; n < 2000; n++) {
            Certificate cert = certificate(random, observed[n % observed.length]);
            byte[] published = serializer.serialize("certificates", cert);
            String expected = fingerprints.of(cert);
            assertThat(fingerprints.of(cert, published, Publisher.WIRE_HEADER)).isEqualTo(expected).hasSize(32);
            assertThat(cert.getObservedAt()).isEqualTo(observed[n % observed.length]);
        }
    }

    @Test
    void observedAtDoesNotChangeItAndContentDoes() {
        Fingerprints fingerprints = new Fingerprints();
        Certificate a = certificate(new Random(1), Instant.parse("2026-12-02T04:00:00Z"));
        Certificate later = Certificate.newBuilder(a).setObservedAt(Instant.parse("2027-01-01T00:00:00Z")).build();
        Certificate changed = Certificate.newBuilder(a).setStatus("issuance_fail").build();
        String fp = fingerprints.of(a, serializer.serialize("certificates", a), Publisher.WIRE_HEADER);
        assertThat(fingerprints.of(later, serializer.serialize("certificates", later), Publisher.WIRE_HEADER)).isEqualTo(fp);
        assertThat(fingerprints.of(changed, serializer.serialize("certificates", changed), Publisher.WIRE_HEADER)).isNotEqualTo(fp);
    }

    @Test
    void bytesThatAreNotThisCertificatesFallBackToEncodingIt() {
        Fingerprints fingerprints = new Fingerprints();
        Random random = new Random(2);
        Certificate cert = certificate(random, Instant.parse("2026-12-02T04:00:00Z"));
        Certificate other = certificate(random, Instant.parse("2025-01-01T00:00:00Z"));
        assertThat(fingerprints.of(cert, serializer.serialize("certificates", other), Publisher.WIRE_HEADER)).isEqualTo(fingerprints.of(cert));
        assertThat(fingerprints.of(cert, new byte[3], Publisher.WIRE_HEADER)).isEqualTo(fingerprints.of(cert));
    }

    /** A restarted ingest reads its certificates back (CheckpointLoader): a decoded map iterates in another order. */
    @Test
    void aCertificateReadBackHasTheFingerprintItWasPublishedWith() {
        Fingerprints fingerprints = new Fingerprints();
        Map<String, String> attributes = new TreeMap<>();
        for (String k : List.of("zeta", "alpha", "mu", "beta", "ca_type", "dns_provider", "apply_tip_code", "auth_info_keys", "san.a.dnsStatus",
                "lastAttemptId", "k1", "k22", "omega", "x")) {
            attributes.put(k, "v-" + k);
        }
        Certificate cert = Certificate.newBuilder(certificate(new Random(3), Instant.parse("2026-12-02T04:00:00Z"))).setAttributes(attributes).build();
        byte[] published = serializer.serialize("certificates", cert);
        String atPublish = fingerprints.of(cert, published, Publisher.WIRE_HEADER);
        KafkaSettings kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://fingerprints-test";
        Certificate back = kafka.topics().certificates().valueSerde().deserializer().deserialize("certificates", published);
        assertThat(List.copyOf(back.getAttributes().keySet())).as("decoded in another order, so the test means something")
                .isNotEqualTo(List.copyOf(attributes.keySet()));
        assertThat(fingerprints.of(back)).as("encoding the decoded map again").isNotEqualTo(atPublish);
        assertThat(fingerprints.of(back, published, Publisher.WIRE_HEADER)).isEqualTo(atPublish);
    }

    @Test
    void varLongsAsAvroWritesThem() {
        for (long v : new long[]{0, 1, -1, 63, -64, 64, -65, 8191, 8192, Long.MAX_VALUE, Long.MIN_VALUE, 1_796_000_000_000L}) {
            java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
            try {
                var encoder = org.apache.avro.io.EncoderFactory.get().binaryEncoder(out, null);
                encoder.writeLong(v);
                encoder.flush();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
            assertThat(Fingerprints.varLongLength(v)).as("%d", v).isEqualTo(out.size());
            assertThat(Fingerprints.readVarLong(out.toByteArray(), 0)).isEqualTo(v);
        }
    }
}
