package dev.certflow.bench.suite;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Locale;

/** The table as Markdown, headed by the command, the commit and the machine. */
final class Report {
    private Report() {
    }

    static String markdown(Bench.Settings s, List<Row> rows, Instant started, String loadStart, String loadEnd) {
        StringBuilder sb = new StringBuilder();
        sb.append("# certflow benchmark results\n\n");
        sb.append("- command: `").append(s.command().trim()).append("`\n");
        sb.append("- mode: ").append(s.smoke() ? "smoke (figures not meaningful)" : "full").append(", sizes ")
                .append(String.join(", ", s.sizes().stream().map(Stats::size).toList())).append(", ").append(s.rounds())
                .append(" round(s) per pair, M1/P1 at ").append(Stats.size(s.bigSize())).append('\n');
        sb.append("- date: ").append(started.truncatedTo(ChronoUnit.SECONDS)).append(", took ")
                .append(Duration.between(started, Instant.now()).toSeconds()).append(" s\n");
        sb.append("- commit: ").append(Machine.commit(s.repo())).append('\n');
        sb.append("- machine: ").append(Machine.cores()).append(" cores (nproc), ").append(Machine.memory()).append(" memory, load average ")
                .append(loadStart).append(" at start, ").append(loadEnd).append(" at end; ").append(Machine.jdk()).append('\n');
        sb.append("\n| # | figure | ours | baseline | ratio (median) | spread | target | result | notes |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|\n");
        for (Row r : rows) {
            sb.append("| ").append(r.id()).append(" | ").append(r.figure()).append(" | ").append(r.ours()).append(" | ").append(r.baseline())
                    .append(" | ").append(r.ratios().isEmpty() ? "n/a" : Stats.fmt(r.median())).append(" | ").append(r.spread())
                    .append(" | ").append(r.target()).append(" | ").append(r.pass() ? "pass" : "**fail**").append(" | ")
                    .append(r.note()).append(" |\n");
        }
        sb.append(String.format(Locale.ROOT, "%n%d rows, %d pass, %d fail. Ratios are ours / baseline per round (ABAB on the same broker and records); "
                + "spread is min–max over the rounds.%n", rows.size(), rows.stream().filter(Row::pass).count(),
                rows.stream().filter(r -> !r.pass()).count()));
        return sb.toString();
    }
}
