package dev.certflow.testkit;

import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.KafkaSettings;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An in-JVM broker with SSL and SASL_SSL listeners (a self-signed certificate for 127.0.0.1 and
 * localhost, the SCRAM-SHA-512 user {@link #USER}), and the {@code kafka} configuration a user
 * would write for it, bound through the layered configuration as every command binds it.
 */
public final class SecureTestKafka implements AutoCloseable {
    public static final String USER = "certflow";

    private final Path dir;
    private final TestTls.StoreFiles brokerTls;
    private final EmbeddedKafkaBroker broker;
    private final Path storePasswordFile;

    private SecureTestKafka(Path dir, TestTls.StoreFiles brokerTls, EmbeddedKafkaBroker broker, Path storePasswordFile) {
        this.dir = dir;
        this.brokerTls = brokerTls;
        this.broker = broker;
        this.storePasswordFile = storePasswordFile;
    }

    /** @param dir where key material, configuration files and the log live; {@code password} is {@link #USER}'s */
    public static SecureTestKafka start(Path dir, String password) {
        try {
            TestTls.StoreFiles tls = TestTls.storeFiles(dir, "broker", "dns:localhost", "ip:127.0.0.1");
            EmbeddedKafkaBroker broker = EmbeddedKafkaBroker.start(Files.createTempDirectory(dir, "kafka"), 0, true, Map.of(),
                    new EmbeddedKafkaBroker.SecureListeners(tls.keyStore(), tls.password(), Map.of(USER, password)));
            return new SecureTestKafka(dir, tls, broker, Files.writeString(dir.resolve("store-password"), tls.password()));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public EmbeddedKafkaBroker broker() {
        return broker;
    }

    /** The trust store holding the broker's certificate. */
    public Path trustStore() {
        return brokerTls.trustStore();
    }

    /**
     * Writes a configuration file with the {@code kafka} section for {@code protocol} (SSL or
     * SASL_SSL): the trust store with its password as a {@code file:} secret and, for SASL_SSL,
     * {@link #USER} with {@code passwordRef} ({@code ${VAR}} or {@code file:...}).
     */
    public Path configFile(String name, String bootstrap, String protocol, Path trustStore, String passwordRef, String registryScope) {
        String sasl = protocol.startsWith("SASL") ? "  sasl:\n    username: " + USER + "\n    password: " + passwordRef + "\n" : "";
        try {
            return Files.writeString(dir.resolve(name + ".yaml"), """
                    kafka:
                      bootstrapServers: "%s"
                      schemaRegistryUrl: mock://%s
                      securityProtocol: %s
                      tls:
                        trustStore: %s
                        trustStorePassword: file:%s
                    %s""".formatted(bootstrap, registryScope, protocol, trustStore, storePasswordFile, sasl));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** The {@code kafka} section of {@code file}, loaded with {@code env} as the environment. */
    public static KafkaSettings settings(Path file, Map<String, String> env) {
        return ConfigLoader.load(file, env, List.of()).bind("kafka", KafkaSettings.class);
    }

    /** SASL_SSL settings for {@link #USER}, the password read from {@code TEST_SCRAM_PASSWORD} in {@code env}. */
    public KafkaSettings saslSsl(String name, String password) {
        return settings(configFile(name, broker.saslSslBootstrapServers(), "SASL_SSL", trustStore(), "${TEST_SCRAM_PASSWORD}", name),
                Map.of("TEST_SCRAM_PASSWORD", password));
    }

    @Override
    public void close() {
        broker.close();
    }
}
