package dev.certflow.ingest;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.assertj.core.api.Assertions.assertThat;

class IngestCommandTest {
    @TempDir
    Path dir;

    @Test
    void aBadConfigurationFailsAtStartNamingTheKey() throws Exception {
        // secrets by reference, as anywhere (the command reads the process environment, so file: here)
        Path clientId = Files.writeString(dir.resolve("client-id"), "pbx-id");
        Path clientSecret = Files.writeString(dir.resolve("client-secret"), "planted-secret");
        Path file = dir.resolve("ingest.yaml");
        Files.writeString(file, """
                kafka:
                  bootstrapServers: 127.0.0.1:1
                ingest:
                  sources:
                    - kind: yeastar
                      name: pbx-1
                      baseUrl: https://pbx.example.com
                      clientId: file:%s
                      clientSecret: file:%s
                      zone: Europe/Berlin
                      pageSise: 10
                """.formatted(clientId, clientSecret));
        StringWriter err = new StringWriter();
        CommandLine cmd = new CommandLine(new IngestCommand());
        cmd.setErr(new PrintWriter(err));
        cmd.setExecutionExceptionHandler((ex, c, parseResult) -> {
            c.getErr().println(ex.getMessage());
            return 2;
        });
        int code = cmd.execute("--config", file.toString());
        assertThat(code).isEqualTo(2);
        assertThat(err.toString()).contains("ingest.sources[0].pageSise").doesNotContain("planted-secret");
    }

    @Test
    void isNamedIngest() {
        assertThat(new CommandLine(new IngestCommand()).getCommandName()).isEqualTo("ingest");
    }
}
