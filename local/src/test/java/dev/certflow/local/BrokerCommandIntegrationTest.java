package dev.certflow.local;

import dev.certflow.cli.Main;
import org.apache.kafka.clients.admin.Admin;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code certflow broker} as a standalone process, as developers and fault tests use it: it prints
 * how to connect, serves a broker with certflow's topics, and stops cleanly on SIGTERM.
 */
class BrokerCommandIntegrationTest {

    @Test
    void runsAsAChildProcessAndStopsCleanlyOnSigterm() throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process process = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "broker", "--port", "0", "--registry-port", "0", "--create-topics", "--topic-prefix", "child.")
                .redirectErrorStream(true).start();
        List<String> lines = new ArrayList<>();
        try {
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
            String bootstrap = CompletableFuture.supplyAsync(() -> {
                try {
                    for (String line; (line = out.readLine()) != null; ) {
                        lines.add(line);
                        if (line.trim().startsWith("bootstrap servers")) {
                            return line.substring(line.indexOf(':') + 1).trim();
                        }
                    }
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
                return null;
            }).get(90, TimeUnit.SECONDS);
            assertThat(bootstrap).as("output: %s", lines).matches("127\\.0\\.0\\.1:\\d+");

            try (Admin admin = Admin.create(Map.of("bootstrap.servers", bootstrap))) {
                assertThat(admin.listTopics().names().get(30, TimeUnit.SECONDS)).contains("child.certificates", "child.certificate-alerts");
            }
            CompletableFuture.runAsync(() -> out.lines().forEach(lines::add));
        } finally {
            process.destroy(); // SIGTERM: the shutdown hook stops the broker and deletes its directory
        }
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("stopped within 60 s").isTrue();
        assertThat(process.exitValue()).isIn(0, 143);
    }
}
