package dev.certflow.runtime.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
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
        public Secret token;
    }

    /** A polymorphic section shaped like ingest's sources. */
    @JsonTypeInfo(use = JsonTypeInfo.Id.NAME, include = JsonTypeInfo.As.PROPERTY, property = "kind")
    @JsonSubTypes({@JsonSubTypes.Type(value = Http.class, name = "http"), @JsonSubTypes.Type(value = Ftp.class, name = "ftp")})
    public abstract static class Endpoint {
        public String name;
        public Secret token;
    }

    public static class Http extends Endpoint {
        public ZoneId zone = ZoneId.of("UTC");
    }

    public static class Ftp extends Endpoint {
        public int port = 21;
    }

    public static class Endpoints {
        public List<Endpoint> endpoints = new ArrayList<>();
        public Duration timeout = Duration.ofSeconds(5);
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
    void certflowVariablesWithoutALevelSeparatorAreNotConfiguration() {
        // logback.xml reads CERTFLOW_LOG_LEVEL; it must not fail every command as an unknown section
        ConfigTree tree = ConfigLoader.load(null, Map.of("CERTFLOW_LOG_LEVEL", "DEBUG", "CERTFLOW_TEST_DOCKER", "false",
                "CERTFLOW_KAFKA__TOPIC_PREFIX", "p-"), List.of());
        tree.requireOnlySections(java.util.Set.of("kafka"));
        assertThat(tree.bind("kafka", KafkaSettings.class).topicPrefix).isEqualTo("p-");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CERTFLOW_LOGGING__LEVEL", "DEBUG"), List.of()).requireOnlySections(java.util.Set.of("kafka")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("CERTFLOW_LOGGING__LEVEL");
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
        assertThat(printed).doesNotContain(canary).contains("\"${SAMPLE_TOKEN}\"").contains("\"file:" + secretFile + "\"");
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

    @Test
    void literalSecretsAreRefusedInEveryLayerNamingTheKeyButNotTheValue() throws IOException {
        String canary = "CANARY-inline-4e1d";
        Path file = yaml("sample:\n  name: x\n  token: " + canary + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'sample.token' (from file " + file + ")")
                .hasMessageContaining("inline").hasMessageContaining("${ENV_VAR}").hasMessageContaining("file:/path")
                .message().doesNotContain(canary);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("sample.name=x", "sample.token=" + canary)).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sample.token' (from flag --set sample.token)")
                .message().doesNotContain(canary);
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CERTFLOW_SAMPLE__NAME", "x", "CERTFLOW_SAMPLE__TOKEN", canary), List.of())
                .bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("'sample.token' (from environment variable CERTFLOW_SAMPLE__TOKEN)")
                .message().doesNotContain(canary);
        // the environment layer may carry a reference like every other layer
        Sample fromEnv = ConfigLoader.load(null, Map.of("CERTFLOW_SAMPLE__NAME", "x", "CERTFLOW_SAMPLE__TOKEN", "${TOKEN_VAR}", "TOKEN_VAR", canary),
                List.of()).bind("sample", Sample.class);
        assertThat(fromEnv.token.reveal()).isEqualTo(canary);
        assertThat(fromEnv.token.reference()).isEqualTo("${TOKEN_VAR}");
    }

    @Test
    void secretErrorsSpellKeysLikeEveryOtherError() throws IOException {
        Path file = yaml("sample:\n  name: x\n  items:\n    - kind: a\n    - kind: b\n      token: ${NOT_SET_ANYWHERE}\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("secret 'sample.items[1].token' (from file " + file + ") refers to environment variable NOT_SET_ANYWHERE, which is not set");
        Path polymorphic = yaml("endpoints:\n  - kind: ftp\n    name: a\n    token: file:" + dir.resolve("missing.txt") + "\n");
        assertThatThrownBy(() -> ConfigLoader.load(polymorphic, Map.of(), List.of()).bind("", Endpoints.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("secret 'endpoints[0].token' (from file " + polymorphic + ") refers to file " + dir.resolve("missing.txt"));
        // a key set from the environment carries the same spelling
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("CERTFLOW_SAMPLE__NAME", "x", "CERTFLOW_SAMPLE__ITEMS__0__TOKEN", "${NOPE}"), List.of())
                .bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("secret 'sample.items[0].token' (from environment variable CERTFLOW_SAMPLE__ITEMS__0__TOKEN)");
    }

    @Test
    void anUnknownOrMissingKindNamesTheKindKeyTheValueAndTheValidKinds() throws IOException {
        Path file = yaml("endpoints:\n  - kind: http\n    name: a\n  - kind: ftpp\n    name: b\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("", Endpoints.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bad value 'ftpp' for configuration key 'endpoints[1].kind' (from file " + file
                        + "): unknown kind; valid kinds: ftp, http; did you mean ftp?");
        Path missing = yaml("endpoints:\n  - name: a\n");
        assertThatThrownBy(() -> ConfigLoader.load(missing, Map.of(), List.of()).bind("", Endpoints.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("missing required configuration key 'endpoints[0].kind'; valid kinds: ftp, http");
    }

    @Test
    void aZoneThatIsNotAnIanaIdSuggestsTheNearest() throws IOException {
        Path file = yaml("sample:\n  name: x\n  zone: America/NewYork\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bad value 'America/NewYork' for configuration key 'sample.zone' (from file " + file
                        + "): not an IANA time zone id; nearest: America/New_York");
        assertThat(Suggestions.nearestZones("Berlin")).containsExactly("Europe/Berlin");
        assertThat(Suggestions.nearestZones("asia/kolkatta")).containsExactly("Asia/Kolkata");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("sample.name=x", "sample.zone=Mars/Olympus")).bind("sample", Sample.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'Mars/Olympus'").hasMessageContaining("'sample.zone' (from flag --set sample.zone)")
                .hasMessageContaining("not an IANA time zone id (for example");
    }

    @Test
    void printedConfigurationLoadsBackUnchanged() throws IOException {
        Path tokenFile = dir.resolve("ftp-token");
        Files.writeString(tokenFile, "ftp-CANARY\n");
        Path file = yaml("""
                endpoints:
                  - name: web
                    kind: http
                    token: ${HTTP_TOKEN}
                    zone: Asia/Kolkata
                  - kind: ftp
                    name: files
                    token: file:%s
                    port: 2121
                timeout: 30s
                """.formatted(tokenFile));
        Map<String, String> env = Map.of("HTTP_TOKEN", "http-CANARY");
        ConfigTree tree = ConfigLoader.load(file, env, List.of());
        String printed = tree.printMasked(tree.bind("", Endpoints.class));
        assertThat(printed).doesNotContain("CANARY").doesNotContain("!<").contains("kind: \"http\"").contains("\"${HTTP_TOKEN}\"");

        Path again = dir.resolve("printed.yaml");
        Files.writeString(again, printed);
        ConfigTree reloaded = ConfigLoader.load(again, env, List.of());
        Endpoints e = reloaded.bind("", Endpoints.class);
        assertThat(e.endpoints.get(1).token.reveal()).isEqualTo("ftp-CANARY");
        assertThat(((Ftp) e.endpoints.get(1)).port).isEqualTo(2121);
        assertThat(reloaded.printMasked(e)).isEqualTo(printed);
    }

    @Test
    void kafkaPropertiesCertflowReliesOnAreRefusedNamingKeyOriginAndWhy() throws IOException {
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of("KAFKA_ISOLATION_LEVEL", "read_uncommitted"), List.of()).bind("kafka", KafkaSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("configuration key 'kafka.properties.isolation.level' (from environment variable KAFKA_ISOLATION_LEVEL) "
                        + "may not be set (value 'read_uncommitted'): certflow sets isolation.level itself: ")
                .hasMessageContaining("read_committed");
        Path file = yaml("kafka:\n  properties:\n    enable.auto.commit: \"true\"\n");
        assertThatThrownBy(() -> ConfigLoader.load(file, Map.of(), List.of()).bind("kafka", KafkaSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.enable.auto.commit' (from file " + file + ")");
        for (String key : List.of("enable.idempotence", "transactional.id", "acks", "group.id", "processing.guarantee", "application.id",
                "compression.type", "default.deserialization.exception.handler", "deserialization.exception.handler",
                "processing.exception.handler", "production.exception.handler", "default.production.exception.handler",
                "producer.enable.idempotence", "main.consumer.isolation.level")) {
            assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("kafka.properties." + key + "=x")).bind("kafka", KafkaSettings.class))
                    .as(key).isInstanceOf(ConfigException.class)
                    .hasMessageContaining("'kafka.properties." + key + "' (from flag --set kafka.properties." + key + ")");
        }
        // everything else passes through
        KafkaSettings ok = ConfigLoader.load(null, Map.of("KAFKA_SECURITY_PROTOCOL", "SSL"), List.of("kafka.properties.linger.ms=20",
                "kafka.properties.auto.offset.reset=latest")).bind("kafka", KafkaSettings.class);
        assertThat(ok.producer("p")).containsEntry("linger.ms", "20").containsEntry("security.protocol", "SSL");
        assertThat(ok.consumer("g", "c")).containsEntry("auto.offset.reset", "latest");
    }

    @Test
    void settingsBuiltInCodeCannotOverrideTheGuaranteesEither() {
        KafkaSettings kafka = new KafkaSettings();
        kafka.properties.put("enable.idempotence", "false");
        kafka.properties.put("isolation.level", "read_uncommitted");
        kafka.properties.put("group.id", "shared");
        assertThat(kafka.producer("p")).containsEntry("enable.idempotence", "true").containsEntry("acks", "all");
        assertThat(kafka.consumer("g", "c")).containsEntry("isolation.level", "read_committed").containsEntry("group.id", "g")
                .containsEntry("enable.auto.commit", "false");
    }

    @Test
    void everyProducerCompressesWithACodecEveryClientReads() {
        KafkaSettings defaults = ConfigLoader.load(null, Map.of(), List.of()).bind("kafka", KafkaSettings.class);
        assertThat(defaults.compressionType).isEqualTo("gzip");
        assertThat(new ProducerConfig(withSerdes(defaults.producer("p"))).getString(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo("gzip");
        KafkaSettings none = ConfigLoader.load(null, Map.of("CERTFLOW_KAFKA__COMPRESSION_TYPE", "none"), List.of()).bind("kafka", KafkaSettings.class);
        assertThat(new ProducerConfig(withSerdes(none.producer("p"))).getString(ProducerConfig.COMPRESSION_TYPE_CONFIG)).isEqualTo("none");
        assertThat(new ConsumerConfig(withSerdes(none.consumer("g", "c"))).getString(ConsumerConfig.ISOLATION_LEVEL_CONFIG))
                .isEqualTo("read_committed");
        assertThatThrownBy(() -> ConfigLoader.load(null, Map.of(), List.of("kafka.compressionType=brotli")).bind("kafka", KafkaSettings.class))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("bad value 'brotli' for configuration key 'kafka.compressionType' (from flag --set kafka.compressionType): "
                        + "must be one of none, gzip, snappy, lz4, zstd");
    }

    /** The client settings plus the serdes certflow passes as objects, so Kafka's own config class can read them. */
    private static Map<String, Object> withSerdes(Map<String, Object> props) {
        Map<String, Object> p = new java.util.HashMap<>(props);
        p.put("key.serializer", org.apache.kafka.common.serialization.StringSerializer.class);
        p.put("value.serializer", org.apache.kafka.common.serialization.StringSerializer.class);
        p.put("key.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class);
        p.put("value.deserializer", org.apache.kafka.common.serialization.StringDeserializer.class);
        return p;
    }
}
