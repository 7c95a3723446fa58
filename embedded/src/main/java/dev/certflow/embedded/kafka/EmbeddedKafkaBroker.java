package dev.certflow.embedded.kafka;

import dev.certflow.embedded.TempDirs;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.ScramCredentialInfo;
import org.apache.kafka.clients.admin.ScramMechanism;
import org.apache.kafka.clients.admin.UserScramCredentialAlteration;
import org.apache.kafka.clients.admin.UserScramCredentialUpsertion;
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
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ExecutionException;
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
    private final int sslPort;
    private final int saslSslPort;
    private final int internalPort;
    private final String advertised;
    private boolean closed;

    private EmbeddedKafkaBroker(Path logDir, boolean deleteOnClose, int brokerPort, KafkaRaftServer server, int sslPort, int saslSslPort,
                                int internalPort, String advertised) {
        this.internalPort = internalPort;
        this.advertised = advertised;
        this.logDir = logDir;
        this.deleteOnClose = deleteOnClose;
        this.brokerPort = brokerPort;
        this.server = server;
        this.sslPort = sslPort;
        this.saslSslPort = saslSslPort;
    }

    /**
     * An SSL and a SASL_SSL listener (SCRAM-SHA-512 and SCRAM-SHA-256) on 127.0.0.1 besides the
     * plaintext one, which stays the inter-broker listener: for tests of the clients' connection
     * security.
     *
     * @param keyStore         PKCS12 file with the broker's key and certificate
     * @param keyStorePassword its password (also the key's)
     * @param scramUsers       user name to password, created as SCRAM-SHA-512 credentials before start returns
     */
    public record SecureListeners(Path keyStore, String keyStorePassword, Map<String, String> scramUsers) {
        @Override
        public String toString() {
            return "SecureListeners[keyStore=" + keyStore + ", users=" + scramUsers.keySet() + "]";
        }
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
        return start(logDir, port, deleteOnClose, overrides, (SecureListeners) null);
    }

    /** As {@link #start(Path, int, boolean, Map)}, with TLS and SASL_SSL listeners unless {@code secure} is null. */
    public static EmbeddedKafkaBroker start(Path logDir, int port, boolean deleteOnClose, Map<String, String> overrides,
                                            SecureListeners secure) {
        return start(logDir, port, deleteOnClose, overrides, secure, null);
    }

    /**
     * As {@link #start(Path, int, boolean, Map)}, telling clients to connect to {@code advertised}
     * ({@code host:port}) rather than to the port it listens on: a broker reached through a proxy, a
     * NAT or a port mapping. The broker's own traffic (transaction markers, and whatever runs beside it
     * in this JVM, such as the schema registry) then uses an internal listener on a free loopback port,
     * {@link #internalBootstrapServers()}, which advertises itself.
     */
    public static EmbeddedKafkaBroker start(Path logDir, int port, boolean deleteOnClose, Map<String, String> overrides, String advertised) {
        return start(logDir, port, deleteOnClose, overrides, null, advertised);
    }

    private static EmbeddedKafkaBroker start(Path logDir, int port, boolean deleteOnClose, Map<String, String> overrides,
                                             SecureListeners secure, String advertised) {
        if (advertised != null) {
            checkHostPort(advertised);
            if (secure != null) {
                throw new IllegalArgumentException("an advertised listener and the TLS/SASL listeners cannot be combined");
            }
        }
        // A fatal broker fault would otherwise halt the whole host JVM
        Exit.setHaltProcedure((status, message) -> LOG.error("Embedded Kafka broker asked to halt with status {}: {}", status, message));
        Exit.setExitProcedure((status, message) -> LOG.error("Embedded Kafka broker asked to exit with status {}: {}", status, message));
        int brokerPort = port == 0 ? freePort() : port;
        int controllerPort = freePort();
        Properties props = serverProperties(logDir, brokerPort, controllerPort);
        int sslPort = secure == null ? -1 : freePort();
        int saslSslPort = secure == null ? -1 : freePort();
        if (secure != null) {
            secureListeners(props, secure, brokerPort, controllerPort, sslPort, saslSslPort);
        }
        int internalPort = advertised == null ? -1 : freePort();
        if (advertised != null) {
            props.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",INTERNAL://127.0.0.1:" + internalPort
                    + ",CONTROLLER://127.0.0.1:" + controllerPort);
            props.put("advertised.listeners", "PLAINTEXT://" + advertised + ",INTERNAL://127.0.0.1:" + internalPort);
            props.put("inter.broker.listener.name", "INTERNAL");
            props.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,INTERNAL:PLAINTEXT,CONTROLLER:PLAINTEXT");
        }
        props.putAll(overrides);
        try {
            Files.createDirectories(logDir);
            Path propsFile = logDir.resolveSibling(logDir.getFileName() + ".server.properties");
            try (OutputStream out = Files.newOutputStream(propsFile)) {
                props.store(out, "certflow embedded broker");
            }
            ByteArrayOutputStream formatOut = new ByteArrayOutputStream();
            int rc = kafka.tools.StorageTool.execute(new String[]{"format", "-t",
                    clusterId(logDir), "-c", propsFile.toString(), "--ignore-formatted"},
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
        EmbeddedKafkaBroker broker = new EmbeddedKafkaBroker(logDir, deleteOnClose, brokerPort, server, sslPort, saslSslPort,
                internalPort, advertised);
        broker.awaitReady(Duration.ofSeconds(60));
        if (secure != null && !secure.scramUsers().isEmpty()) {
            broker.createScramUsers(secure.scramUsers(), Duration.ofSeconds(30));
        }
        LOG.info("Embedded Kafka broker ready on {}{}", broker.bootstrapServers(), advertised == null ? "" : " (advertised as " + advertised + ")");
        return broker;
    }

    /**
     * The cluster id of a directory formatted before (a restart with {@code --dir}), else a new one:
     * formatting again with another id fails, even with {@code --ignore-formatted}.
     */
    private static String clusterId(Path logDir) throws IOException {
        Path meta = logDir.resolve("meta.properties");
        if (Files.isRegularFile(meta)) {
            Properties p = new Properties();
            try (var in = Files.newInputStream(meta)) {
                p.load(in);
            }
            String id = p.getProperty("cluster.id");
            if (id != null && !id.isBlank()) {
                return id;
            }
        }
        return Uuid.randomUuid().toString();
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

    /** {@code host:port} with a port from 1 to 65535, or an IllegalArgumentException naming the value. */
    static void checkHostPort(String hostPort) {
        int colon = hostPort.lastIndexOf(':');
        String host = colon < 0 ? "" : hostPort.substring(0, colon);
        String port = colon < 0 ? "" : hostPort.substring(colon + 1);
        boolean ok = !host.isBlank() && !host.contains("/") && port.matches("\\d{1,5}") && Integer.parseInt(port) >= 1
                && Integer.parseInt(port) <= 65535;
        if (!ok) {
            throw new IllegalArgumentException("bad advertised listener '" + hostPort + "': must be HOST:PORT with a port from 1 to 65535 "
                    + "(e.g. 127.0.0.1:19092)");
        }
    }

    private static void secureListeners(Properties p, SecureListeners secure, int brokerPort, int controllerPort, int sslPort, int saslSslPort) {
        p.put("listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",SSL://127.0.0.1:" + sslPort + ",SASL_SSL://127.0.0.1:" + saslSslPort
                + ",CONTROLLER://127.0.0.1:" + controllerPort);
        p.put("advertised.listeners", "PLAINTEXT://127.0.0.1:" + brokerPort + ",SSL://127.0.0.1:" + sslPort + ",SASL_SSL://127.0.0.1:" + saslSslPort);
        p.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,SSL:SSL,SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT");
        p.put("ssl.keystore.location", secure.keyStore().toAbsolutePath().toString());
        p.put("ssl.keystore.type", "PKCS12");
        p.put("ssl.keystore.password", secure.keyStorePassword());
        p.put("ssl.key.password", secure.keyStorePassword());
        p.put("sasl.enabled.mechanisms", "SCRAM-SHA-512,SCRAM-SHA-256");
        for (String mechanism : new String[]{"scram-sha-512", "scram-sha-256"}) {
            p.put("listener.name.sasl_ssl." + mechanism + ".sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required;");
        }
    }

    /** Creates SCRAM-SHA-512 credentials over the plaintext listener and waits until the broker knows them. */
    private void createScramUsers(Map<String, String> users, Duration timeout) {
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers()))) {
            List<UserScramCredentialAlteration> alterations = new ArrayList<>();
            users.forEach((user, password) -> alterations.add(new UserScramCredentialUpsertion(user,
                    new ScramCredentialInfo(ScramMechanism.SCRAM_SHA_512, 8192), password)));
            admin.alterUserScramCredentials(alterations).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            long deadline = System.nanoTime() + timeout.toNanos();
            while (admin.describeUserScramCredentials(List.copyOf(users.keySet())).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS).size()
                    < users.size()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("SCRAM users " + users.keySet() + " not visible within " + timeout);
                }
            }
        } catch (ExecutionException | java.util.concurrent.TimeoutException e) {
            throw new IllegalStateException("cannot create the SCRAM users " + users.keySet() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while creating SCRAM users", e);
        }
    }

    /** The client listener, where it listens (a client told another address by {@link #advertisedListener()} goes there next). */
    public String bootstrapServers() {
        return "127.0.0.1:" + brokerPort;
    }

    /** The address clients are told to connect to: the advertised listener, or {@link #bootstrapServers()}. */
    public String advertisedListener() {
        return advertised != null ? advertised : bootstrapServers();
    }

    /**
     * An address that reaches the broker directly whatever it advertises to clients: the internal
     * listener when one is advertised, else {@link #bootstrapServers()}.
     */
    public String internalBootstrapServers() {
        return internalPort > 0 ? "127.0.0.1:" + internalPort : bootstrapServers();
    }

    /** The SSL listener's address (started with {@link SecureListeners}). */
    public String sslBootstrapServers() {
        return "127.0.0.1:" + requireSecure(sslPort);
    }

    /** The SASL_SSL listener's address (started with {@link SecureListeners}). */
    public String saslSslBootstrapServers() {
        return "127.0.0.1:" + requireSecure(saslSslPort);
    }

    private static int requireSecure(int port) {
        if (port < 0) {
            throw new IllegalStateException("this broker was started without SecureListeners");
        }
        return port;
    }

    private void awaitReady(Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        try (Admin admin = Admin.create(Map.of(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, internalBootstrapServers()))) {
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
