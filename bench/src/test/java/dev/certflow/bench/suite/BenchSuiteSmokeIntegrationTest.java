package dev.certflow.bench.suite;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Runs the whole suite in smoke mode (tiny sizes, one round) so the harness cannot rot: every row
 * of the table must come out with a number. Whether a figure meets its floor is not
 * asserted: CI machines are shared and noisy, and smoke sizes mean nothing.
 */
class BenchSuiteSmokeIntegrationTest {
    @Test
    void smokeRunPrintsEveryRowWithANumberAndWritesTheTable(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("latest.md");
        ByteArrayOutputStream printed = new ByteArrayOutputStream();
        List<Row> rows = BenchSuite.run(BenchSuite.parse(new String[]{"all", "--smoke", "--out", out.toString()}),
                new PrintStream(printed, true, StandardCharsets.UTF_8));

        for (String id : BenchSuite.ROWS) {
            assertThat(rows).as("rows of " + id).anyMatch(r -> r.id().startsWith(id));
        }
        assertThat(rows).allSatisfy(r -> {
            assertThat(r.note()).as(r.id() + " note").doesNotStartWith("not measured");
            assertThat(r.ours()).as(r.id() + " ours").containsPattern("\\d");
            assertThat(r.ratios()).as(r.id() + " ratios").isNotEmpty().allMatch(Double::isFinite);
        });
        String table = Files.readString(out);
        assertThat(table).contains("- command: `bench/run all --smoke", "- commit: ", "- machine: ", "load average",
                "| # | figure | ours | baseline | ratio (median) | spread | target | result | notes |");
        for (Row r : rows) {
            assertThat(table).contains("| " + r.id() + " | " + r.figure() + " | " + r.ours() + " |");
        }
        assertThat(printed.toString(StandardCharsets.UTF_8)).contains(table);
    }
}
