package dev.certflow.sink;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

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

    /** Runs {@code certflow sink} on a configuration whose broker nobody listens on: a configuration error must come first. */
    private static String run(Path file) {
        CommandLine cmd = new CommandLine(new SinkCommand());
        StringWriter err = new StringWriter();
        cmd.setErr(new PrintWriter(err));
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println(ex.getClass().getSimpleName() + ": " + ex.getMessage());
            return 2;
        });
        assertThat(cmd.execute("--config", file.toString())).isEqualTo(2);
        return err.toString();
    }

    private static final String UNREACHABLE_KAFKA = """
            kafka:
              bootstrapServers: 127.0.0.1:1
              properties: {default.api.timeout.ms: "2000", request.timeout.ms: "1000"}
            """;

    @Test
    void withoutAJdbcUrlItIsAConfigurationErrorNotAThrowawayDatabase(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("sink.yaml"), UNREACHABLE_KAFKA + "sink:\n  user: certflow\n");
        assertThat(run(file)).startsWith("ConfigException: missing required configuration key 'sink.jdbcUrl'")
                .contains("only certflow local").doesNotContain("password");

        // what certflow local once set for itself: the sink never starts a database
        Path embedded = Files.writeString(dir.resolve("embedded.yaml"), UNREACHABLE_KAFKA + "sink:\n  jdbcUrl: embedded\n");
        assertThat(run(embedded)).startsWith("ConfigException: bad value 'embedded' for configuration key 'sink.jdbcUrl' (from file " + embedded + ")")
                .contains("not a PostgreSQL JDBC URL").contains("only certflow local");
    }

    @Test
    void aJdbcUrlOfAnotherDatabaseIsRefusedShowingOnlyItsScheme(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("mysql.yaml"), UNREACHABLE_KAFKA + "sink:\n  jdbcUrl: \"jdbc:mysql://db:3306/views?password=hunter2\"\n");
        assertThat(run(file)).startsWith("ConfigException: bad value 'jdbc:mysql:...' for configuration key 'sink.jdbcUrl' (from file " + file + ")")
                .contains("not a PostgreSQL JDBC URL").doesNotContain("hunter2").doesNotContain("3306");
    }
}
