package dev.certflow.bench.suite;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.sink.SinkDatabase;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.common.TopicPartition;

import java.io.File;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * What every row shares: the settings, the one in-JVM broker and the one embedded PostgreSQL, and
 * the helpers to get fresh topic prefixes, databases and child JVMs on them.
 */
public final class Bench {
    /** How a suite run is shaped. */
    public record Settings(boolean smoke, List<Integer> sizes, int rounds, Path out, Set<String> only, int bigSize,
                           Duration bigTimeout, Path repo, String command, Path jfr) {
        /** Whether a row (R1 ... P1) is to run. */
        public boolean runs(String id) {
            return only.isEmpty() || only.contains(id);
        }
    }

    private final Settings settings;
    private final EmbeddedKafkaBroker broker;
    private final EmbeddedPostgresServer postgres;
    private final AtomicInteger ids = new AtomicInteger();
    /** Where child JVMs write their flight recordings (null: not recorded). */
    static volatile Path jfrDir;
    private static final AtomicInteger CHILDREN = new AtomicInteger();

    Bench(Settings settings, EmbeddedKafkaBroker broker, EmbeddedPostgresServer postgres) {
        this.settings = settings;
        this.broker = broker;
        this.postgres = postgres;
    }

    public Settings settings() {
        return settings;
    }

    public String bootstrapServers() {
        return broker.bootstrapServers();
    }

    public EmbeddedPostgresServer postgres() {
        return postgres;
    }

    /** A name no other run of this suite has used ({@code r3-7}). */
    public String unique(String base) {
        return base + "-" + ids.incrementAndGet();
    }

    /** Kafka settings on the suite's broker under a fresh topic prefix, with an in-memory registry of its own. */
    public KafkaSettings kafka(String run) {
        KafkaSettings k = new KafkaSettings();
        k.bootstrapServers = broker.bootstrapServers();
        k.schemaRegistryUrl = "mock://bench-" + run;
        k.topicPrefix = run + ".";
        return k;
    }

    /** A fresh, migrated database on the suite's PostgreSQL (the sink's own pool settings). */
    public HikariDataSource database(String run) {
        String url = postgres.createDatabase(run.replace('-', '_'));
        HikariDataSource ds = SinkDatabase.dataSource(url, EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, 4);
        SinkDatabase.migrate(ds);
        return ds;
    }

    /** A child JVM on this JVM's classpath running {@code mainClass}; {@code jvmArgs} first; flight-recorded under {@code --jfr}. */
    public static ProcessBuilder childJvm(List<String> jvmArgs, String mainClass, List<String> args) {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.addAll(jvmArgs);
        Path jfr = jfrDir;
        if (jfr != null) {
            String name = mainClass.substring(mainClass.lastIndexOf('.') + 1) + (args.isEmpty() ? "" : "-" + args.get(0));
            cmd.add("-XX:StartFlightRecording=settings=profile,filename=" + jfr.resolve("child-" + CHILDREN.incrementAndGet() + "-" + name + ".jfr"));
        }
        cmd.add("-Djava.io.tmpdir=" + System.getProperty("java.io.tmpdir"));
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        return new ProcessBuilder(cmd).directory(new File(System.getProperty("user.dir")));
    }

    /** Waits for a condition, polling every {@code every}; false when the deadline passed first. */
    public static boolean await(Duration timeout, Duration every, BooleanSupplier done) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            TimeUnit.NANOSECONDS.sleep(every.toNanos()); // polling an external condition with a deadline
        }
        return true;
    }

    /** End offsets of a topic's partitions. */
    public Map<TopicPartition, Long> endOffsets(KafkaSettings kafka, String topic) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("bench-offsets"))) {
            return Offsets.ends(admin, List.of(topic));
        }
    }
}
