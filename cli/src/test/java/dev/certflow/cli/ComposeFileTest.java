package dev.certflow.cli;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.SourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.sink.SinkConfig;
import dev.certflow.streams.StreamsSettings;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Docker engine runs here, so docker-compose.yml is checked by reading it: every certflow
 * service's command parses as a real certflow command line, every mounted file exists, the
 * configuration each service would load (file plus the environment compose gives it) binds without
 * an unknown key, and the Kafka, registry, database and simulator addresses agree with the services
 * that provide them. The same checks run on {@code docker-compose.yml} alone (Confluent's registry)
 * and with {@code docker-compose.apicurio.yml} over it (Apicurio's), merged as compose merges files.
 */
class ComposeFileTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern DEFAULTED = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}");
    private static final String APICURIO_OVERRIDE = "docker-compose.apicurio.yml";
    private static final Map<String, Map<String, Map<String, Object>>> VARIANTS = new LinkedHashMap<>();
    private Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws IOException {
        Map<String, Object> base = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        Map<String, Object> apicurio = new Yaml().load(Files.readString(ROOT.resolve(APICURIO_OVERRIDE)));
        VARIANTS.put("docker-compose.yml", (Map<String, Map<String, Object>>) base.get("services"));
        VARIANTS.put("docker-compose.yml + " + APICURIO_OVERRIDE, (Map<String, Map<String, Object>>) merge(base, apicurio).get("services"));
        VARIANTS.values().forEach(services -> assertThat(services)
                .containsOnlyKeys("kafka", "schema-registry", "postgres", "simulator", "ingest", "streams-1", "streams-2", "sink"));
    }

    static Stream<String> variants() {
        return Stream.of("docker-compose.yml", "docker-compose.yml + " + APICURIO_OVERRIDE);
    }

    private void use(String variant) {
        services = VARIANTS.get(variant);
    }

    /**
     * Compose's merge of a later file over an earlier one: mappings merge key by key, ports and
     * volumes add up, any other value (a command, a health check's test) is replaced.
     */
    @SuppressWarnings("unchecked")
    static Map<String, Object> merge(Map<String, Object> base, Map<String, Object> override) {
        Map<String, Object> out = new LinkedHashMap<>(base);
        override.forEach((key, value) -> {
            Object earlier = out.get(key);
            if (earlier instanceof Map<?, ?> e && value instanceof Map<?, ?> v) {
                out.put(key, merge((Map<String, Object>) e, (Map<String, Object>) v));
            } else if (earlier instanceof List<?> e && value instanceof List<?> v && (key.equals("ports") || key.equals("volumes"))) {
                List<Object> both = new ArrayList<>(e);
                v.stream().filter(x -> !both.contains(x)).forEach(both::add);
                out.put(key, both);
            } else {
                out.put(key, value);
            }
        });
        return out;
    }

    @Test
    void theApicurioOverrideReplacesTheRegistryAndPointsEveryCertflowServiceAtItsConfluentApi() {
        use("docker-compose.yml + " + APICURIO_OVERRIDE);
        assertThat(services.get("schema-registry").get("image")).isEqualTo("apicurio/apicurio-registry:3.0.9");
        Map<String, String> registry = env("schema-registry");
        // schemas kept in Kafka, as Confluent's registry keeps them, so a registry restart loses no id
        assertThat(registry).containsEntry("APICURIO_STORAGE_KIND", "kafkasql")
                .containsEntry("APICURIO_KAFKASQL_BOOTSTRAP_SERVERS", "kafka:" + portOf(env("kafka").get("KAFKA_ADVERTISED_LISTENERS")))
                .containsEntry("APICURIO_RULES_GLOBAL_COMPATIBILITY", "BACKWARD")
                .containsEntry("APICURIO_CCOMPAT_USE_CANONICAL_HASH", "true");
        assertThat(healthcheckPort("schema-registry")).isEqualTo(registryPort());
        assertThat(String.join(" ", healthcheckTest("schema-registry"))).contains("/apis/ccompat/v7/subjects");
        assertThat(services.get("schema-registry").get("ports")).isEqualTo(List.of(registryPort() + ":" + registryPort()));
    }

    private static boolean isCertflow(Map<String, Object> service) {
        return "certflow:latest".equals(service.get("image"));
    }

    @SuppressWarnings("unchecked")
    private Map<String, String> env(String name) {
        Map<String, String> env = new HashMap<>();
        Object raw = services.get(name).get("environment");
        if (raw instanceof Map<?, ?> map) {
            map.forEach((k, v) -> env.put(k.toString(), resolveDefaults(String.valueOf(v))));
        }
        return env;
    }

    private static String resolveDefaults(String value) {
        Matcher m = DEFAULTED.matcher(value);
        return m.replaceAll(r -> Matcher.quoteReplacement(System.getenv().getOrDefault(r.group(1), r.group(2))));
    }

    @SuppressWarnings("unchecked")
    private List<String> command(String name) {
        return (List<String>) services.get(name).get("command");
    }

    @ParameterizedTest
    @MethodSource("variants")
    void certflowServicesBuildFromTheRepositoryAndRunRealCommands(String variant) {
        use(variant);
        assertThat(ROOT.resolve("Dockerfile")).exists();
        services.forEach((name, service) -> {
            if (!isCertflow(service)) {
                return;
            }
            assertThat(service.get("build")).as(name + " build context").isEqualTo(".");
            List<String> command = command(name);
            // parses exactly as the container's entrypoint would: unknown commands or options fail here
            CommandLine.ParseResult parsed = Main.commandLine().parseArgs(command.toArray(String[]::new));
            assertThat(parsed.hasSubcommand()).as(name + " runs a certflow subcommand").isTrue();
            for (Object volume : (List<?>) service.get("volumes")) {
                String host = volume.toString().split(":")[0];
                assertThat(ROOT.resolve(host)).as(name + " mounts " + host).exists();
            }
        });
    }

    @ParameterizedTest
    @MethodSource("variants")
    void everyServiceDependsOnServicesThatExistAndHaveHealthChecks(String variant) {
        use(variant);
        services.forEach((name, service) -> {
            Object deps = service.get("depends_on");
            if (deps instanceof Map<?, ?> map) {
                map.keySet().forEach(dep -> {
                    assertThat(services).as(name + " depends on " + dep).containsKey(dep.toString());
                    assertThat(services.get(dep.toString())).as(dep + " health check").containsKey("healthcheck");
                });
            }
        });
    }

    @ParameterizedTest
    @MethodSource("variants")
    void configurationEachServiceLoadsBindsAndAgreesWithTheInfrastructure(String variant) {
        use(variant);
        for (String name : List.of("ingest", "streams-1", "streams-2", "sink")) {
            Map<String, String> env = env(name);
            String mountedConfig = env.get("CERTFLOW_CONFIG");
            assertThat(command(name)).contains(mountedConfig);
            Path file = ROOT.resolve(hostPathOf(name, mountedConfig));
            ConfigTree tree = ConfigLoader.load(file, env, List.of());
            tree.requireOnlySections(dev.certflow.runtime.service.ServiceRunner.SECTIONS);
            KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
            OpsSettings ops = tree.bind("ops", OpsSettings.class);
            IngestConfig ingest = tree.bind("ingest", IngestConfig.class);
            StreamsSettings streams = tree.bind("streams", StreamsSettings.class);
            SinkConfig sink = tree.bind("sink", SinkConfig.class);

            assertThat(kafka.bootstrapServers).isEqualTo("kafka:" + portOf(env("kafka").get("KAFKA_ADVERTISED_LISTENERS")));
            URI registry = URI.create(kafka.schemaRegistryUrl);
            assertThat(registry.getHost()).isEqualTo("schema-registry");
            assertThat(registry.getPort()).isEqualTo(registryPort());
            assertThat(registry.getPath()).as(name + " registry path").isEqualTo(registryPath());
            assertThat(kafka.topicPrefix).as("topic names match the application's defaults").isEqualTo(new KafkaSettings().topicPrefix);
            assertThat(healthcheckPort(name)).isEqualTo(ops.port);

            URI jdbc = URI.create(sink.jdbcUrl.substring("jdbc:".length()));
            Map<String, String> pg = env("postgres");
            assertThat(jdbc.getHost()).isEqualTo("postgres");
            assertThat(jdbc.getPath()).isEqualTo("/" + pg.get("POSTGRES_DB"));
            assertThat(sink.user).isEqualTo(pg.get("POSTGRES_USER"));
            assertThat(sink.password.reveal()).isEqualTo(pg.get("POSTGRES_PASSWORD"));

            String simulatorPort = command("simulator").get(command("simulator").indexOf("--port") + 1);
            assertThat(ingest.sources).isNotEmpty();
            for (SourceConfig source : ingest.sources) {
                URI base = URI.create(source.baseUrl);
                assertThat(base.getHost()).as(source.name).isEqualTo("simulator");
                assertThat(base.getPort()).as(source.name).isEqualTo(Integer.parseInt(simulatorPort));
                assertThat(source.allowPrivateNetworks).as(source.name + " reaches the simulator container").isTrue();
                if (source instanceof YeastarSourceConfig pbx) {
                    // the simulator started with --credential-env takes each PBX's name as its client id
                    assertThat(pbx.clientId.reveal()).as(source.name + " client id").isEqualTo(source.name);
                }
            }
            if (name.startsWith("streams")) {
                assertThat(streams.applicationServer).isEqualTo(name + ":" + ops.port);
            }
        }
        assertThat(env("simulator").get("SIM_CREDENTIAL")).isEqualTo(env("ingest").get("SIM_CREDENTIAL"));
    }

    @SuppressWarnings("unchecked")
    private String hostPathOf(String service, String containerPath) {
        for (Object volume : (List<Object>) services.get(service).get("volumes")) {
            String[] parts = volume.toString().split(":");
            if (parts[1].equals(containerPath)) {
                return parts[0];
            }
        }
        throw new AssertionError(service + " does not mount " + containerPath);
    }

    private boolean apicurio() {
        return String.valueOf(services.get("schema-registry").get("image")).startsWith("apicurio/");
    }

    /** The port the registry listens on: Apicurio's QUARKUS_HTTP_PORT, Confluent's SCHEMA_REGISTRY_LISTENERS. */
    private int registryPort() {
        return apicurio() ? Integer.parseInt(env("schema-registry").get("QUARKUS_HTTP_PORT"))
                : portOf(env("schema-registry").get("SCHEMA_REGISTRY_LISTENERS"));
    }

    /** Where the Confluent API is served: Apicurio's under /apis/ccompat/v7, Confluent's at the root. */
    private String registryPath() {
        return apicurio() ? "/apis/ccompat/v7" : "";
    }

    private static int portOf(String listeners) {
        Matcher m = Pattern.compile(":(\\d+)").matcher(listeners.split(",")[0]);
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @SuppressWarnings("unchecked")
    private List<String> healthcheckTest(String service) {
        return (List<String>) ((Map<String, Object>) services.get(service).get("healthcheck")).get("test");
    }

    private int healthcheckPort(String service) {
        String test = String.join(" ", healthcheckTest(service));
        Matcher m = Pattern.compile("/dev/tcp/127\\.0\\.0\\.1/(\\d+)").matcher(test);
        assertThat(m.find()).as(service + " health check port").isTrue();
        return Integer.parseInt(m.group(1));
    }
}
