package dev.certflow.bench.ingest;

import com.sun.net.httpserver.HttpServer;
import dev.certflow.events.PollOutcome;
import dev.certflow.ingest.Ingest;
import dev.certflow.ingest.PollResult;
import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.Secret;
import dev.certflow.embedded.kafka.EmbeddedKafkaBroker;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.TopicSpec;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;

import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.ZoneId;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;

/**
 * How many certificates per second ingest reads, normalises and publishes, from a local Yeastar
 * stub (JDK HTTP server, pre-rendered pages, so the stub costs little) into a real in-JVM broker.
 * Per round: a first poll (every certificate new: normalise, fingerprint, Avro, checkpoint, one
 * transaction per page), a re-poll (nothing changed: normalise + fingerprint only), and the baseline
 * measured in the same run: a plain idempotent acks=all producer sending the same number of records
 * of the same key and value size as the certificate records ingest wrote.
 *
 * <p>Also printed: the bytes the certificate records take on the broker, which is what the
 * producers' compression ({@code kafka.compressionType}) buys.
 *
 * <p>Args: {@code [certificates=20000] [pageSize=500] [rounds=3] [bootstrapServers|embedded] [compressionType=gzip]}.
 */
public final class IngestBenchmark {
    public static void main(String[] args) throws Exception {
        int n = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int pageSize = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        String bootstrap = args.length > 3 ? args[3] : "embedded";
        String compression = args.length > 4 ? args[4] : new KafkaSettings().compressionType;

        EmbeddedKafkaBroker broker = "embedded".equals(bootstrap) ? EmbeddedKafkaBroker.start() : null;
        String servers = broker != null ? broker.bootstrapServers() : bootstrap;
        HttpServer stub = yeastarStub(n, pageSize);
        String base = "http://127.0.0.1:" + stub.getAddress().getPort();
        System.out.printf(Locale.ROOT, "ingest benchmark: %d Yeastar certificates, pages of %d, %d rounds, broker %s, compression %s, %d cores%n",
                n, pageSize, rounds, broker != null ? "embedded " + servers : servers, compression, Runtime.getRuntime().availableProcessors());
        double[] first = new double[rounds];
        double[] bytesPerCertificate = new double[rounds];
        double[] repoll = new double[rounds];
        double[] baseline = new double[rounds];
        try {
            for (int r = 0; r < rounds; r++) {
                Round round = round(servers, base, n, pageSize, compression);
                first[r] = round.firstPoll();
                repoll[r] = round.repoll();
                baseline[r] = round.baseline();
                bytesPerCertificate[r] = round.bytesPerCertificate();
                System.out.printf(Locale.ROOT, "round %d: first poll %,.0f cert/s, re-poll %,.0f cert/s, baseline raw producer %,.0f rec/s "
                                + "(key %d B, value %d B; on the broker %.0f B per certificate record)%n",
                        r + 1, first[r], repoll[r], baseline[r], round.keySize(), round.valueSize(), bytesPerCertificate[r]);
            }
        } finally {
            stub.stop(0);
            if (broker != null) {
                broker.close();
            }
        }
        double f = median(first);
        double p = median(repoll);
        double b = median(baseline);
        System.out.printf(Locale.ROOT, "RESULT median: ingest first poll %,.0f certificates/s normalised+published; re-poll (unchanged) %,.0f certificates/s; "
                + "baseline raw producer %,.0f records/s; ratio ingest/baseline %.2f; compression %s: %.0f bytes per certificate on the broker%n",
                f, p, b, f / b, compression, median(bytesPerCertificate));
    }

    /** Settings with their own topic prefix and mock registry, and ingest's topics created under it. */
    static KafkaSettings freshTopics(String servers, String namePrefix) {
        KafkaSettings kafka = new KafkaSettings();
        kafka.bootstrapServers = servers;
        String id = namePrefix + Long.toHexString(ThreadLocalRandom.current().nextLong() & 0xffffffffL);
        kafka.schemaRegistryUrl = "mock://" + id;
        kafka.topicPrefix = id + ".";
        new TopicManager(kafka).ensure(Ingest.TOPICS);
        return kafka;
    }

    /**
     * One round's figures: certificates/s of the first poll and the re-poll, records/s of the raw producer.
     *
     * @param keySize   average key size of the certificate records ingest wrote (the baseline's too)
     * @param valueSize average value size of them (the baseline's too)
     */
    public record Round(double firstPoll, double repoll, double baseline, long keySize, long valueSize, double bytesPerCertificate) {
    }

