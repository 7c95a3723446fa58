package dev.certflow.sink;

import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;

import static org.assertj.core.api.Assertions.assertThat;

/** The picocli command is named {@code sink}, takes the shared options and fails clearly on a missing file. */
class SinkCommandTest {
    @Test
    void isNamedSinkAndRejectsAMissingConfigFile() {
        CommandLine cmd = new CommandLine(new SinkCommand());
        assertThat(cmd.getCommandName()).isEqualTo("sink");
        assertThat(cmd.getUsageMessage()).contains("--config").contains("--set");
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        int code = cmd.execute("--config", "/nonexistent/certflow.yaml");
        assertThat(code).isNotZero();
        assertThat(err.toString()).contains("/nonexistent/certflow.yaml").contains("does not exist");
    }
}
