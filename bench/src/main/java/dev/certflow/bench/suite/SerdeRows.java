package dev.certflow.bench.suite;

import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.ChainedOptionsBuilder;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;
import org.openjdk.jmh.runner.options.VerboseMode;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * R1: runs {@link SerdeBench} under JMH once per round (each run measures the four methods one
 * after the other, so ours and plain alternate within a round) and takes the ratio per round.
 */
final class SerdeRows {
    private SerdeRows() {
    }

    static List<Row> run(Bench bench) throws Exception {
        boolean smoke = bench.settings().smoke();
        List<Double> ow = new ArrayList<>();
        List<Double> pw = new ArrayList<>();
        List<Double> or = new ArrayList<>();
        List<Double> pr = new ArrayList<>();
        for (int r = 0; r < bench.settings().rounds(); r++) {
            ChainedOptionsBuilder o = new OptionsBuilder().include(SerdeBench.class.getName() + "\\.")
                    .verbosity(VerboseMode.SILENT).shouldFailOnError(true);
            if (smoke) {
                o.forks(0).warmupIterations(1).warmupTime(TimeValue.milliseconds(200)).measurementIterations(1)
                        .measurementTime(TimeValue.milliseconds(300));
            } else {
                o.forks(1).warmupIterations(3).warmupTime(TimeValue.seconds(1)).measurementIterations(5)
                        .measurementTime(TimeValue.seconds(1)).jvmArgs("-Xmx512m");
            }
            if (Bench.jfrDir != null && !smoke) {
                o.addProfiler("jfr", "dir=" + Bench.jfrDir.resolve("r1-round-" + (r + 1)));
            }
            Map<String, Double> score = new HashMap<>();
            for (RunResult result : new Runner(o.build()).run()) {
                String name = result.getParams().getBenchmark();
                score.put(name.substring(name.lastIndexOf('.') + 1), result.getPrimaryResult().getScore());
            }
            ow.add(score.get("oursWrite"));
            pw.add(score.get("plainWrite"));
            or.add(score.get("oursRead"));
            pr.add(score.get("plainRead"));
            System.out.printf("R1 round %d: write ours %s / plain %s, read ours %s / plain %s records/s%n", r + 1,
                    Stats.num(ow.get(r)), Stats.num(pw.get(r)), Stats.num(or.get(r)), Stats.num(pr.get(r)));
        }
        String how = smoke ? "JMH forks 0, 1 x 300 ms (smoke)" : "JMH 1 fork, 3 x 1 s warm-up, 5 x 1 s measured, per round";
        List<Double> wr = Stats.ratios(ow, pw);
        List<Double> rr = Stats.ratios(or, pr);
        return List.of(
                new Row("R1w", "serde write, records/s (JMH, 1,000 corpus records)", Stats.num(Stats.median(ow)), Stats.num(Stats.median(pw)),
                        wr, "≥ 0.90 (goal 0.95)", Stats.median(wr) >= 0.90, how),
                new Row("R1r", "serde read, records/s (JMH, 1,000 corpus records)", Stats.num(Stats.median(or)), Stats.num(Stats.median(pr)),
                        rr, "≥ 0.85 (goal 0.95)", Stats.median(rr) >= 0.85, how));
    }
}