    /**
     * One round on fresh topics: ingest's first poll and re-poll of the stub at {@code base}, then the raw
     * producer sending as many records of the same key and value size (the suite alternates them this way).
     */
    public static Round round(String servers, String base, int n, int pageSize, String compression) throws Exception {
        KafkaSettings kafka = freshTopics(servers, "bench-ingest-");
        kafka.compressionType = compression;
        String baselineTopic = kafka.topicPrefix + "baseline";
        // created now so its leaders are settled long before the baseline runs
        new TopicManager(kafka).ensure(List.of(new TopicSpec("baseline", 6, TopicSpec.Cleanup.DELETE, null, "bench", byte[].class, "bench", "nobody")));
        IngestConfig config = config(base, pageSize);
        long[] sizes;
        double first;
        double repoll;
        double bytesPerCertificate;
        try (Ingest ingest = Ingest.create(kafka, config, new SimpleMeterRegistry(), null, Ingest.Options.defaults())) {
            PollResult p1 = ingest.pollNow("pbx-bench");
            PollResult p2 = ingest.pollNow("pbx-bench");
            check(p1, n, n);
            check(p2, n, 0);
            first = n / seconds(p1.took());
            repoll = n / seconds(p2.took());
            sizes = recordSizes(kafka, kafka.topics().certificates().name());
            bytesPerCertificate = (double) logBytes(kafka, kafka.topics().certificates().name()) / n;
        }
        double baseline = rawProducer(kafka, baselineTopic, n, (int) sizes[0], (int) sizes[1]);
        return new Round(first, repoll, baseline, sizes[0], sizes[1], bytesPerCertificate);
    }

    static IngestConfig config(String base, int pageSize) {
        IngestConfig c = new IngestConfig();
        c.pollThreads = 1;
        YeastarSourceConfig y = new YeastarSourceConfig();
        y.name = "pbx-bench";
        y.baseUrl = base;
        y.allowedNetworks = List.of("127.0.0.0/8"); // the benchmark's upstream runs on loopback
        y.clientId = Secret.of("bench-client-id");
        y.clientSecret = Secret.of("bench-client-secret");
        y.zone = ZoneId.of("Europe/Berlin");
        y.pageSize = pageSize;
        y.requestTimeout = Duration.ofSeconds(30);
        c.sources = List.of(y);
        return c;
    }

    static void check(PollResult p, int seen, int changed) {
        if (p.outcome() != PollOutcome.SUCCESS || p.seen() != seen || p.changed() != changed) {
            throw new IllegalStateException("unexpected poll result " + p);
        }
    }

    static double seconds(Duration d) {
        return d.toNanos() / 1e9;
    }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    /** Average key and value size of the records on a topic. */
    static long[] recordSizes(KafkaSettings kafka, String topic) {
        Map<String, Object> props = kafka.consumer("unused", "bench-sizes");
        props.remove("group.id");
        long keys = 0;
        long values = 0;
        long count = 0;
        try (var consumer = new KafkaConsumer<>(props, new ByteArrayDeserializer(), new ByteArrayDeserializer())) {
            List<TopicPartition> parts = consumer.partitionsFor(topic).stream().map(p -> new TopicPartition(topic, p.partition())).toList();
            consumer.assign(parts);
            consumer.seekToBeginning(parts);
            Map<TopicPartition, Long> end = consumer.endOffsets(parts);
            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (parts.stream().anyMatch(tp -> consumer.position(tp) < end.get(tp)) && System.nanoTime() < deadline) {
                for (var rec : consumer.poll(Duration.ofMillis(200))) {
                    keys += rec.key().length;
                    values += rec.value().length;
                    count++;
                }
            }
        }
        return new long[]{keys / Math.max(1, count), values / Math.max(1, count)};
    }

    /** Bytes a topic's partitions take in the brokers' logs (batches as the producers compressed them). */
    static long logBytes(KafkaSettings kafka, String topic) throws Exception {
        try (Admin admin = Admin.create(kafka.admin("bench-log-size"))) {
            List<Integer> brokers = admin.describeCluster().nodes().get().stream().map(Node::id).toList();
            long bytes = 0;
            for (var dirs : admin.describeLogDirs(brokers).allDescriptions().get().values()) {
                for (var dir : dirs.values()) {
                    for (var replica : dir.replicaInfos().entrySet()) {
                        if (replica.getKey().topic().equals(topic)) {
                            bytes += replica.getValue().size();
                        }
                    }
                }
            }
            return bytes;
        }
    }

