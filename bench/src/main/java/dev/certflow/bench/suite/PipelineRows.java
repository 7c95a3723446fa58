package dev.certflow.bench.suite;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.local.LocalStack;
import dev.certflow.events.Certificate;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.simulator.SimulatorOptions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * R5: the whole pipeline as {@code certflow local} runs it (simulator serving a fleet of N, ingest,
 * streams, sink with its views, the embedded schema registry), on the suite's broker and PostgreSQL,
 * from the moment the stack is up until every certificate the first polls published is a row of
 * the {@code certificates} view; against a raw producer and consumer moving as many of the corpus'
 * encoded certificate records (same bytes, same producer settings) through the same broker.
 */
final class PipelineRows {
    private PipelineRows() {
    }

    static Row run(Bench bench, Corpus corpus) throws Exception {
        int n = corpus.size();
        List<byte[][]> records = encoded(bench, corpus);
        List<Double> ours = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        Duration timeout = bench.settings().smoke() ? Duration.ofMinutes(2) : Duration.ofMinutes(20);
        StringBuilder polls = new StringBuilder();
        for (int r = 0; r < bench.settings().rounds(); r++) {
            polls.setLength(0);
            ours.add(pipeline(bench, n, timeout, polls));
            base.add(raw(bench, records));
            System.out.printf("R5 %s round %d: pipeline %s certificates/s into the views, raw producer+consumer %s records/s%n",
                    Stats.size(n), r + 1, Stats.num(ours.get(r)), Stats.num(base.get(r)));
        }
        List<Double> ratio = Stats.ratios(ours, base);
        return new Row("R5", "whole pipeline, simulator to views, certificates/s, " + Stats.size(n), Stats.num(Stats.median(ours)),
                Stats.num(Stats.median(base)), ratio, "≥ 0.25 (goal 0.30)", Stats.median(ratio) >= 0.25,
                "LocalStack (simulator speed 1, polls every 2 s) on the suite broker; baseline moves the corpus' Avro bytes; "
                        + "longest poll per source (last round): " + polls);
    }


    /** Certificates/s of one fresh stack: from started to the last published certificate in the view. */
    private static double pipeline(Bench bench, int n, Duration timeout, StringBuilder polls) throws Exception {
        String run = bench.unique("pipeline");
        String db = run.replace('-', '_');
        String url = bench.postgres().createDatabase(db);
        LocalStack.Options o = new LocalStack.Options();
        o.config = ConfigLoader.load(null, Map.of("BENCH_PG_PASSWORD", EmbeddedPostgresServer.PASSWORD), List.of(
                "kafka.bootstrapServers=" + bench.bootstrapServers(),
                "kafka.topicPrefix=" + run + ".",
                "ops.port=0",
                "streams.applicationId=bench-" + run,
                "sink.jdbcUrl=" + url,
                "sink.password=${BENCH_PG_PASSWORD}"));
        o.simulator = new SimulatorOptions().size(n).speed(1).pbxOutage(false);
        o.console = null;
        // timed from before the stack starts: its start waits until streams has caught up, and by then ingest has
        // published (and streams taken in) much of the fleet already
        long t0 = System.nanoTime();
        try (LocalStack stack = LocalStack.start(o);
             HikariDataSource ds = new HikariDataSource()) {
            ds.setJdbcUrl(url);
            ds.setUsername(EmbeddedPostgresServer.USER);
            ds.setPassword(EmbeddedPostgresServer.PASSWORD);
            ds.setMaximumPoolSize(1);
            MeterRegistry registry = stack.ops().registry();
            int sources = stack.simulator().sources().size();
            AtomicLong expected = new AtomicLong();
            boolean done = Bench.await(timeout, Duration.ofMillis(250), () -> {
                Set<String> polled = new HashSet<>();
                Search.in(registry).name("certflow.ingest.polls").counters().forEach(c -> {
                    if (!"failed".equals(c.getId().getTag("outcome")) && c.count() > 0) {
                        polled.add(c.getId().getTag("source"));
                    }
                });
                if (polled.size() < sources) {
                    return false;
                }
                expected.set((long) Search.in(registry).name("certflow.ingest.certificates.changed").counters().stream()
                        .mapToDouble(Counter::count).sum());
                return rows(ds) >= expected.get();
            });
            if (!done) {
                throw new IllegalStateException("after " + timeout + ": " + rows(ds) + " certificates in the view of " + expected.get()
                        + " published (" + n + " in the fleet)");
            }
            double rate = expected.get() / ((System.nanoTime() - t0) / 1e9);
            // which source's first poll the run waited for
            Search.in(registry).name("certflow.ingest.poll.duration").timers().stream()
                    .sorted(java.util.Comparator.comparing(t -> t.getId().getTag("source")))
                    .forEach(t -> polls.append(polls.length() == 0 ? "" : ", ").append(t.getId().getTag("source")).append(' ')
                            .append(String.format(java.util.Locale.ROOT, "%.1f s", t.max(java.util.concurrent.TimeUnit.MILLISECONDS) / 1000)));
            return rate;
        }
    }

    static long rows(HikariDataSource ds) {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM certificates")) {
            rs.next();
            return rs.getLong(1);
        } catch (SQLException e) {
            return -1;
        }
    }

    /** The corpus as the certificates topic carries it: key bytes and Avro value bytes. */
    private static List<byte[][]> encoded(Bench bench, Corpus corpus) {
        KafkaSettings kafka = bench.kafka("pipeline-corpus");
        var topic = kafka.topics().certificates();
        var ser = topic.valueSerde().serializer();
        List<byte[][]> out = new ArrayList<>(corpus.size());
        for (Certificate c : corpus.certificates()) {
            out.add(new byte[][]{CertificateKeys.format(c.getKey()).getBytes(StandardCharsets.UTF_8), ser.serialize(topic.name(), c)});
        }
        return out;
    }

    /** Records/s of a producer and a consumer moving the records through one fresh topic of the same shape as certificates. */
    static double raw(Bench bench, List<byte[][]> records) throws Exception {
        String run = bench.unique("raw");
        KafkaSettings kafka = bench.kafka(run);
        String topic = kafka.topicPrefix + "raw";
        new TopicManager(kafka).ensure(List.of(new TopicSpec("raw", 6, TopicSpec.Cleanup.DELETE, null, "bench", byte[].class, "bench", "bench")));
        Map<String, Object> cprops = kafka.consumer(run, "bench-raw-consumer");
        cprops.remove("group.id");
        try (var consumer = new KafkaConsumer<>(cprops, new ByteArrayDeserializer(), new ByteArrayDeserializer());
             var producer = new KafkaProducer<>(kafka.producer("bench-raw-producer"), new ByteArraySerializer(), new ByteArraySerializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            consumer.poll(Duration.ZERO);
            for (int p = 0; p < parts.size(); p++) {
                producer.send(new ProducerRecord<>(topic, p, new byte[0], new byte[0])).get(); // metadata and connections warm
            }
            long goal = records.size() + parts.size();
            long[] got = {0};
            long t0 = System.nanoTime();
            Thread sender = new Thread(() -> {
                for (byte[][] kv : records) {
                    producer.send(new ProducerRecord<>(topic, kv[0], kv[1]));
                }
                producer.flush();
            }, "bench-raw-producer");
            sender.start();
            long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
            while (got[0] < goal && System.nanoTime() < deadline) {
                got[0] += consumer.poll(Duration.ofMillis(100)).count();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            sender.join();
            if (got[0] < goal) {
                throw new IllegalStateException("raw consumer read " + got[0] + " of " + goal + " records");
            }
            return records.size() / seconds;
        }
    }
}
