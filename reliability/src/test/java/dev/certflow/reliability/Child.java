package dev.certflow.reliability;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One {@code certflow} command ({@code java -jar certflow.jar <command> ...}) as a child JVM that a
 * trial can kill with SIGKILL, stop with SIGTERM, freeze with SIGSTOP and start again with the same
 * arguments. Its output goes to a log file (appended across restarts) and is kept line by line for
 * {@link #await(String)}.
 */
final class Child implements AutoCloseable {
    private static final Pattern OPS_URL = Pattern.compile("(https?://[0-9.]+:\\d+)(?:/metrics| \\(/health)");
    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

    final String name;
    private final List<String> command;
    private final Map<String, String> env;
    private final Path log;
    private volatile Process process;
    private volatile List<String> lines = new CopyOnWriteArrayList<>();
    private int starts;

    Child(String name, String heap, Map<String, String> env, Path log, String... args) {
        this.name = name;
        this.env = env;
        this.log = log;
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // small heaps, one GC thread, C1 only: five of these share 2 cores with other builds
        command = new ArrayList<>(List.of(java, "-Xmx" + heap, "-XX:+UseSerialGC", "-XX:TieredStopAtLevel=1", "-Xss512k",
                "-jar", jar().toString()));
        command.addAll(List.of(args));
    }

    /** {@code local/target/certflow.jar}, what {@code ./certflow} runs. */
    static Path jar() {
        Path jar = Path.of(System.getProperty("reliability.jar", "../local/target/certflow.jar"));
        if (!Files.isRegularFile(jar)) {
            throw new IllegalStateException(jar.toAbsolutePath() + " is missing: build it in the reactor (mvn -B -pl reliability -am verify)");
        }
        return jar;
    }

    /** Starts the command (again, after a kill or stop); its output from now on is what {@link #await} reads. */
    synchronized Child start() throws IOException {
        if (process != null && process.isAlive()) {
            throw new IllegalStateException(name + " is already running");
        }
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        pb.environment().putAll(env);
        pb.environment().putIfAbsent("CERTFLOW_LOG_LEVEL", "INFO");
        lines = new CopyOnWriteArrayList<>();
        List<String> mine = lines;
        Process p = pb.start();
        process = p;
        starts++;
        int generation = starts;
        Thread reader = new Thread(() -> {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
                 PrintWriter out = new PrintWriter(Files.newBufferedWriter(log, StandardCharsets.UTF_8,
                         StandardOpenOption.CREATE, StandardOpenOption.APPEND), true)) {
                out.println("==== start " + generation + " (pid " + p.pid() + ")");
                for (String line; (line = in.readLine()) != null; ) {
                    mine.add(line);
                    out.println(line);
                }
                out.println("==== ended " + generation);
            } catch (IOException ignored) {
                // the process ended
            }
        }, "child-" + name);
        reader.setDaemon(true);
        reader.start();
        return this;
    }

    long pid() {
        return process.pid();
    }

    boolean alive() {
        return process != null && process.isAlive();
    }

    /** kill -9, and wait until it is gone. */
    void kill() throws InterruptedException {
        Process p = process;
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
    }

    /** SIGTERM (a graceful shutdown), waiting up to {@code timeout}; false if it had to be killed. */
    boolean terminate(Duration timeout) throws InterruptedException {
        Process p = process;
        p.destroy();
        if (p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
            return true;
        }
        p.destroyForcibly();
        p.waitFor(30, TimeUnit.SECONDS);
        return false;
    }

    /** SIGSTOP: the JVM is frozen, its sockets stay open. */
    void freeze() throws Exception {
        signal("STOP");
    }

    /** SIGCONT. */
    void thaw() throws Exception {
        signal("CONT");
    }

    private void signal(String signal) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid())).inheritIO().start();
        if (kill.waitFor() != 0) {
            throw new IllegalStateException("kill -" + signal + " " + pid() + " failed");
        }
    }

    /** The first group of the first output line (of the current run) matching {@code regex}, waiting up to 3 minutes. */
    String await(String regex) throws InterruptedException {
        Pattern p = Pattern.compile(regex);
        long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(3);
        while (System.nanoTime() < deadline) {
            for (String l : lines) {
                Matcher m = p.matcher(l);
                if (m.find()) {
                    return m.groupCount() > 0 ? m.group(1) : m.group();
                }
            }
            if (!process.isAlive() && process.exitValue() >= 0 && lines.stream().noneMatch(l -> p.matcher(l).find())) {
                throw new IllegalStateException("certflow " + name + " exited (" + process.exitValue() + ") before printing /" + regex
                        + "/:\n" + tail(40));
            }
            Thread.sleep(100);
        }
        throw new IllegalStateException("certflow " + name + " has not printed /" + regex + "/ within 3 minutes:\n" + tail(40));
    }

    /** The ops endpoint of the current run, e.g. {@code http://127.0.0.1:41234}. */
    String opsUrl() throws InterruptedException {
        return await(OPS_URL.pattern());
    }

    /** The HTTP status of {@code path} on the ops endpoint, or -1 when it does not answer. */
    int status(String path) {
        try {
            String base = currentOpsUrl();
            if (base == null) {
                return -1;
            }
            HttpResponse<Void> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(3)).build(),
                    HttpResponse.BodyHandlers.discarding());
            return r.statusCode();
        } catch (IOException e) {
            return -1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /** The body of {@code path} on the ops endpoint of the current run (e.g. {@code /metrics}); fails when it does not answer 200. */
    String body(String path) throws IOException, InterruptedException {
        String base = currentOpsUrl();
        if (base == null) {
            throw new IllegalStateException("certflow " + name + " has printed no ops endpoint yet");
        }
        HttpResponse<String> r = HTTP.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() != 200) {
            throw new IllegalStateException("certflow " + name + " answered " + r.statusCode() + " to " + path);
        }
        return r.body();
    }

    /** The current run's output lines so far. */
    List<String> output() {
        return List.copyOf(lines);
    }

    private String currentOpsUrl() {
        for (String l : lines) {
            Matcher m = OPS_URL.matcher(l);
            if (m.find()) {
                return m.group(1);
            }
        }
        return null;
    }

    /** Whether the current run's output has a line matching {@code regex}. */
    boolean printed(String regex) {
        Pattern p = Pattern.compile(regex);
        return lines.stream().anyMatch(l -> p.matcher(l).find());
    }

    String tail(int n) {
        List<String> l = lines;
        return String.join("\n", l.subList(Math.max(0, l.size() - n), l.size()));
    }

    @Override
    public void close() throws InterruptedException {
        Process p = process;
        if (p != null && p.isAlive()) {
            try {
                thaw(); // a frozen child ignores SIGTERM until it runs again
            } catch (Exception ignored) {
                // already gone
            }
            terminate(Duration.ofSeconds(20));
        }
    }
}
