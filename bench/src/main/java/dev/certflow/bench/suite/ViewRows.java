package dev.certflow.bench.suite;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.bench.sink.ViewUpsertBench;
import dev.certflow.events.Certificate;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.views.ViewTables;
import dev.certflow.sink.views.ViewWriter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.postgresql.PGConnection;

import java.io.StringReader;
import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * R6: the sink's view writer ({@link ViewWriter#write}: Avro decoding, in-batch de-duplication,
 * {@code INSERT ... ON CONFLICT DO UPDATE}, the offsets row, one transaction per batch of 500) into
 * a {@code certificates} table that already holds every other key (50 % of the rows conflict),
 * against a plain batched INSERT of as many rows into the same, empty table through the same
 * {@code reWriteBatchedInserts} pool; COPY of the same rows (one COPY and commit per batch) is
 * reported beside it. The three alternate within each round.
 */
final class ViewRows {
    private static final int BATCH = 500;

    private ViewRows() {
    }

    static Row run(Bench bench, Corpus corpus) throws Exception {
        int n = corpus.size();
        String run = bench.unique("views");
        KafkaSettings kafka = bench.kafka(run);
        var topic = kafka.topics().certificates();
        var ser = topic.valueSerde().serializer();
        List<Certificate> certs = corpus.certificates();
        List<Certificate> half = new ArrayList<>();
        List<ConsumerRecord<String, byte[]>> encoded = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            Certificate c = certs.get(i);
            if (i % 2 == 0) {
                half.add(Certificate.newBuilder(c).setStatus("previous").build());
            }
            encoded.add(new ConsumerRecord<>(topic.name(), 0, i, CertificateKeys.format(c.getKey()), ser.serialize(topic.name(), c)));
        }
        List<Double> ours = new ArrayList<>();
        List<Double> plain = new ArrayList<>();
        List<Double> copy = new ArrayList<>();
        try (HikariDataSource ds = bench.database(run)) {
            SinkConfig config = new SinkConfig();
            config.groupId = run;
            ViewWriter writer = new ViewWriter(kafka, config, ds, new SimpleMeterRegistry(), FaultHook.NONE);
            int warm = Math.min(n, 2000);
            if (!bench.settings().smoke()) {
                round(ds, writer, topic.name(), encoded.subList(0, warm), half.subList(0, warm / 2), certs.subList(0, warm)); // warm-up
            }
            for (int r = 0; r < bench.settings().rounds(); r++) {
                double[] f = round(ds, writer, topic.name(), encoded, half, certs);
                ours.add(f[0]);
                plain.add(f[1]);
                copy.add(f[2]);
                System.out.printf("R6 %s round %d: view writer (50 %% conflicts) %s rows/s, batched INSERT %s rows/s, COPY %s rows/s%n",
                        Stats.size(n), r + 1, Stats.num(f[0]), Stats.num(f[1]), Stats.num(f[2]));
            }
        }
        List<Double> ratio = Stats.ratios(ours, plain);
        return new Row("R6", "view upserts, rows/s, 50 % conflicts, " + Stats.size(n), Stats.num(Stats.median(ours)),
                Stats.num(Stats.median(plain)), ratio, "≥ 0.50 (goal 0.60)", Stats.median(ratio) >= 0.50,
                "COPY " + Stats.num(Stats.median(copy)) + " rows/s (ours / COPY " + Stats.fmt(Stats.median(Stats.ratios(ours, copy)))
                        + "); batches of " + BATCH + ", one transaction each");
    }

    /** {ours, plain INSERT, COPY} rows/s. */
    private static double[] round(HikariDataSource ds, ViewWriter writer, String topic, List<ConsumerRecord<String, byte[]>> encoded,
                                  List<Certificate> existing, List<Certificate> certs) throws Exception {
        int n = encoded.size();
        ViewUpsertBench.truncate(ds);
        ViewUpsertBench.statements(ds, ViewTables.CERTIFICATES.plainInsertSql(), existing, BATCH);
        long t = System.nanoTime();
        for (int from = 0; from < n; from += BATCH) {
            var part = encoded.subList(from, Math.min(n, from + BATCH));
            writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(topic, 0), part), Map.of()), null);
        }
        double ours = n / ((System.nanoTime() - t) / 1e9);
        ViewUpsertBench.truncate(ds);
        t = System.nanoTime();
        ViewUpsertBench.statements(ds, ViewTables.CERTIFICATES.plainInsertSql(), certs, BATCH);
        double plain = n / ((System.nanoTime() - t) / 1e9);
        ViewUpsertBench.truncate(ds);
        t = System.nanoTime();
        copy(ds, certs);
        double copy = n / ((System.nanoTime() - t) / 1e9);
        return new double[]{ours, plain, copy};
    }

    /** COPY ... FROM STDIN of the rows the view binder would bind, one COPY and commit per batch. */
    private static void copy(HikariDataSource ds, List<Certificate> certs) throws Exception {
        String insert = ViewTables.CERTIFICATES.plainInsertSql();
        String columns = insert.substring(insert.indexOf('(') + 1, insert.indexOf(") VALUES"));
        columns = columns.substring(0, columns.lastIndexOf(", updated_at")); // the column's default, as now() in the INSERT
        try (Connection c = ds.getConnection()) {
            c.setAutoCommit(false);
            var copy = c.unwrap(PGConnection.class).getCopyAPI();
            String sql = "COPY certificates (" + columns + ") FROM STDIN";
            for (int from = 0; from < certs.size(); from += BATCH) {
                StringBuilder text = new StringBuilder();
                for (Certificate cert : certs.subList(from, Math.min(certs.size(), from + BATCH))) {
                    text.append(copyLine(c, cert));
                }
                copy.copyIn(sql, new StringReader(text.toString()));
                c.commit();
            }
        }
    }

    /** One row in COPY's text format, the values captured from the view binder through a recording statement. */
    private static String copyLine(Connection c, Certificate cert) throws Exception {
        List<String> values = new ArrayList<>();
        PreparedStatement recorder = (PreparedStatement) Proxy.newProxyInstance(ViewRows.class.getClassLoader(),
                new Class<?>[]{PreparedStatement.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getConnection" -> {
                            return c;
                        }
                        case "setNull" -> values.add(null);
                        case "setString", "setObject", "setArray", "setBoolean", "setInt", "setLong" ->
                                values.add(args[1] == null ? null : args[1] instanceof Boolean b ? (b ? "t" : "f") : args[1].toString());
                        default -> throw new UnsupportedOperationException(method.getName());
                    }
                    return null;
                });
        ViewTables.CERTIFICATES.binder().bind(recorder, CertificateKeys.format(cert.getKey()), cert, null, 0, 0);
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                line.append('\t');
            }
            String v = values.get(i);
            line.append(v == null ? "\\N" : v.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r"));
        }
        return line.append('\n').toString();
    }

}
