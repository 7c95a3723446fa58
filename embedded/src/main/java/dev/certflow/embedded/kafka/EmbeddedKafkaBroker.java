package dev.certflow.embedded.kafka;

import dev.certflow.embedded.TempDirs;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.internals.Exit;
import org.apache.kafka.common.utils.Time;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.TimeUnit;

/**
 * A real single-node Kafka cluster (KRaft, combined broker and controller) running inside this JVM
 * from the Kafka jars: loopback only, free ports, a temporary log directory, transactions enabled
 * with replication factor 1. The broker for tests without Docker and the one-JVM mode's default.
 */
public final class EmbeddedKafkaBroker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(EmbeddedKafkaBroker.class);

    private final Path logDir;
    private final boolean deleteOnClose;
    private final int brokerPort;
    private final KafkaRaftServer server;
    private boolean closed;

    private EmbeddedKafkaBroker(Path logDir, boolean deleteOnClose, int brokerPort, KafkaRaftServer server) {
        this.logDir = logDir;
        this.deleteOnClose = deleteOnClose;
        this.brokerPort = brokerPort;
        this.server = server;
    }

    /** Starts on free ports in a fresh temporary directory, deleted on close. */
    public static EmbeddedKafkaBroker start() {
        try {
            return start(Files.createTempDirectory("certflow-kafka-"), 0, true, Map.of());
        } catch (IOException e) {
            throw new IllegalStateException("cannot create a temporary directory for the embedded broker", e);
        }
    }

    /**
     * @param logDir        where the log lives; formatted on first use
     * @param port          the broker port, 0 for a free one
     * @param deleteOnClose remove {@code logDir} on close
     * @param overrides     extra broker properties
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port, boolean deleteOnClose, Map<String, String> overrides) {
        // A fatal broker fault would otherwise halt the whole host JVM
        Exit.setHaltProcedure((status, message) -> LOG.error("Embedded Kafka broker asked to halt with status {}: {}", status, message));
        Exit.setExitProcedure((status, message) -> LOG.error("Embedded Kafka broker asked to exit with status {}: {}", status, message));
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Properties props = serverProperties(logDir, brokerPort, controllerPort);
        props.putAll(overrides);
        try {
            Files.createDirectories(logDir);
            Path propsFile = logDir.resolveSibling(logDir.getFileName() + ".server.properties");
            try (OutputStream out = Files.newOutputStream(propsFile)) {
                props.store(out, "certflow embedded broker");
            }
            ByteArrayOutputStream formatOut = new ByteArrayOutputStream();
            int rc = kafka.tools.StorageTool.execute(new String[]{"format", "-t",
                    Uuid.randomUuid().toString(), "-c", propsFile.toString(), "--ignore-formatted"},
                    new PrintStream(formatOut, true, StandardCharsets.UTF_8));
            Files.deleteIfExists(propsFile);
            if (rc != 0) {
                throw new IllegalStateException("formatting the embedded broker's log directory failed: " + formatOut.toString(StandardCharsets.UTF_8));
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot prepare the embedded broker's log directory " + logDir, e);
        }
        KafkaRaftServer server = new KafkaRaftServer(KafkaConfig.fromProps(props, false), Time.SYSTEM);
        server.startup();
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, deleteOnClose, brokerPort, server);
        broker.awaitReady(Duration.ofSeconds(60));
        LOG.info("Embedded Kafka broker ready on {}", broker.bootstrapServers());
        return broker;
    }

    static Properties serverProperties(Path logDir, int brokerPort, int controllerPort) {
        Properties p = new Properties();
        p.put("process.roles", "broker,controller");
        p.put("node.id", "1");
        p.put("controller.quorum.voters", "1@127.0.0.1:" + controllerPort);
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort);
        p.put("controller.listener.names", "CONTROLLER");
        p.put("inter.broker.listener.name", "PLAINTEXT");
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
        p.put("log.dirs", logDir.toAbsolutePath().toString());
        for (String key : new String[]{"default.replication.factor", "min.insync.replicas", "offsets.topic.replication.factor",
                "transaction.state.log.replication.factor", "transaction.state.log.min.isr",
                "share.coordinator.state.topic.replication.factor", "share.coordinator.state.topic.min.isr",
                "offsets.topic.num.partitions", "transaction.state.log.num.partitions"}) {
            p.put(key, "1");
        }
        p.put("num.partitions", "1");
        p.put("group.initial.rebalance.delay.ms", "0");
        p.put("log.cleaner.dedupe.buffer.size", "4194304");
        p.put("auto.create.topics.enable", "false");
        return p;
    }

    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers()))) {
            while (true) {
                try {
                    if (!admin.describeCluster().nodes().get(5, TimeUnit.SECONDS).isEmpty()) {
                        return;
                    }
                } catch (Exception e) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("embedded broker not ready within " + timeout, e);
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("embedded broker not ready within " + timeout);
                }
            }
        }
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        server.shutdown();
        server.awaitShutdown();
        if (deleteOnClose) {
            TempDirs.deleteRecursively(logDir);
        }
        LOG.info("Embedded Kafka broker stopped");
    }

    /** A port that was free a moment ago on 127.0.0.1. */
    public static int freePort() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new IllegalStateException("no free port", e);
        }
    }
}
