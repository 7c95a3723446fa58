package dev.certflow.schemas.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Apicurio Registry (Apache-2.0, written by nobody here) serving the Confluent API at
 * {@code /apis/ccompat/v7}: a real, independent registry for integration tests. It runs as a
 * separate process from the copy the parent POM unpacks into {@code target/apicurio} (system property
 * {@value #HOME_PROPERTY}), on free loopback ports, with in-memory storage; its output goes to
 * {@code target/apicurio-logs/NAME.log}. {@link #close()} stops it by its PID: SIGTERM, then a
 * forced kill after a deadline; a shutdown hook kills it if the test JVM exits first.
 *
 * <p>Apicurio's defaults differ from Confluent's (compatibility NONE, no canonical-form dedupe):
 * {@link Options} sets what a test relies on.
 */
public final class ApicurioRegistry implements AutoCloseable {
    /** Where the unpacked Apicurio Registry app (its {@code *-runner.jar} and {@code lib/}) lies. */
    public static final String HOME_PROPERTY = "certflow.apicurio.home";
    private static final Duration START_TIMEOUT = Duration.ofSeconds(90);
    private static final Duration STOP_TIMEOUT = Duration.ofSeconds(10);
    private static final int START_ATTEMPTS = 3;

    /** How to start it. */
    public static final class Options {
        private final String name;
        private boolean canonicalHash;
        private String globalCompatibility;

        private Options(String name) {
            this.name = name;
        }

        /** Dedupe schemas by canonical form, as Confluent does ({@code APICURIO_CCOMPAT_USE_CANONICAL_HASH}). */
        public Options canonicalHash(boolean on) {
            canonicalHash = on;
            return this;
        }

        /** Set the global compatibility level once started ({@code PUT /config}); Confluent's default is BACKWARD. */
        public Options globalCompatibility(String level) {
            globalCompatibility = level;
            return this;
        }

        public ApicurioRegistry start() {
            return ApicurioRegistry.start(this);
        }
    }

    private final Process process;
    private final int port;
    private final Path log;
    private final Thread killOnExit;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    private ApicurioRegistry(Process process, int port, Path log) {
        this.process = process;
        this.port = port;
        this.log = log;
        this.killOnExit = new Thread(process::destroyForcibly, "apicurio-kill-on-exit");
        Runtime.getRuntime().addShutdownHook(killOnExit);
    }

    /** Options for an instance whose log is {@code target/apicurio-logs/NAME.log}. */
    public static Options named(String name) {
        return new Options(name);
    }

    private static ApicurioRegistry start(Options options) {
        Path runner = runnerJar();
        Path log = Path.of("target", "apicurio-logs", options.name + ".log").toAbsolutePath();
        IllegalStateException failure = null;
        // a free port can be taken by someone else between the probe and the bind: then try new ones
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int[] ports = freePorts(2);
            ApicurioRegistry registry = launch(runner, ports[0], ports[1], options.canonicalHash, log);
            try {
                registry.awaitReady();
                if (options.globalCompatibility != null) {
                    registry.globalCompatibility(options.globalCompatibility);
                }
                return registry;
            } catch (IllegalStateException e) {
                registry.close();
                failure = e;
            }
        }
        throw failure;
    }

    private static ApicurioRegistry launch(Path runner, int httpPort, int managementPort, boolean canonicalHash, Path log) {
        try {
            Files.createDirectories(log.getParent());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        List<String> command = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx512m", "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-jar", runner.getFileName().toString()));
        ProcessBuilder builder = new ProcessBuilder(command)
                .directory(runner.getParent().toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        Map<String, String> env = builder.environment();
        env.put("QUARKUS_HTTP_HOST", "127.0.0.1");
        env.put("QUARKUS_HTTP_PORT", Integer.toString(httpPort));
        env.put("QUARKUS_MANAGEMENT_PORT", Integer.toString(managementPort));
        env.put("APICURIO_CCOMPAT_USE_CANONICAL_HASH", Boolean.toString(canonicalHash));
        try {
            return new ApicurioRegistry(builder.start(), httpPort, log);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start " + command, e);
        }
    }

    /** The URL certflow's {@code kafka.schemaRegistryUrl} / {@code schema.registry.url} takes. */
    public String ccompatUrl() {
        return "http://127.0.0.1:" + port + "/apis/ccompat/v7";
    }

    public long pid() {
        return process.pid();
    }

    public Path log() {
        return log;
    }

    /** {@code PUT /config}: the global compatibility level, checked by reading it back. */
    public void globalCompatibility(String level) {
        HttpResponse<String> put = send(HttpRequest.newBuilder(URI.create(ccompatUrl() + "/config"))
                .header("Content-Type", "application/vnd.schemaregistry.v1+json")
                .PUT(HttpRequest.BodyPublishers.ofString("{\"compatibility\":\"" + level + "\"}")));
        HttpResponse<String> get = send(HttpRequest.newBuilder(URI.create(ccompatUrl() + "/config")));
        if (put.statusCode() != 200 || !get.body().contains("\"" + level + "\"")) {
            throw new IllegalStateException("Apicurio did not take global compatibility " + level + ": PUT answered "
                    + put.statusCode() + " " + put.body() + ", GET /config answers " + get.body());
        }
    }

    /** Stops the process by its PID: SIGTERM, and SIGKILL if it has not exited within the deadline. */
    @Override
    public void close() {
        ProcessHandle handle = process.toHandle();
        handle.destroy();
        try {
            if (!process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
                handle.destroyForcibly();
                process.waitFor(STOP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            handle.destroyForcibly();
            Thread.currentThread().interrupt();
        }
        try {
            Runtime.getRuntime().removeShutdownHook(killOnExit);
        } catch (IllegalStateException alreadyShuttingDown) {
            // the hook is running or about to: nothing left to undo
        }
    }

    /** Polls {@code GET /subjects} until it answers 200; between polls it waits on the process's exit, not a sleep. */
    private void awaitReady() {
        Instant deadline = Instant.now().plus(START_TIMEOUT);
        URI subjects = URI.create(ccompatUrl() + "/subjects");
        while (true) {
            if (!process.isAlive()) {
                throw new IllegalStateException("Apicurio Registry (pid " + pid() + ", port " + port + ") exited with "
                        + process.exitValue() + " before it was ready; its log " + log + " ends:\n" + tail());
            }
            try {
                HttpResponse<String> answer = http.send(HttpRequest.newBuilder(subjects).timeout(Duration.ofSeconds(2)).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (answer.statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // not listening yet
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for Apicurio Registry", e);
            }
            if (Instant.now().isAfter(deadline)) {
                throw new IllegalStateException("Apicurio Registry (pid " + pid() + ") did not answer 200 on " + subjects
                        + " within " + START_TIMEOUT + "; its log " + log + " ends:\n" + tail());
            }
            try {
                process.onExit().get(100, TimeUnit.MILLISECONDS);
            } catch (TimeoutException stillRunning) {
                // poll again
            } catch (ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for Apicurio Registry", e);
            }
        }
    }

    private HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private String tail() {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
        } catch (IOException e) {
            return "(unreadable: " + e + ")";
        }
    }

    private static Path runnerJar() {
        Path home = Path.of(System.getProperty(HOME_PROPERTY, "target/apicurio")).toAbsolutePath().normalize();
        if (Files.isDirectory(home)) {
            try (DirectoryStream<Path> jars = Files.newDirectoryStream(home, "apicurio-registry-app-*-runner.jar")) {
                for (Path jar : jars) {
                    return jar;
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        throw new IllegalStateException("no Apicurio Registry at " + home + " (system property " + HOME_PROPERTY
                + "): the parent POM unpacks it in pre-integration-test, so run `mvn verify` from the top directory,"
                + " for one module with -pl <module> -am");
    }

    private static int[] freePorts(int n) {
        Map<Integer, ServerSocket> open = new LinkedHashMap<>();
        try {
            while (open.size() < n) {
                ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
                open.put(socket.getLocalPort(), socket);
            }
            return open.keySet().stream().mapToInt(Integer::intValue).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } finally {
            for (ServerSocket socket : open.values()) {
                try {
                    socket.close();
                } catch (IOException ignored) {
                    // probing only
                }
            }
        }
    }
}
