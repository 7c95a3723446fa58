package dev.certflow.bench.suite;

import java.util.List;

/**
 * One line of the suite's table: a figure, ours against its baseline, the ratio's median and
 * spread over the interleaved rounds, the target and whether it was met.
 *
 * @param id       the row id (R1 ... P1), with a suffix where a row has several lines
 * @param figure   what is measured, with the fleet size
 * @param ours     our figure, formatted
 * @param baseline the baseline figure, formatted ("—" where the issue has none)
 * @param ratios   one ratio (or the value compared with the target) per round
 * @param target   the floor / goal as the issue states it
 * @param pass     whether the floor is met
 * @param note     what limits it, how it was measured, or why a number is missing
 */
public record Row(String id, String figure, String ours, String baseline, List<Double> ratios, String target, boolean pass,
                  String note) {

    /** Median of the per-round ratios (NaN when there are none). */
    public double median() {
        return Stats.median(ratios);
    }

    /** "min–max" of the per-round ratios. */
    public String spread() {
        if (ratios.size() < 2) {
            return "—";
        }
        return Stats.fmt(Stats.min(ratios)) + "–" + Stats.fmt(Stats.max(ratios));
    }

    /** A row for a figure that could not be measured: it has no number and fails. */
    public static Row failed(String id, String figure, String target, Throwable e) {
        String why = e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage());
        return new Row(id, figure, "n/a", "n/a", List.of(), target, false, "not measured: " + why.replace('|', '/').replace('\n', ' '));
    }
}
