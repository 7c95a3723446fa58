package dev.certflow.bench.suite;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class BenchSuiteTest {
    @Test
    void parsesSizesModesAndRows() {
        Bench.Settings s = BenchSuite.parse(new String[]{"all", "--full", "--sizes", "10k,100k,1m", "--rounds", "5", "--only", "r2,R6",
                "--big-size", "100k", "--big-timeout", "5m"});
        assertThat(s.smoke()).isFalse();
        assertThat(s.sizes()).containsExactly(10_000, 100_000, 1_000_000);
        assertThat(s.rounds()).isEqualTo(5);
        assertThat(s.runs("R2")).isTrue();
        assertThat(s.runs("R3")).isFalse();
        assertThat(s.bigSize()).isEqualTo(100_000);
        assertThat(s.bigTimeout()).isEqualTo(Duration.ofMinutes(5));
        assertThat(s.command()).isEqualTo("bench/run all --full --sizes 10k,100k,1m --rounds 5 --only r2,R6 --big-size 100k --big-timeout 5m");
    }

    @Test
    void smokeDefaultsAreTinyAndOneRound() {
        Bench.Settings s = BenchSuite.parse(new String[]{"--smoke"});
        assertThat(s.sizes()).containsExactly(2000);
        assertThat(s.rounds()).isEqualTo(1);
        assertThat(s.runs("P1")).isTrue();
    }

    @Test
    void refusesUnknownOptionsAndRows() {
        assertThatThrownBy(() -> BenchSuite.parse(new String[]{"--fast"})).hasMessageContaining("unknown option '--fast'");
        assertThatThrownBy(() -> BenchSuite.parse(new String[]{"--only", "R9"})).hasMessageContaining("no row 'R9'");
    }

    @Test
    void readsExpiryTickBenchResultLines() {
        // the lines ExpiryTickBench prints (see its printf formats); T1 depends on exactly these
        assertThat(TickRows.TICK.matcher("RESULT store=1,000,000 changed=1,000  tick median 240.1 ms (re-evaluates, ...)").find()).isTrue();
        assertThat(TickRows.IDLE.matcher("RESULT idle tick (nothing due) median 0.340 ms  |  full scan / idle tick = 5747x").find()).isTrue();
        assertThat(TickRows.CAUGHT_UP.matcher("streams caught up in 12.5 s (80000 certificates/s)").find()).isTrue();
    }

    @Test
    void ratiosMediansAndSpread() {
        Row r = new Row("R9", "x", "1", "2", List.of(0.5, 0.7, 0.6), "t", true, "");
        assertThat(r.median()).isEqualTo(0.6);
        assertThat(r.spread()).isEqualTo("0.50–0.70");
        assertThat(Stats.size(1_000_000)).isEqualTo("1M");
        assertThat(Stats.size(10_000)).isEqualTo("10k");
    }

    @Test
    void corpusIsDeterministicAndTheUpdatesAreSkewed() {
        Corpus a = Corpus.of(1000);
        assertThat(a.certificates()).isEqualTo(Corpus.of(1000).certificates());
        List<dev.certflow.events.Certificate> updates = a.zipfUpdates(5000);
        long distinct = updates.stream().map(c -> c.getKey()).distinct().count();
        // Zipf(1.1) over 1,000 keys: a few hundred distinct keys take 5,000 updates, the hottest far more than 5 of them
        assertThat(distinct).isLessThan(800);
        long hottest = updates.stream().collect(java.util.stream.Collectors.groupingBy(c -> c.getKey(), java.util.stream.Collectors.counting()))
                .values().stream().mapToLong(Long::longValue).max().orElse(0);
        assertThat(hottest).isGreaterThan(200);
    }
}
