package dev.certflow.bench.sink;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateType;
import dev.certflow.events.ExpiryStatus;
import dev.certflow.events.IssuanceMethod;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.embedded.postgres.EmbeddedPostgresServer;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.sink.views.ViewTables;
import dev.certflow.sink.views.ViewWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Rows per second of the sink's view writes into {@code certificates}, against a plain batched
 * INSERT into the same table, in the same run on the same embedded PostgreSQL:
 * <ol>
 *   <li>baseline: plain {@code INSERT} batches (no conflict handling) into an empty table;</li>
 *   <li>upsert, insert path: {@code INSERT ... ON CONFLICT DO UPDATE} batches into an empty table;</li>
 *   <li>upsert, update path: the same keys again with new values (every row conflicts);</li>
 *   <li>the whole view writer path ({@link ViewWriter#write}): Avro decoding, in-batch key
 *       de-duplication, upsert and the offsets row, one transaction per batch.</li>
 * </ol>
 * Usage: {@code ViewUpsertBench [rows=20000] [batch=500] [rounds=3]}; each figure is the median of the rounds.
 */
public final class ViewUpsertBench {
    private ViewUpsertBench() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int batch = args.length > 1 ? Integer.parseInt(args[1]) : 500;
        int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 3;
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        List<Certificate> certs = new ArrayList<>(rows);
        List<Certificate> updated = new ArrayList<>(rows);
        for (int i = 0; i < rows; i++) {
            Certificate c = certificate(i, now, now.plus(Duration.ofDays(1 + i % 400)));
            certs.add(c);
            Certificate u = certificate(i, now.plusSeconds(60), now.plus(Duration.ofDays(400 + i % 400)));
            u.setCommonName("renewed-" + i + ".example.com");
            updated.add(u);
        }
        try (EmbeddedPostgresServer pg = EmbeddedPostgresServer.start();
             HikariDataSource ds = SinkDatabase.dataSource(pg.createDatabase("bench"), EmbeddedPostgresServer.USER, EmbeddedPostgresServer.PASSWORD, 2)) {
            SinkDatabase.migrate(ds);
            KafkaSettings kafka = new KafkaSettings();
            kafka.schemaRegistryUrl = "mock://bench";
            kafka.topicPrefix = "bench.";
            var topic = kafka.topics().certificates();
            var ser = topic.valueSerde().serializer();
            List<ConsumerRecord<String, byte[]>> encoded = new ArrayList<>(rows);
            for (int i = 0; i < rows; i++) {
                encoded.add(new ConsumerRecord<>(topic.name(), 0, i, CertificateKeys.format(certs.get(i).getKey()), ser.serialize(topic.name(), certs.get(i))));
            }
            SinkConfig config = new SinkConfig();
            config.groupId = "bench";
            ViewWriter writer = new ViewWriter(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE);

            // warm-up: JIT, statement plans, table files
            truncate(ds);
            statements(ds, ViewTables.CERTIFICATES.plainInsertSql(), certs.subList(0, Math.min(2000, rows)), batch);
            truncate(ds);
            statements(ds, ViewTables.CERTIFICATES.upsertSql(), certs.subList(0, Math.min(2000, rows)), batch);

            double[] plain = new double[rounds];
            double[] upsertNew = new double[rounds];
            double[] upsertExisting = new double[rounds];
            double[] viewWriter = new double[rounds];
            for (int r = 0; r < rounds; r++) {
                truncate(ds);
                plain[r] = rate(rows, () -> statements(ds, ViewTables.CERTIFICATES.plainInsertSql(), certs, batch));
                truncate(ds);
                upsertNew[r] = rate(rows, () -> statements(ds, ViewTables.CERTIFICATES.upsertSql(), certs, batch));
                upsertExisting[r] = rate(rows, () -> statements(ds, ViewTables.CERTIFICATES.upsertSql(), updated, batch));
                truncate(ds);
                viewWriter[r] = rate(rows, () -> {
                    for (int from = 0; from < rows; from += batch) {
                        var part = encoded.subList(from, Math.min(rows, from + batch));
                        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(topic.name(), 0), part), Map.of()), null);
                    }
                });
            }
            double base = median(plain);
            System.out.printf("certflow sink view benchmark: %d rows into certificates, batches of %d, median of %d rounds, PostgreSQL %s%n",
                    rows, batch, rounds, "17 (embedded)");
            System.out.printf("  plain batched INSERT (baseline)      %,10.0f rows/s%n", base);
            System.out.printf("  upsert, new keys                     %,10.0f rows/s   ratio %.2f%n", median(upsertNew), median(upsertNew) / base);
            System.out.printf("  upsert, existing keys (updates)      %,10.0f rows/s   ratio %.2f%n", median(upsertExisting), median(upsertExisting) / base);
            System.out.printf("  view writer (decode+dedupe+offsets)  %,10.0f rows/s   ratio %.2f%n", median(viewWriter), median(viewWriter) / base);
        }
    }

    private interface Work {
        void run() throws Exception;
    }

    private static double rate(int rows, Work work) throws Exception {
        long t = System.nanoTime();
        work.run();
        return rows / ((System.nanoTime() - t) / 1e9);
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s[s.length / 2];
    }

    public static void truncate(HikariDataSource ds) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement()) {
            s.execute("TRUNCATE certificates, kafka_offsets");
        }
    }

    /** Batches of the given statement, one transaction per batch (as the view writer commits per poll). */
    public static void statements(HikariDataSource ds, String sql, List<Certificate> certs, int batch) throws Exception {
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            try (PreparedStatement ps = c.prepareStatement(sql)) {
                int n = 0;
                for (Certificate cert : certs) {
                    ViewTables.CERTIFICATES.binder().bind(ps, CertificateKeys.format(cert.getKey()), cert, null, 0, 0);
                    ps.addBatch();
                    if (++n % batch == 0) {
                        ps.executeBatch();
                        c.commit();
                    }
                }
                ps.executeBatch();
                c.commit();
            }
        }
    }

    private static Certificate certificate(int i, Instant observed, Instant notAfter) {
        return Certificate.newBuilder()
                .setKey(CertificateKeys.of(SourceKind.SMOXY, "smoxy-" + (i % 5), "tenant-" + (i % 50), "cert-" + i))
                .setName("cert-" + i).setCommonName("cert-" + i + ".example.com").setSans(List.of("cert-" + i + ".example.com", "www.cert-" + i + ".example.com"))
                .setType(CertificateType.TLS_SERVER).setExpiryStatus(ExpiryStatus.KNOWN).setNotAfter(notAfter).setNotAfterRaw(notAfter.toString())
                .setIssuanceMethod(IssuanceMethod.ACME).setAutoRenewal(true).setStatus("active").setObservedAt(observed)
                .setAttributes(Map.of("zone", "eu-" + (i % 3)))
                .build();
    }
}
