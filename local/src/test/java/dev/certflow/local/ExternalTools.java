package dev.certflow.local;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.fail;

/** Runs programs nobody here wrote (node, npm, promtool) from tests, with their output kept for the failure message. */
final class ExternalTools {
    private ExternalTools() {
    }

    record Result(int exitCode, String output) {
    }

    /** Whether {@code command} is an executable on the PATH. */
    static boolean available(String command) {
        for (String d : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
            if (!d.isEmpty() && Files.isExecutable(Path.of(d, command))) {
                return true;
            }
        }
        return false;
    }

    /** Runs a command in {@code dir} (stdout and stderr together, optional standard input), killed after {@code timeout}. */
    static Result run(Path dir, Duration timeout, byte[] stdin, String... command) throws IOException, InterruptedException {
        Path log = Files.createTempFile("certflow-tool-", ".log");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).redirectOutput(log.toFile());
            Process p = pb.start();
            try (var in = p.getOutputStream()) {
                if (stdin != null) {
                    in.write(stdin);
                }
            }
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
                return new Result(-1, Files.readString(log, StandardCharsets.UTF_8) + "\n(killed after " + timeout + ")");
            }
            return new Result(p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }

    static Result run(Path dir, Duration timeout, String... command) throws IOException, InterruptedException {
        return run(dir, timeout, null, command);
    }

    /** {@code npm ci} in {@code dir} unless its node_modules is there (.ci/run installs them first). */
    static void npmCiIfMissing(Path dir) throws IOException, InterruptedException {
        if (Files.isDirectory(dir.resolve("node_modules"))) {
            return;
        }
        if (!available("npm")) {
            fail("npm is not on the PATH and " + dir.resolve("node_modules") + " is missing: install npm or run 'npm ci' there");
        }
        Result r = run(dir, Duration.ofMinutes(5), "npm", "ci", "--no-audit", "--no-fund");
        if (r.exitCode() != 0) {
            fail("'npm ci' in " + dir + " failed (exit " + r.exitCode() + "):\n" + tail(r.output(), 30));
        }
    }

    /** The last {@code lines} lines of a text. */
    static String tail(String text, int lines) {
        List<String> all = text.lines().toList();
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
    }
}
