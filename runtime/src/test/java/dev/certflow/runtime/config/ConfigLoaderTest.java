package dev.certflow.runtime.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class ConfigLoaderTest {
    @TempDir
    Path dir;

    /** A section shaped like the modules' own. */
    public static class Sample implements Validated {
        public String name;
        public int port = 8080;
        public Duration interval = Duration.ofMinutes(5);
        public ZoneId zone = ZoneId.of("UTC");
        public Secret token;
        public List<Item> items = new ArrayList<>();

        @Override
        public void validate(String prefix, ConfigTree tree) {
            if (name == null) {
                throw new ConfigException("missing required configuration key '" + prefix + "name'");
            }
        }
    }

    public static class Item {
        public String kind;
        public String baseUrl;
    }

    private Path yaml(String text) throws IOException {
        Path file = dir.resolve("certflow.yaml");
        Files.writeString(file, text);
        return file;
    }

    @Test
    void layersOverrideInOrderDefaultsFileEnvFlags() throws IOException {
        Path file = yaml("""
                sample:
                  name: from-file
                  port: 1000
                  interval: 30s
                  items:
                    - kind: yeastar
                      baseUrl: http://a
                """);
        ConfigTree tree = ConfigLoader.load(file,
                Map.of("CERTFLOW_SAMPLE__PORT", "2000", "CERTFLOW_SAMPLE__ITEMS__0__BASE_URL", "http://b"),
                List.of("sample.zone=Europe/Berlin", "sample.port=3000"));
        Sample s = tree.bind("sample", Sample.class);
        assertThat(s.name).isEqualTo("from-file");
        assertThat(s.port).isEqualTo(3000);
        assertThat(s.interval).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.zone).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(s.items).singleElement().satisfies(i -> {
            assertThat(i.kind).isEqualTo("yeastar");
            assertThat(i.baseUrl).isEqualTo("http://b");
        });
        assertThat(tree.origin("sample.port")).isEqualTo("flag --set sample.port");
        assertThat(tree.origin("sample.items[0].baseUrl")).isEqualTo("environment variable CERTFLOW_SAMPLE__ITEMS__0__BASE_URL");
    }

    @Test
    void missingSectionTakesDefaultsAndValidationNamesTheKey() {
        ConfigTree tree = ConfigLoader.load(null, Map.of(), List.of());
        assertThatThrownBy(() -> tree.bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class).hasMessage("missing required configuration key 'sample.name'");
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        assertThat(kafka.bootstrapServers).isEqualTo("localhost:9092");
    }

    @Test
    void unknownKeyNamesTheKeyAndWhereItCameFrom() throws IOException {
        Path file = yaml("sample:\n  name: x\n  prot: 1\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("unknown configuration key 'sample.prot'")
                .hasMessageContaining("from file " + file)
                .hasMessageContaining("port");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CERTFLOW_SAMPLE__NAMEE", "x"), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'sample.namee'")
                .hasMessageContaining("environment variable CERTFLOW_SAMPLE__NAMEE");
    }

    @Test
    void unknownSectionIsAnError() throws IOException {
        Path file = yaml("kafak:\n  bootstrapServers: x\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).requireOnlySections(List.of("kafka", "ops")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("unknown configuration section 'kafak'");
    }

    @Test
    void badValuesNameKeyAndValue() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("sample.name=x", "sample.port=eighty")).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'eighty'").hasMessageContaining("'sample.port'").hasMessageContaining("flag --set sample.port");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("sample:\n  name: x\n  interval: soon\n"), Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'soon'").hasMessageContaining("'sample.interval'");
        assertThatThrownBy(() -> ConfigLoader.load(yaml("sample:\n  name: x\n  zone: Mars/Olympus\n"), Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("Mars/Olympus").hasMessageContaining("'sample.zone'");
    }

    @Test
    void keyGivenTwiceInOneLayerIsAnError() throws IOException {
        Path file = yaml("sample:\n  name: a\n  name: b\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("name");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("ops.port=1", "ops.port=2")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'ops.port' is given twice with --set");
        assertThatThrownBy(() -> ConfigLoader.load(null,
                Map.of("KAFKA_SECURITY_PROTOCOL", "SSL", "CERTFLOW_KAFKA__PROPERTIES__SECURITY.PROTOCOL", "SASL_SSL"), List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("given twice in the environment");
    }

    @Test
    void kafkaVariablesPassStraightToTheClients() {
        ConfigTree tree = ConfigLoader.load(null, Map.of(
                "KAFKA_SECURITY_PROTOCOL", "SASL_SSL",
                "KAFKA_SASL_MECHANISM", "PLAIN",
                "KAFKA_HEAP_OPTS", "-Xmx1g",
                "CERTFLOW_KAFKA__BOOTSTRAP_SERVERS", "broker:9092"), List.of());
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        assertThat(kafka.bootstrapServers).isEqualTo("broker:9092");
        assertThat(kafka.properties).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "PLAIN")
                .doesNotContainKey("heap.opts");
        assertThat(kafka.producer("p")).containsEntry("security.protocol", "SASL_SSL")
                .containsEntry("enable.idempotence", "true").containsEntry("acks", "all")
                .containsEntry("bootstrap.servers", "broker:9092");
        assertThat(kafka.consumer("g", "c")).containsEntry("isolation.level", "read_committed");
    }

    @Test
    void secretsResolveFromEnvAndFilesAndNeverPrint() throws IOException {
        String canary = "CANARY-7f3a9b2e-secret";
        Path secretFile = dir.resolve("token.txt");
        Files.writeString(secretFile, canary + "-file\n");
        Path file = yaml("sample:\n  name: x\n  token: ${SAMPLE_TOKEN}\nother:\n  name: y\n  token: file:" + secretFile + "\n");
        ConfigTree tree = ConfigLoader.load(file, Map.of("SAMPLE_TOKEN", canary), List.of());
        Sample s = tree.bind("sample", Sample.class);
        Sample o = tree.bind("other", Sample.class);
        assertThat(s.token.reveal()).isEqualTo(canary);
        assertThat(o.token.reveal()).isEqualTo(canary + "-file");
        assertThat(s.token.toString()).doesNotContain(canary);
        String printed = tree.printMasked(Map.of("sample", s, "other", o));
        assertThat(printed).doesNotContain(canary).contains("${SAMPLE_TOKEN}").contains("******");
        assertThat(SecretRegistry.mask("token=" + canary)).isEqualTo("token=******");
    }

    @Test
    void missingSecretReferenceNamesTheVariableNotAValue() throws IOException {
        Path file = yaml("sample:\n  name: x\n  token: ${NOT_SET_ANYWHERE}\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("NOT_SET_ANYWHERE").hasMessageContaining("sample.token");
    }

    @Test
    void envNamesMapToCamelCasePaths() {
        assertThat(ConfigLoader.envPath("KAFKA__BOOTSTRAP_SERVERS")).isEqualTo("kafka.bootstrapServers");
        assertThat(ConfigLoader.envPath("INGEST__SOURCES__2__POLL_INTERVAL")).isEqualTo("ingest.sources.2.pollInterval");
    }
}
