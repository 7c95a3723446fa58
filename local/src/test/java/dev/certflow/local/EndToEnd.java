package dev.certflow.local;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpServer;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.simulator.SimClock;
import dev.certflow.simulator.SimulatorOptions;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import static org.awaitility.Awaitility.await;

/** What the end-to-end runs of the one-JVM stack share: the alert recorder, the stack's options, reading the views. */
final class EndToEnd {
    static final ObjectMapper JSON = new ObjectMapper();

    private EndToEnd() {
    }

    /** A webhook receiver on loopback that keeps every alert it is sent. */
    static final class Recorder implements AutoCloseable {
        final List<JsonNode> received = new CopyOnWriteArrayList<>();
        private final HttpServer server;

        Recorder() throws IOException {
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 16);
            server.createContext("/hook", exchange -> {
                received.add(JSON.readTree(exchange.getRequestBody()));
                exchange.sendResponseHeaders(200, -1);
                exchange.close();
            });
            server.start();
        }

        String url() {
            return "http://127.0.0.1:" + server.getAddress().getPort() + "/hook";
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /**
     * Holds the simulated clock while the pipeline lags the speed, so a machine too loaded for it loses no
     * simulated days: at 200,000x a stall of half a real second is more than a day, most of a healthy
     * renewal's margin before the 2-day grace ends. Lagging is Kafka Streams behind its input for 200 ms
     * (two of its commit intervals; records on the topics it reads that it has not committed:
     * {@link LocalStack#streamsBacklog()}), or a source whose last poll succeeded not having finished another
     * for one and a half poll intervals (a source that is failing, as in the scripted outage, is left to its
     * backoff). Checks every 20 ms; releases when nothing lags.
     */
    static final class ClockGovernor implements AutoCloseable {
        private final SimClock clock;
        private final LocalStack stack;
        private final long pollLateNanos;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "e2e-clock-governor");
            t.setDaemon(true);
            return t;
        });
        /** Per source: ok polls, failed polls, when either last changed (nanoTime). */
        private final Map<String, long[]> polls = new HashMap<>();
        private long behindSince = -1;
        private long heldSince = -1;
        private long heldNanos;
        private int holds;
        private int pollHolds;

        ClockGovernor(LocalStack stack, Duration pollInterval) {
            this.stack = stack;
            this.clock = stack.simulator().clock();
            this.pollLateNanos = pollInterval.toNanos() * 3 / 2;
            timer.scheduleWithFixedDelay(this::check, 20, 20, TimeUnit.MILLISECONDS);
        }

        private synchronized void check() {
            long now = System.nanoTime();
            long backlog;
            try {
                backlog = stack.streamsBacklog();
            } catch (Exception e) {
                return; // the stack is closing
            }
            if (backlog > 0) {
                if (behindSince < 0) {
                    behindSince = now;
                }
            } else {
                behindSince = -1;
            }
            boolean streamsBehind = behindSince >= 0 && now - behindSince >= TimeUnit.MILLISECONDS.toNanos(200);
            boolean pollLate = pollLate(now);
            if (streamsBehind || pollLate) {
                if (heldSince < 0) {
                    clock.hold();
                    heldSince = now;
                    holds++;
                    if (pollLate) {
                        pollHolds++;
                    }
                }
            } else if (heldSince >= 0) {
                heldNanos += now - heldSince;
                heldSince = -1;
                clock.release();
            }
        }

        private boolean pollLate(long now) {
            Map<String, long[]> counts = new HashMap<>();
            io.micrometer.core.instrument.search.Search.in(stack.ops().registry()).name("certflow.ingest.polls").counters().forEach(c -> {
                long[] v = counts.computeIfAbsent(c.getId().getTag("source"), k -> new long[2]);
                v["failed".equalsIgnoreCase(c.getId().getTag("outcome")) ? 1 : 0] += (long) c.count();
            });
            boolean late = false;
            for (var e : counts.entrySet()) {
                long[] seen = polls.get(e.getKey());
                long ok = e.getValue()[0];
                long failed = e.getValue()[1];
                if (seen == null || seen[0] != ok || seen[1] != failed) {
                    // the last change says whether the source is healthy: only a healthy one is waited for
                    polls.put(e.getKey(), new long[]{ok, failed, now, seen != null && seen[1] != failed ? 1 : 0});
                } else if (seen[3] == 0 && now - seen[2] > pollLateNanos) {
                    late = true;
                }
            }
            return late;
        }

        /** How long and how often the clock was held. */
        synchronized String report() {
            return String.format("simulated clock held %d times (%d of them for a late poll), %.1f s in all, while the pipeline caught up", holds, pollHolds, heldNanos / 1e9);
        }

        @Override
        public void close() {
            timer.shutdownNow();
            clock.release();
        }
    }

    /** A stack on free ports, a simulated fleet at 1440x polled every second, alerts to the recorder only. */
    static LocalStack.Options options(Recorder recorder, int fleetSize, Consumer<ObjectNode> moreConfig) {
        return options(recorder, fleetSize, moreConfig, Map.of("E2E_WEBHOOK_SECRET", "e2e-webhook-secret"));
    }

    /** The same, the configuration's {@code ${VAR}} references resolved from {@code env} (it must set E2E_WEBHOOK_SECRET). */
    static LocalStack.Options options(Recorder recorder, int fleetSize, Consumer<ObjectNode> moreConfig, Map<String, String> env) {
        ObjectNode root = JSON.createObjectNode();
        root.putObject("ops").put("port", 0).put("host", "127.0.0.1");
        ObjectNode channel = root.putObject("sink").putArray("channels").addObject().put("name", "recorder").put("type", "webhook")
                .put("url", recorder.url()).put("secret", "${E2E_WEBHOOK_SECRET}");
        // the recorder listens on loopback, which the outbound guard refuses unless a channel allows it
        dev.certflow.simulator.Simulator.LOOPBACK_NETWORKS.forEach(channel.putArray("allowedNetworks")::add);
        moreConfig.accept(root);
        LocalStack.Options options = new LocalStack.Options();
        options.config = ConfigLoader.fromTree(root, env);
        options.simulator = new SimulatorOptions().size(fleetSize).seed(7).speed(1440);
        options.simulatedPollInterval = Duration.ofSeconds(1);
        options.console = null;
        return options;
    }

    /**
     * The old fixed thresholds (30, 14, 7, 1 days, no renewal policy): the day profile's CROSSES_30D/14D/7D/1D
     * certificates are crossings of exactly those.
     */
    static void fixedThresholds(ObjectNode root) {
        ObjectNode streams = root.putObject("streams");
        streams.putArray("thresholdDays").add(30).add(14).add(7).add(1);
        streams.putObject("renewal").put("enabled", false);
    }

    /**
     * Waits until every alert the recorder got is in PostgreSQL's alert history too, and the history
     * has nothing the channel should have sent (the RESOLVED of a step that escalated is recorded,
     * not notified: the next step's FIRING carries the incident).
     */
    static void awaitDeliveredAndRecorded(LocalStack stack, Recorder recorder) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofSeconds(3)).until(() -> {
            int before = recorder.received.size();
            return before > 0 && notifiedHistory(stack.jdbcUrl()).size() == before;
        });
    }

    /** {@code alert_id status} of every alert_history row a channel notifies. */
    static List<String> notifiedHistory(String jdbcUrl) throws Exception {
        return rows(jdbcUrl, "SELECT alert_id, status FROM alert_history WHERE resolution IS DISTINCT FROM 'ESCALATED'");
    }

    /** Alerts by certificate key, or {@code source:<source name>} for source alerts. */
    static Map<String, List<JsonNode>> byKey(List<JsonNode> alerts) {
        Map<String, List<JsonNode>> byKey = new LinkedHashMap<>();
        for (JsonNode alert : alerts) {
            String key = alert.path("certificateKey").isTextual() ? alert.get("certificateKey").asText()
                    : "source:" + alert.path("source").asText();
            byKey.computeIfAbsent(key, k -> new ArrayList<>()).add(alert);
        }
        return byKey;
    }

    static List<String> kindsAndStatuses(List<JsonNode> alerts) {
        return alerts.stream().map(a -> a.get("kind").asText() + " " + a.get("status").asText()).toList();
    }

    /** {@code alert_id status} of every row in alert_history. */
    static List<String> alertHistory(String jdbcUrl) throws Exception {
        return rows(jdbcUrl, "SELECT alert_id, status FROM alert_history");
    }

    private static List<String> rows(String jdbcUrl, String query) throws Exception {
        List<String> out = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(query)) {
            while (rs.next()) {
                out.add(rs.getString(1) + " " + rs.getString(2));
            }
        }
        return out;
    }

    static Set<String> certificateKeys(String jdbcUrl) throws Exception {
        Set<String> out = new HashSet<>();
        try (Connection c = DriverManager.getConnection(jdbcUrl, "postgres", "postgres"); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT cert_key FROM certificates")) {
            while (rs.next()) {
                out.add(rs.getString(1));
            }
        }
        return out;
    }
}
