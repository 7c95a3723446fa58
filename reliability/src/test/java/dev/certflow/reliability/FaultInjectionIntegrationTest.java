package dev.certflow.reliability;

import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * The fault-injection suite (issue 14's table): the broker, ingest, streams and sink run as child JVMs
 * ({@code local/target/certflow.jar}) over a simulated fleet held at one instant, and each row breaks
 * them on purpose, at moments drawn from a seeded {@link Random}; every trial then compares
 * {@code certificate-alerts} (read_committed), the PostgreSQL views and the webhook receiver with the
 * {@link FleetOracle}. {@code -Dreliability.trials=N} trials per row (1 in {@code mvn verify}, 20 with
 * {@code reliability/run --full}), {@code -Dreliability.rows=1,4} some rows only,
 * {@code -Dreliability.seed=S} replays a trial (trial i of a row uses S + i).
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class FaultInjectionIntegrationTest {
    private static final Logger LOG = LoggerFactory.getLogger(FaultInjectionIntegrationTest.class);
    private static final int TRIALS = Integer.getInteger("reliability.trials", 1);
    private static final int FLEET = Integer.getInteger("reliability.fleet", 120);
    private static final Duration SETTLE = Duration.ofMinutes(3);
    private static final Set<String> ROWS = rows();

    private static Path root;
    private static Broker broker;
    private static EmbeddedPostgresServer postgres;
    private static Results results;
    private static int trialCounter;

    @BeforeAll
    static void startBroker() throws Exception {
        root = Path.of("target", "reliability").toAbsolutePath();
        Files.createDirectories(root);
        results = new Results(Path.of(System.getProperty("reliability.results", root.resolve("results.md").toString())));
        postgres = TestPostgres.server();
        broker = new Broker(root.resolve("broker-" + ProcessHandle.current().pid()), root.resolve("broker.log"), Map.of()).start();
    }

    @AfterAll
    static void stopBroker() throws Exception {
        if (broker != null) {
            broker.close();
        }
    }

    private static Set<String> rows() {
        String s = System.getProperty("reliability.rows", "");
        return s.isBlank() ? Set.of() : Arrays.stream(s.split(",")).map(String::strip).collect(Collectors.toSet());
    }

    private static void only(String row) {
        assumeTrue(ROWS.isEmpty() ? !row.equals("0") : ROWS.contains(row), "row " + row + " not asked for (-Dreliability.rows)");
    }

    /** A trial: seeded, logged, its verdict recorded. */
    interface Body {
        /** Runs the fault on a started pipeline; returns the seconds until everything was ready again. */
        double run(Pipeline p, Random random) throws Exception;
    }

    private void trials(String row, String description, Body body) throws Exception {
        only(row);
        long base = Long.getLong("reliability.seed", System.nanoTime() & 0xffffffffL);
        List<Results.Trial> mine = new ArrayList<>();
        for (int i = 0; i < TRIALS; i++) {
            long seed = base + i;
            String name = "r" + row + "t" + (++trialCounter) + "s" + seed;
            LOG.info("row {} trial {} of {}: seed {} (replay: -Dreliability.rows={} -Dreliability.seed={} -Dreliability.trials=1)",
                    row, i + 1, TRIALS, seed, row, seed);
            Results.Trial t;
            try (Pipeline p = new Pipeline(name, root.resolve(name), broker, postgres, seed, FLEET, c -> { })) {
                p.start();
                double recovered = body.run(p, new Random(seed));
                Verdict v = Verdict.await(p, SETTLE, true);
                boolean passed = v.clean() && recovered <= 60;
                t = new Results.Trial(row, seed, v, recovered, passed, recovered > 60 ? "recovered after " + recovered + " s" : "");
                LOG.info("row {} seed {}: {} (recovered within {} s) -> {}", row, seed, v.summary(), recovered, passed ? "pass" : "FAIL");
            }
            mine.add(t);
            results.add(row, description, t);
        }
        List<String> failed = mine.stream().filter(t -> !t.passed())
                .map(t -> "seed " + t.seed() + ": " + t.note() + " " + t.verdict().summary()).toList();
        assertThat(failed).as("row %s: failed trials (of %d)", row, mine.size()).isEmpty();
    }

    @Test
    @Order(0)
    void row0_noFault_theOracleHolds() throws Exception {
        trials("0", "no fault (the oracle against a quiet run)", (p, r) -> 0);
    }

    @Test
    @Order(1)
    void row1_streamsKilledAtRandomMoments() throws Exception {
        trials("1", "streams kill -9 at random moments (1-3 kills while the first polls are processed), restarted", (p, r) -> {
            double recovered = 0;
            int kills = 1 + r.nextInt(3);
            for (int k = 0; k < kills; k++) {
                Thread.sleep(r.nextInt(4000)); // the fault's moment, not a wait for Kafka
                p.streams.kill();
                p.streams.start();
                recovered = Math.max(recovered, Pipeline.awaitReady(p.streams, Duration.ofMinutes(2)));
            }
            return recovered;
        });
    }
}