    /** Records per second of an idempotent acks=all producer (the same client settings ingest uses, minus transactions). */
    static double rawProducer(KafkaSettings kafka, String topic, int n, int keySize, int valueSize) throws Exception {
        byte[] value = new byte[valueSize];
        ThreadLocalRandom.current().nextBytes(value);
        try (var producer = new KafkaProducer<>(kafka.producer("bench-baseline"), new ByteArraySerializer(), new ByteArraySerializer())) {
            int partitions = producer.partitionsFor(topic).size();
            for (int p = 0; p < partitions; p++) {
                producer.send(new ProducerRecord<>(topic, p, new byte[keySize], value)).get(); // metadata, leaders and connection warm
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                byte[] key = String.format(Locale.ROOT, "%0" + keySize + "d", i).getBytes(StandardCharsets.UTF_8);
                producer.send(new ProducerRecord<>(topic, key, value));
            }
            producer.flush();
            return n / ((System.nanoTime() - t0) / 1e9);
        }
    }

    /** get_token and certificate/list with pre-rendered pages. */
    public static HttpServer yeastarStub(int n, int pageSize) throws Exception {
        // without TCP_NODELAY the JDK server's separate header and body writes meet the client's delayed ACK:
        // ~40 ms per response that would be charged to ingest
        System.setProperty("sun.net.httpserver.nodelay", "true");
        byte[] token = """
                {"errcode":0,"errmsg":"SUCCESS","access_token_expire_time":1800,"access_token":"benchaccesstoken",
                 "refresh_token_expire_time":86400,"refresh_token":"benchrefreshtoken"}""".getBytes(StandardCharsets.UTF_8);
        List<byte[]> pages = new ArrayList<>();
        for (int start = 0; start < n; start += pageSize) {
            StringBuilder sb = new StringBuilder("{\"errcode\":0,\"errmsg\":\"SUCCESS\",\"total_number\":").append(n).append(",\"certificate_list\":[");
            for (int i = start; i < Math.min(n, start + pageSize); i++) {
                if (i > start) {
                    sb.append(',');
                }
                int day = 1 + i % 28;
                int hour = 1 + i % 12;
                sb.append("{\"id\":").append(i + 1).append(",\"name\":\"host").append(i).append(".example.com.pem\",\"type\":\"server\",\"issue_to\":\"host")
                        .append(i).append(".example.com\",\"expiration\":\"2027/03/").append(day < 10 ? "0" : "").append(day).append(' ')
                        .append(hour < 10 ? "0" : "").append(hour).append(":15:00 ").append(i % 2 == 0 ? "AM" : "PM")
                        .append("\",\"ca_type\":\"apply\",\"auto_renewal\":1,\"dns_provider\":\"cloudflare\",\"apply_status\":\"issuance_success\",")
                        .append("\"auth_info_list\":[{\"k\":\"ApiToken\",\"sv\":\"secretvalue").append(i).append("\"},{\"k\":\"TTL\",\"iv\":600}]}");
            }
            pages.add(sb.append("]}").toString().getBytes(StandardCharsets.UTF_8));
        }
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(Executors.newFixedThreadPool(2, r -> {
            Thread t = new Thread(r, "yeastar-stub");
            t.setDaemon(true); // the benchmark's end is the JVM's end
            return t;
        }));
        server.createContext("/openapi/v1.0/get_token", ex -> {
            ex.getRequestBody().readAllBytes();
            respond(ex, token);
        });
        server.createContext("/openapi/v1.0/certificate/list", ex -> {
            String q = ex.getRequestURI().getRawQuery();
            int page = 1;
            for (String kv : q.split("&")) {
                if (kv.startsWith("page=")) {
                    page = Integer.parseInt(kv.substring(5));
                }
            }
            respond(ex, page >= 1 && page <= pages.size() ? pages.get(page - 1)
                    : ("{\"errcode\":0,\"errmsg\":\"SUCCESS\",\"total_number\":" + n + ",\"certificate_list\":[]}").getBytes(StandardCharsets.UTF_8));
        });
        server.start();
        return server;
    }

    private static void respond(com.sun.net.httpserver.HttpExchange ex, byte[] body) throws java.io.IOException {
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(200, body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }
}
