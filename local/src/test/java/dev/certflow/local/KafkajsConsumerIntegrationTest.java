package dev.certflow.local;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * A consumer nobody here wrote reads every topic certflow writes: kafkajs 2.2.4 with
 * {@code @kafkajs/confluent-schema-registry} 4.1.0 (Node.js, {@code src/test/node}), after the one-JVM
 * stack ran a short simulated fleet. Every record must decode through the registry, and what
 * kafkajs decoded must equal what a Java consumer reads from the same offsets (see
 * {@link ForeignConsumerCheck}). kafkajs reads only gzip without extra codec packages, so this fails
 * on a topic written with lz4, snappy or zstd ("LZ4 compression not implemented"). Skipped only when
 * {@code node} is absent; {@code npm ci} runs when {@code node_modules} is missing.
 */
class KafkajsConsumerIntegrationTest {
    private static final Path NODE_DIR = Path.of("src", "test", "node");

    @TempDir
    Path dir;

    @Test
    void kafkajsDecodesEveryRecordOnEveryTopicLikeAJavaConsumer() throws Exception {
        assumeTrue(ExternalTools.available("node"), "node is not on the PATH: install Node.js 18+ (and npm) to run the kafkajs consumer; skipping");
        ExternalTools.npmCiIfMissing(NODE_DIR);

        ForeignConsumerCheck.Outcome outcome = ForeignConsumerCheck.run(dir, "kafkajs", (plan, out) ->
                ExternalTools.run(NODE_DIR, Duration.ofMinutes(2), "node", "read-topics.js", plan.toString(), out.toString()));
        assertThat(outcome.log()).as("kafkajs logged (logging on)").contains("kafkajs INFO");
    }
}
