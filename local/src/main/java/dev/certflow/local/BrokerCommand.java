package dev.certflow.local;

import dev.certflow.runtime.service.Lifecycle;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.Topics;
import dev.certflow.embedded.registry.EmbeddedSchemaRegistry;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code certflow broker}: the in-JVM KRaft broker (and the embedded schema registry) as a standalone process. */
@Command(name = "broker", mixinStandardHelpOptions = true,
        description = "Run a single-node KRaft Kafka broker in this JVM (and a schema registry over HTTP keeping its schemas in the broker's _schemas topic), for development and fault tests.")
public final class BrokerCommand implements Callable<Integer> {

    @Option(names = "--port", description = "Broker port (default: ${DEFAULT-VALUE}; 0 = free port)", defaultValue = "9092")
    int port;

    @Option(names = "--advertised-listener", paramLabel = "HOST:PORT",
            description = "Address the broker tells clients to connect to (default: 127.0.0.1:<--port>), for clients reaching it through a proxy, "
                    + "a NAT or a port mapping; the broker's own traffic and the registry then use an internal loopback listener")
    String advertisedListener;

    @Option(names = "--dir", description = "Log directory, kept across restarts (default: a temporary directory, deleted on exit)")
    Path dir;

    @Option(names = "--registry-port", description = "Schema registry port (default: ${DEFAULT-VALUE}; -1 = no registry)", defaultValue = "8081")
    int registryPort;

    @Option(names = "--create-topics", description = "Create certflow's topics at start")
    boolean createTopics;

    @Option(names = "--topic-prefix", description = "Prefix for the topics created with --create-topics", defaultValue = "")
    String topicPrefix;

    @Option(names = "--ops-port", description = "Port of /health, /ready and /metrics (default: ${DEFAULT-VALUE}; 0 = free port, -1 = off)", defaultValue = "0")
    int opsPort;

    @Override
    public Integer call() throws Exception {
        try (Lifecycle lifecycle = new Lifecycle()) {
            boolean temporary = dir == null;
            Path logDir = temporary ? Files.createTempDirectory("certflow-broker-") : dir;
            EmbeddedKafkaBroker broker = lifecycle.add(advertisedListener == null ? EmbeddedKafkaBroker.start(logDir, port, temporary, Map.of())
                    : EmbeddedKafkaBroker.start(logDir, port, temporary, Map.of(), advertisedListener));
            String registryUrl = null;
            if (registryPort >= 0) {
                // its schemas live in the broker's _schemas topic, so --dir keeps them with the records that need them
                registryUrl = lifecycle.add(EmbeddedSchemaRegistry.start(registryPort, broker.internalBootstrapServers())).url();
            }
            if (createTopics) {
                KafkaSettings kafka = new KafkaSettings();
                kafka.bootstrapServers = broker.internalBootstrapServers();
                kafka.topicPrefix = topicPrefix;
                new TopicManager(kafka).ensure(Topics.ALL);
            }
            OpsServer ops = null;
            if (opsPort >= 0) {
                ops = lifecycle.add(OpsServer.start("127.0.0.1", opsPort, OpsServer.newRegistry()));
                ops.addReadyCheck("broker", () -> true);
            }
            System.out.println("certflow broker ready");
            System.out.println("  bootstrap servers : " + broker.bootstrapServers());
            if (advertisedListener != null) {
                System.out.println("  advertised as     : " + broker.advertisedListener() + " (internal listener " + broker.internalBootstrapServers() + ")");
            }
            if (registryUrl != null) {
                System.out.println("  schema registry   : " + registryUrl);
            }
            if (ops != null) {
                System.out.println("  ops endpoint      : " + ops.url() + "/metrics");
            }
            System.out.println("  log directory     : " + logDir + (temporary ? " (deleted on exit)" : ""));
            System.out.println("  connect with      : CERTFLOW_KAFKA__BOOTSTRAP_SERVERS=" + broker.advertisedListener()
                    + (registryUrl == null ? "" : " CERTFLOW_KAFKA__SCHEMA_REGISTRY_URL=" + registryUrl));
            System.out.println("Press Ctrl-C to stop.");
            lifecycle.awaitShutdown();
        }
        return 0;
    }
}
