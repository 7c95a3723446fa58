package dev.certflow.schemas;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.CertificateName;
import dev.certflow.events.CertificateNameMatch;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.IngestCheckpoint;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.Silence;
import dev.certflow.events.SilenceMatcher;
import dev.certflow.events.SourceStatus;
import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;
import org.apache.avro.SchemaNormalization;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every released version of every contract is kept under {@code schema-history/<Record>/vN.avsc}.
 * The current schema must read data written by each of them (BACKWARD, checked by Avro's own
 * SchemaCompatibility), and the newest file must be the current schema, so a change to a contract
 * cannot ship without its history entry.
 */
class SchemaHistoryTest {
    static final Path HISTORY = Path.of("src/test/resources/schema-history");

    static Stream<Schema> contracts() {
        return Stream.of(CertificateKey.SCHEMA$, Certificate.SCHEMA$, RenewalAttempt.SCHEMA$, ExpiringCertificate.SCHEMA$,
                FailedRenewal.SCHEMA$, Alert.SCHEMA$, SourceStatus.SCHEMA$, IngestCheckpoint.SCHEMA$,
                CertificateName.SCHEMA$, CertificateNameMatch.SCHEMA$, CertificateRenewal.SCHEMA$,
                Silence.SCHEMA$, SilenceMatcher.SCHEMA$, Acknowledgement.SCHEMA$);
    }

    @ParameterizedTest
    @MethodSource("contracts")
    void currentSchemaReadsEveryReleasedVersion(Schema current) throws IOException {
        List<Path> versions = versions(current);
        assertThat(versions).as("released versions of " + current.getName()).isNotEmpty();
        for (Path version : versions) {
            Schema old = new Schema.Parser().parse(version.toFile());
            var result = SchemaCompatibility.checkReaderWriterCompatibility(current, old);
            assertThat(result.getType())
                    .as(current.getName() + " reading data written with " + version + ": " + result.getDescription())
                    .isEqualTo(SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE);
        }
    }

    @ParameterizedTest
    @MethodSource("contracts")
    void newestReleasedVersionIsTheCurrentSchema(Schema current) throws IOException {
        List<Path> versions = versions(current);
        Schema newest = new Schema.Parser().parse(versions.get(versions.size() - 1).toFile());
        assertThat(SchemaNormalization.toParsingForm(newest))
                .as("add schema-history/" + current.getName() + "/v" + (versions.size() + 1) + ".avsc for the changed contract")
                .isEqualTo(SchemaNormalization.toParsingForm(current));
        for (Schema.Field field : newest.getFields()) {
            Schema.Field now = current.getField(field.name());
            assertThat(now).as(current.getName() + "." + field.name() + " removed").isNotNull();
            assertThat(String.valueOf(now.defaultVal())).as("default of " + current.getName() + "." + field.name())
                    .isEqualTo(String.valueOf(field.defaultVal()));
        }
    }

    private static List<Path> versions(Schema schema) throws IOException {
        Path dir = HISTORY.resolve(schema.getName());
        if (!Files.isDirectory(dir)) {
            return List.of();
        }
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(p -> p.getFileName().toString().matches("v\\d+\\.avsc"))
                    .sorted((a, b) -> Integer.compare(number(a), number(b)))
                    .toList();
        }
    }

    private static int number(Path p) {
        String n = p.getFileName().toString();
        return Integer.parseInt(n.substring(1, n.length() - ".avsc".length()));
    }
}
