package dev.certflow.bench.suite;

import com.sun.net.httpserver.HttpServer;
import dev.certflow.bench.ingest.IngestBenchmark;
import dev.certflow.runtime.config.KafkaSettings;

import java.util.ArrayList;
import java.util.List;

/**
 * R2: ingest's first poll (page, normalise, fingerprint, Avro, checkpoint, transactions) from
 * {@link IngestBenchmark}'s pre-rendered Yeastar stub, against the raw producer of as many records
 * of the same key and value size with the same producer settings, alternating per round.
 */
final class IngestRows {
    private IngestRows() {
    }

    static Row run(Bench bench, int size) throws Exception {
        int pageSize = 500;
        String compression = new KafkaSettings().compressionType;
        HttpServer stub = IngestBenchmark.yeastarStub(size, pageSize);
        List<Double> ours = new ArrayList<>();
        List<Double> base = new ArrayList<>();
        long[] recordSize = new long[2];
        try {
            String url = "http://127.0.0.1:" + stub.getAddress().getPort();
            if (!bench.settings().smoke()) {
                HttpServer warm = IngestBenchmark.yeastarStub(2000, pageSize);
                try {
                    IngestBenchmark.round(bench.bootstrapServers(), "http://127.0.0.1:" + warm.getAddress().getPort(), 2000, pageSize, compression);
                } finally {
                    warm.stop(0);
                }
            }
            for (int r = 0; r < bench.settings().rounds(); r++) {
                IngestBenchmark.Round round = IngestBenchmark.round(bench.bootstrapServers(), url, size, pageSize, compression);
                ours.add(round.firstPoll());
                base.add(round.baseline());
                recordSize[0] = round.keySize();
                recordSize[1] = round.valueSize();
                System.out.printf("R2 %s round %d: first poll %s certificates/s, raw producer %s records/s%n", Stats.size(size), r + 1,
                        Stats.num(round.firstPoll()), Stats.num(round.baseline()));
            }
        } finally {
            stub.stop(0);
        }
        List<Double> ratios = Stats.ratios(ours, base);
        return new Row("R2", "ingest first poll, certificates/s, " + Stats.size(size), Stats.num(Stats.median(ours)),
                Stats.num(Stats.median(base)), ratios, "≥ 0.40 (goal 0.50)", Stats.median(ratios) >= 0.40,
                "Yeastar pages of " + pageSize + "; baseline: idempotent acks=all producer, same linger/batch/" + compression
                        + ", records of " + recordSize[0] + " + " + recordSize[1] + " B");
    }
}
