package dev.certflow.bench.suite;

import dev.certflow.events.Certificate;
import dev.certflow.embedded.TempDirs;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.Offsets;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.Topics;
import dev.certflow.streams.StreamsApp;
import dev.certflow.streams.StreamsProperties;
import dev.certflow.streams.StreamsSettings;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.Topology;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;

/**
 * R3 and R4 on one loaded input: the corpus plus half as many Zipf-skewed updates in
 * {@code certificates}; each round runs, on the same records, (a) certflow's topology under
 * exactly_once_v2 (the default), (b) a pass-through topology with the same serdes and the same
 * Kafka Streams properties, (c) certflow's topology under at_least_once. Throughput is input records
 * committed (the application's committed offsets on {@code certificates}) per second from RUNNING until
 * every input record is committed. The stream threads' {@code process-total} was not usable: it counts
 * records of the repartition and global topics too, and restarts from 0 when a thread is replaced.
 */
final class TopologyRows {
    private static final String PASSTHROUGH_OUT = "bench-passthrough";

    private TopologyRows() {
    }

    static List<Row> run(Bench bench, Corpus corpus, boolean r3, boolean r4) throws Exception {
        String run = bench.unique("topology");
        KafkaSettings kafka = bench.kafka(run);
        new TopicManager(kafka).ensure(Topics.ALL);
        new TopicManager(kafka).ensure(List.of(new TopicSpec(PASSTHROUGH_OUT, 6, TopicSpec.Cleanup.DELETE, null, "bench",
                Certificate.class, "bench", "nobody")));
        long total = load(kafka, corpus);
        if (!bench.settings().smoke()) {
            run(bench, kafka, "exactly_once_v2", false, Math.min(total, 2000), true); // warm-up: JIT, RocksDB library
        }
        List<Double> eos = new ArrayList<>();
        List<Double> pass = new ArrayList<>();
        List<Double> alos = new ArrayList<>();
        for (int r = 0; r < bench.settings().rounds(); r++) {
            eos.add(run(bench, kafka, "exactly_once_v2", false, total, false));
            if (r3) {
                pass.add(run(bench, kafka, "exactly_once_v2", true, total, false));
            }
            if (r4) {
                alos.add(run(bench, kafka, "at_least_once", false, total, false));
            }
            System.out.printf("R3/R4 %s round %d: certflow EOS %s, pass-through EOS %s, certflow ALOS %s records/s%n",
                    Stats.size(corpus.size()), r + 1, Stats.num(eos.get(r)), r3 ? Stats.num(pass.get(r)) : "-", r4 ? Stats.num(alos.get(r)) : "-");
        }
        String what = Stats.num(total) + " records (" + Stats.size(corpus.size()) + " certificates + Zipf updates), 6 partitions, 1 stream thread";
        List<Row> rows = new ArrayList<>();
        if (r3) {
            List<Double> ratio = Stats.ratios(eos, pass);
            rows.add(new Row("R3", "topology throughput, records/s, " + Stats.size(corpus.size()), Stats.num(Stats.median(eos)),
                    Stats.num(Stats.median(pass)), ratio, "≥ 0.50 (goal 0.60)", Stats.median(ratio) >= 0.50,
                    what + "; both exactly_once_v2, same serdes and properties"));
        }
        if (r4) {
            List<Double> ratio = Stats.ratios(eos, alos);
            rows.add(new Row("R4", "topology exactly_once_v2 vs at_least_once, records/s, " + Stats.size(corpus.size()),
                    Stats.num(Stats.median(eos)), Stats.num(Stats.median(alos)), ratio, "≥ 0.70 (goal 0.80)",
                    Stats.median(ratio) >= 0.70, what + "; each guarantee with its default commit interval (100 ms / 30 s)"));
        }
        return rows;
    }

