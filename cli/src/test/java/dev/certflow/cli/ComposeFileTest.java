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
import org.yaml.snakeyaml.Yaml;
import picocli.CommandLine;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * No Docker engine runs here, so docker-compose.yml is checked by reading it: every certflow
 * service's command parses as a real certflow command line, every mounted file exists, the
 * configuration each service would load (file plus the environment compose gives it) binds without
 * an unknown key, and the Kafka, registry, database and simulator addresses agree with the services
 * that provide them.
 */
class ComposeFileTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    private static final Pattern DEFAULTED = Pattern.compile("\\$\\{([A-Z_]+):-([^}]*)}");
    private static Map<String, Map<String, Object>> services;

    @BeforeAll
    @SuppressWarnings("unchecked")
    static void read() throws IOException {
        Map<String, Object> compose = new Yaml().load(Files.readString(ROOT.resolve("docker-compose.yml")));
        services = (Map<String, Map<String, Object>>) compose.get("services");
        assertThat(services).containsKeys("kafka", "schema-registry", "postgres", "simulator", "ingest", "streams-1", "streams-2", "sink");
    }

    private static boolean isCertflow(Map<String, Object> service) {
        return "certflow:latest".equals(service.get("image"));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> env(String name) {
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
    private static List<String> command(String name) {
        return (List<String>) services.get(name).get("command");
    }

    @Test
    void certflowServicesBuildFromTheRepositoryAndRunRealCommands() {
        assertThat(ROOT.resolve("Dockerfile")).exists();
        services.forEach((name, service) -> {
            if (!isCertflow(service)) {
                return;
            }
            assertThat(service.get("build")).as(name + " build context").isEqualTo(".");
            List<String> command = command(name);
            // parses exactly as the container's entrypoint would: unknown commands or options fail here
            CommandLine.ParseResult parsed = new CommandLine(new Main()).parseArgs(command.toArray(String[]::new));
            assertThat(parsed.hasSubcommand()).as(name + " runs a certflow subcommand").isTrue();
            for (Object volume : (List<?>) service.get("volumes")) {
                String host = volume.toString().split(":")[0];
                assertThat(ROOT.resolve(host)).as(name + " mounts " + host).exists();
            }
        });
    }

    @Test
    void everyServiceDependsOnServicesThatExistAndHaveHealthChecks() {
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

    @Test
    void configurationEachServiceLoadsBindsAndAgreesWithTheInfrastructure() {
        for (String name : List.of("ingest", "streams-1", "streams-2", "sink")) {
            Map<String, String> env = env(name);
            String mountedConfig = env.get("CERTFLOW_CONFIG");
            assertThat(command(name)).contains(mountedConfig);
            Path file = ROOT.resolve(hostPathOf(name, mountedConfig));
            ConfigTree tree = ConfigLoader.load(file, env, List.of());
            tree.requireOnlySections(dev.certflow.runtime.cli.ServiceRunner.SECTIONS);
            KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
            OpsSettings ops = tree.bind("ops", OpsSettings.class);
            IngestConfig ingest = tree.bind("ingest", IngestConfig.class);
            StreamsSettings streams = tree.bind("streams", StreamsSettings.class);
            SinkConfig sink = tree.bind("sink", SinkConfig.class);

            assertThat(kafka.bootstrapServers).isEqualTo("kafka:" + portOf(env("kafka").get("KAFKA_ADVERTISED_LISTENERS")));
            URI registry = URI.create(kafka.schemaRegistryUrl);
            assertThat(registry.getHost()).isEqualTo("schema-registry");
            assertThat(registry.getPort()).isEqualTo(portOf(env("schema-registry").get("SCHEMA_REGISTRY_LISTENERS")));
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
    private static String hostPathOf(String service, String containerPath) {
        for (Object volume : (List<Object>) services.get(service).get("volumes")) {
            String[] parts = volume.toString().split(":");
            if (parts[1].equals(containerPath)) {
                return parts[0];
            }
        }
        throw new AssertionError(service + " does not mount " + containerPath);
    }

    private static int portOf(String listeners) {
        Matcher m = Pattern.compile(":(\\d+)").matcher(listeners.split(",")[0]);
        assertThat(m.find()).isTrue();
        return Integer.parseInt(m.group(1));
    }

    @SuppressWarnings("unchecked")
    private static int healthcheckPort(String service) {
        String test = String.join(" ", (List<String>) ((Map<String, Object>) services.get(service).get("healthcheck")).get("test"));
        Matcher m = Pattern.compile("/dev/tcp/127\\.0\\.0\\.1/(\\d+)").matcher(test);
        assertThat(m.find()).as(service + " health check port").isTrue();
        return Integer.parseInt(m.group(1));
    }
}
