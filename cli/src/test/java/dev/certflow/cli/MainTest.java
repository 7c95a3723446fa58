package dev.certflow.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class MainTest {
    @TempDir
    Path dir;

    @Test
    void topicsPrintsEveryDeclaredTopicUnderThePrefix() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        TopicsCommand.print(new PrintStream(out, true, StandardCharsets.UTF_8), "prod.");
        String table = out.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("prod.certificates ", "prod.renewal-attempts", "prod.certificate-alerts", "prod.certflow-dlq")
                .contains("compact", "delete");
    }

    @Test
    void theServiceBuildHasTheServiceCommandsAndNoOneJvmStack() {
        // cli's class path is what the container image ships: no CommandProvider (module local) on it
        assertThat(Main.commandLine().getSubcommands().keySet())
                .containsExactly("topics", "config", "tail", "ingest", "streams", "sink", "simulate", "silence", "ack", "help");
    }

    @Test
    void askedForLocalTheServiceBuildSaysWhereItLives() {
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("local", "--duration", "1s");
        } finally {
            System.setErr(originalErr);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("'local' is a command of the one-JVM build (./certflow")
                .contains("service commands only: topics, config, tail, ingest, streams, sink, simulate, silence, ack, help");
    }

    @Test
    void configurationErrorsExitWithTwoAndNameTheKey() throws Exception {
        Path config = dir.resolve("bad.yaml");
        Files.writeString(config, "kafka:\n  bootstrapServerz: x\n");
        PrintStream originalErr = System.err;
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
        int code;
        try {
            code = Main.run("topics", "--config", config.toString());
        } finally {
            System.setErr(originalErr);
        }
        assertThat(code).isEqualTo(2);
        assertThat(err.toString(StandardCharsets.UTF_8)).contains("unknown configuration key 'kafka.bootstrapServerz'");
    }
}
