package dev.certflow.local;

import dev.certflow.schemas.Topics;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashSet;
import java.util.Optional;
import java.util.Set;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A second client stack nobody here wrote reads every topic certflow writes: confluent-kafka-python
 * 1.7 on librdkafka (a C client, nothing shared with kafkajs or the Java client) with isolation.level
 * read_committed, its own registry client and Avro deserializer ({@code confluent_kafka.avro}, decoding
 * with Apache Avro for Python), from {@code src/test/python/read_topics.py}. What it decoded must equal
 * what a Java consumer reads from the same offsets (see {@link ForeignConsumerCheck}). Skipped when no
 * {@code python3} imports {@code confluent_kafka}, {@code avro} and {@code requests}: Debian's
 * python3-confluent-kafka, python3-avro and python3-requests (installed for {@code /usr/bin/python3},
 * which is tried besides every {@code python3} on the PATH, as a pyenv one may come first).
 */
class ConfluentKafkaPythonConsumerIntegrationTest {
    private static final Path PYTHON_DIR = Path.of("src", "test", "python");
    private static final String PACKAGES = "python3-confluent-kafka python3-avro python3-requests";

    @TempDir
    Path dir;

    @Test
    void librdkafkaDecodesEveryRecordOnEveryTopicLikeAJavaConsumer() throws Exception {
        Optional<String> python = pythonWithModules();
        assumeTrue(python.isPresent(), "no python3 with the modules confluent_kafka, avro and requests: "
                + "install Debian's " + PACKAGES + " (apt-get install " + PACKAGES + ") to run the librdkafka consumer; skipping");

        ForeignConsumerCheck.Outcome outcome = ForeignConsumerCheck.run(dir, "python", (plan, out) ->
                ExternalTools.run(PYTHON_DIR, Duration.ofMinutes(2), python.get(), "read_topics.py", plan.toString(), out.toString()));
        // the records came through librdkafka, and every topic was reported read
        assertThat(outcome.log()).as("the reader names its client").containsPattern("confluent_kafka 1\\.\\d+\\.\\d+ librdkafka \\d+\\.\\d+");
        assertThat(outcome.log().lines().filter(l -> l.startsWith("read ")).count())
                .as("topics reported read").isEqualTo(Topics.ALL.size());
    }

    /** The first python3 (on the PATH, then Debian's) that imports the reader's modules. */
    static Optional<String> pythonWithModules() throws Exception {
        Set<String> candidates = new LinkedHashSet<>();
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, "python3"))) {
                candidates.add(Path.of(d, "python3").toString());
            }
        }
        candidates.add("/usr/bin/python3");
        for (String python : candidates) {
            if (Files.isExecutable(Path.of(python))
                    && ExternalTools.run(PYTHON_DIR, Duration.ofSeconds(30), python, "-c", "import confluent_kafka, avro, requests").exitCode() == 0) {
                return Optional.of(python);
            }
        }
        return Optional.empty();
    }
}