    /** Produces the corpus and the updates; returns how many records. */
    static long load(KafkaSettings kafka, Corpus corpus) {
        Topics.Topic<String, Certificate> topic = kafka.topics().certificates();
        List<Certificate> updates = corpus.zipfUpdates(corpus.size() / 2);
        Map<String, Object> props = kafka.producer("bench-load");
        props.put("batch.size", 262144);
        props.put("linger.ms", 20);
        try (KafkaProducer<String, Certificate> p = new KafkaProducer<>(props, Serdes.String().serializer(), topic.valueSerde().serializer())) {
            for (Certificate c : corpus.certificates()) {
                p.send(new ProducerRecord<>(topic.name(), CertificateKeys.format(c.getKey()), c));
            }
            for (Certificate c : updates) {
                p.send(new ProducerRecord<>(topic.name(), CertificateKeys.format(c.getKey()), c));
            }
            p.flush();
        }
        return corpus.size() + updates.size();
    }

    /** Records/s of one fresh application over the first {@code records} records of the input. */
    private static double run(Bench bench, KafkaSettings kafka, String guarantee, boolean passThrough, long records, boolean warmUp)
            throws Exception {
        StreamsSettings s = new StreamsSettings();
        s.applicationId = bench.unique("bench-topology");
        s.processingGuarantee = guarantee;
        Path dir = Files.createTempDirectory("certflow-bench-streams-");
        s.stateDir = dir.toString();
        AutoCloseable closer;
        KafkaStreams streams;
        if (passThrough) {
            streams = new KafkaStreams(passThrough(kafka.topics(), kafka.topicPrefix + PASSTHROUGH_OUT),
                    StreamsProperties.of(kafka, s, null, null));
            streams.start();
            closer = () -> streams.close(Duration.ofSeconds(30));
        } else {
            StreamsApp app = StreamsApp.start(kafka, s, new SimpleMeterRegistry(), null, Time.SYSTEM);
            streams = app.streams();
            closer = app;
        }
        try {
            if (!Bench.await(Duration.ofMinutes(2), Duration.ofMillis(5), () -> streams.state() == KafkaStreams.State.RUNNING)) {
                throw new IllegalStateException("Kafka Streams not RUNNING within 2 minutes (" + streams.state() + ")");
            }
            long t0 = System.nanoTime();
            Duration timeout = warmUp ? Duration.ofMinutes(2) : Duration.ofMinutes(20);
            try (Admin admin = Admin.create(kafka.admin("bench-committed"))) {
                Map<TopicPartition, Long> ends = Offsets.ends(admin, List.of(kafka.topics().certificates().name()));
                if (!Bench.await(timeout, Duration.ofMillis(20), () -> committed(admin, s.applicationId, ends) >= records)) {
                    throw new IllegalStateException("committed " + committed(admin, s.applicationId, ends)
                            + " of " + records + " input records within " + timeout);
                }
            }
            return records / ((System.nanoTime() - t0) / 1e9);
        } finally {
            closer.close();
            TempDirs.deleteRecursively(dir);
        }
    }

    /** Source to sink with the certificate serdes, nothing in between: what any topology with these serdes costs at least. */
    static Topology passThrough(Topics topics, String outTopic) {
        Topics.Topic<String, Certificate> in = topics.certificates();
        Topology t = new Topology();
        t.addSource("bench-passthrough-source", Serdes.String().deserializer(), in.valueSerde().deserializer(), in.name());
        t.addSink("bench-passthrough-sink", outTopic, Serdes.String().serializer(), in.valueSerde().serializer(), "bench-passthrough-source");
        return t;
    }

    /** Input records up to {@code ends} the application has committed: the records it is done with. */
    static long committed(Admin admin, String applicationId, Map<TopicPartition, Long> ends) {
        try {
            return ends.values().stream().mapToLong(Long::longValue).sum() - Offsets.behind(admin, applicationId, ends);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted reading " + applicationId + "'s offsets", e);
        } catch (ExecutionException | TimeoutException e) {
            return 0; // the group is not there yet, or the broker is slow: the poll asks again
        }
    }
}
