package dev.certflow.local;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.certflow.cli.Main;
import dev.certflow.simulator.SimulatedSource;
import dev.certflow.simulator.Simulator;
import dev.certflow.simulator.SimulatorOptions;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * {@code promtool check metrics} (Prometheus's own linter, Debian's {@code prometheus} package) has
 * nothing to say about certflow's metrics on the {@code /metrics} of every command: {@code broker},
 * {@code ingest}, {@code streams}, {@code sink} and {@code local}, each started as its own process
 * the way a user starts it, polling a simulated fleet until the lazily registered meters (per
 * source, per alert kind, per channel) exist. Only the {@code certflow_*} families are held to it;
 * what promtool says about the libraries' families (JVM, Kafka clients) is written to
 * {@code target/promtool-report.txt}. Skipped only when promtool is absent.
 */
class PromtoolMetricsIntegrationTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String PROMTOOL = System.getenv().getOrDefault("PROMTOOL_BIN", "promtool");
    private static final Set<String> SECRET_KEYS = Set.of("token", "clientId", "clientSecret");
    private static final String PG_PASSWORD_ENV = "PROMTOOL_TEST_PG_PASSWORD";
    private static final Pattern OPS_URL = Pattern.compile("(https?://[0-9.]+:\\d+)(?:/metrics| \\(/health)");

    private static final List<String> INGEST = List.of("certflow_ingest_polls_total", "certflow_ingest_certificates_seen_total",
            "certflow_ingest_certificates_changed_total", "certflow_ingest_certificates_removed_total",
            "certflow_ingest_attempts_published_total", "certflow_ingest_last_success_age_seconds");
    private static final List<String> STREAMS = List.of("certflow_streams_alerts_fired_total", "certflow_streams_alerts_resolved_total",
            "certflow_streams_tick_duration_seconds", "certflow_streams_table_size");
    private static final List<String> SINK = List.of("certflow_sink_view_rows_upserted_total", "certflow_sink_deliveries_total",
            "certflow_sink_consumer_lag");

    @TempDir
    Path dir;
    private final List<Process> children = new ArrayList<>();
    private final Map<String, String> secretEnv = new HashMap<>();
    private Simulator simulator;
    private final HttpClient http = HttpClient.newHttpClient();

    @AfterEach
    void stop() throws Exception {
        for (int i = children.size() - 1; i >= 0; i--) { // the broker, started first, stops last
            Process p = children.get(i);
            p.destroy();
            if (!p.waitFor(60, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
        }
        if (simulator != null) {
            simulator.close();
        }
    }

    @Test
    void promtoolFindsNothingToSayAboutCertflowMetricsOnAnyCommand() throws Exception {
        assumeTrue(ExternalTools.available(PROMTOOL) || Files.isExecutable(Path.of(PROMTOOL)),
                "promtool is absent: install it with 'apt-get install -y prometheus' (or set PROMTOOL_BIN); skipping");

        Child broker = start("broker", Map.of(), "broker", "--port", "0", "--registry-port", "0", "--create-topics", "--ops-port", "0");
        String bootstrap = broker.await("bootstrap servers\\s*:\\s*(\\S+)");
        String registry = broker.await("schema registry\\s*:\\s*(https?://\\S+)");

        simulator = Simulator.start(new SimulatorOptions().size(60).seed(5).speed(1440));
        Path config = dir.resolve("certflow.yaml");
        Files.writeString(config, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(config(bootstrap, registry))); // JSON is YAML
        Map<String, String> env = new HashMap<>(secretEnv);
        env.put(PG_PASSWORD_ENV, "postgres");
        Map<String, Child> commands = new LinkedHashMap<>();
        commands.put("broker", broker);
        for (String command : List.of("ingest", "streams", "sink")) {
            commands.put(command, start(command, env, command, "--config", config.toString()));
        }
        commands.put("local", start("local", Map.of(), "local", "--kafka-port", "0", "--registry-port", "0", "--size", "60",
                "--set", "ops.port=0", "--set", "ops.host=127.0.0.1"));

        Map<String, List<String>> expected = Map.of("broker", List.of(), "ingest", INGEST, "streams", STREAMS, "sink", SINK,
                "local", concat(INGEST, STREAMS, SINK));
        StringBuilder problems = new StringBuilder();
        StringBuilder report = new StringBuilder();
        for (var e : commands.entrySet()) {
            String command = e.getKey();
            String url = e.getValue().awaitOpsUrl() + "/metrics";
            // lint once the meters registered on first use are there (polls, alerts fired and resolved, deliveries)
            Child child = e.getValue();
            await().atMost(Duration.ofMinutes(3)).pollInterval(Duration.ofSeconds(2)).untilAsserted(() -> {
                String scraped;
                try {
                    scraped = scrape(url);
                } catch (java.io.IOException notUp) { // retried; the failure shows the command's own output
                    throw new AssertionError("certflow " + command + " (" + (child.process.isAlive() ? "running" : "exited " + child.process.exitValue())
                            + ") does not answer on " + url + ": " + notUp + "\n" + ExternalTools.tail(String.join("\n", child.lines), 40));
                }
                assertThat(families(scraped)).as(command + " " + url + " families").containsAll(expected.get(command));
            });
            String body = scrape(url);
            String own = certflowOnly(body);
            Set<String> ownFamilies = families(own);
            assertThat(ownFamilies.isEmpty()).as(command + ": certflow families on /metrics").isEqualTo(command.equals("broker"));
            ExternalTools.Result lint = promtool(own);
            if (lint.exitCode() != 0 || !lint.output().isBlank()) {
                problems.append("\n  certflow ").append(command).append(" (").append(ownFamilies.size()).append(" certflow families), promtool exit ")
                        .append(lint.exitCode()).append(":\n").append(lint.output().strip().indent(4));
            }
            ExternalTools.Result all = promtool(body);
            report.append("== certflow ").append(command).append(": ").append(families(body).size()).append(" families, ")
                    .append(ownFamilies.size()).append(" certflow_*; promtool on the whole body: exit ").append(all.exitCode()).append('\n')
                    .append(all.output().strip()).append("\n\n");
        }
        Files.writeString(Path.of("target", "promtool-report.txt"), report.toString());
        System.out.println("promtool on the whole /metrics bodies (libraries included):\n" + report);
        assertThat(problems.toString()).as("promtool check metrics on certflow's own families").isEmpty();
    }

    private ObjectNode config(String bootstrap, String registry) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("kafka").put("bootstrapServers", bootstrap).put("schemaRegistryUrl", registry);
        root.putObject("ops").put("host", "127.0.0.1").put("port", 0);
        ArrayNode sources = root.putObject("ingest").putArray("sources");
        for (SimulatedSource s : simulator.sources()) {
            ObjectNode node = sources.addObject().put("kind", s.kind()).put("name", s.name()).put("baseUrl", s.baseUrl()).put("pollInterval", "1s");
            dev.certflow.simulator.Simulator.LOOPBACK_NETWORKS.forEach(node.putArray("allowedNetworks")::add);
            s.settings().forEach((k, v) -> {
                if (k.equals("departmentIds")) {
                    ArrayNode ids = node.putArray(k);
                    for (String id : v.split(",")) {
                        ids.add(id);
                    }
                } else if (SECRET_KEYS.contains(k)) {
                    // secrets by reference, never inline
                    String var = ("PROMTOOL_TEST_" + s.name() + "_" + k).toUpperCase(Locale.ROOT).replaceAll("[^A-Z0-9]", "_");
                    secretEnv.put(var, v);
                    node.put(k, "${" + var + "}");
                } else {
                    node.put(k, v);
                }
            });
        }
        root.putObject("streams").put("applicationId", TestKafka.uniqueId("promtool-streams")).put("stateDir", dir.resolve("streams-state").toString());
        ObjectNode sink = root.putObject("sink").put("jdbcUrl", TestPostgres.freshDatabase()).put("password", "${" + PG_PASSWORD_ENV + "}")
                .put("groupId", TestKafka.uniqueId("promtool-sink"));
        sink.putArray("channels").addObject().put("name", "console").put("type", "console");
        return root;
    }

    private String scrape(String url) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(url).isEqualTo(200);
        return r.body();
    }

    private ExternalTools.Result promtool(String body) throws Exception {
        return ExternalTools.run(dir, Duration.ofSeconds(60), body.getBytes(StandardCharsets.UTF_8), PROMTOOL, "check", "metrics");
    }

    /** The lines of the certflow_* families: their HELP, TYPE and samples. */
    static String certflowOnly(String body) {
        StringBuilder sb = new StringBuilder();
        for (String line : body.split("\n")) {
            String name = familyOf(line);
            if (name != null && name.startsWith("certflow_")) {
                sb.append(line).append('\n');
            }
        }
        return sb.toString();
    }

    /** The metric name a text-format line is about, or null for other comments and blank lines. */
    private static String familyOf(String line) {
        if (line.startsWith("# HELP ") || line.startsWith("# TYPE ")) {
            String rest = line.substring(7);
            int sp = rest.indexOf(' ');
            return sp < 0 ? rest : rest.substring(0, sp);
        }
        if (line.isBlank() || line.startsWith("#")) {
            return null;
        }
        int end = 0;
        while (end < line.length() && line.charAt(end) != '{' && line.charAt(end) != ' ') {
            end++;
        }
        return line.substring(0, end);
    }

    /** Families declared by TYPE lines. */
    private static Set<String> families(String body) {
        Set<String> out = new TreeSet<>();
        for (String line : body.split("\n")) {
            if (line.startsWith("# TYPE ")) {
                out.add(familyOf(line));
            }
        }
        return out;
    }

    @SafeVarargs
    private static List<String> concat(List<String>... lists) {
        List<String> out = new ArrayList<>();
        for (List<String> l : lists) {
            out.addAll(l);
        }
        return out;
    }

    /** One certflow command running as its own JVM, its output collected line by line. */
    private final class Child {
        final String name;
        final Process process;
        final List<String> lines = new CopyOnWriteArrayList<>();

        Child(String name, Process process) {
            this.name = name;
            this.process = process;
            Thread reader = new Thread(() -> {
                try (BufferedReader in = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = in.readLine()) != null; ) {
                        lines.add(line);
                    }
                } catch (Exception ignored) {
                    // the process ended
                }
            }, "child-" + name);
            reader.setDaemon(true);
            reader.start();
        }

        /** The first group of the first output line matching {@code regex}. */
        String await(String regex) {
            Pattern p = Pattern.compile(regex);
            String[] found = new String[1];
            org.awaitility.Awaitility.await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
                assertThat(process.isAlive() || lines.stream().anyMatch(l -> p.matcher(l).find()))
                        .as("certflow %s exited (%s):%n%s", name, process.isAlive() ? "running" : process.exitValue(), ExternalTools.tail(String.join("\n", lines), 40))
                        .isTrue();
                for (String l : lines) {
                    Matcher m = p.matcher(l);
                    if (m.find()) {
                        found[0] = m.group(1);
                        return;
                    }
                }
                throw new AssertionError("certflow " + name + " has not printed /" + regex + "/ yet");
            });
            return found[0];
        }

        String awaitOpsUrl() {
            return await(OPS_URL.pattern());
        }
    }

    private Child start(String name, Map<String, String> env, String... args) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        List<String> command = new ArrayList<>(List.of(java, "-Xmx384m", "-cp", System.getProperty("java.class.path"), Main.class.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true).directory(dir.toFile());
        pb.environment().putAll(env);
        Process p = pb.start();
        children.add(p);
        return new Child(name, p);
    }
}
