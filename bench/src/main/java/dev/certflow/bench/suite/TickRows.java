package dev.certflow.bench.suite;

import dev.certflow.bench.streams.ExpiryTickBench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * T1 through its one public entry point, {@link ExpiryTickBench#main}: one child JVM per fleet
 * size (the benchmark brings its own broker and moves its own clock), whose printed figures are
 * read back.
 *
 * <p>HOOK (for the lead, after merging the renewal-aware streams work): this class depends only on
 * the lines {@link #TICK}, {@link #IDLE} and {@link #CAUGHT_UP} match. If ExpiryTickBench gains a
 * method returning its figures, call it here instead of parsing; if it prints a per-update cost of
 * its own, use that for {@code T1-transition} instead of the catch-up rate.
 */
final class TickRows {
    /** {@code RESULT store=1,000,000 changed=1,000  tick median 240.1 ms ...} */
    static final Pattern TICK = Pattern.compile("RESULT store=([\\d,]+) changed=([\\d,]+)\\s+tick median ([\\d.]+) ms");
    /** {@code RESULT idle tick (nothing due) median 0.340 ms} */
    static final Pattern IDLE = Pattern.compile("RESULT idle tick \\(nothing due\\) median ([\\d.]+) ms");
    /** {@code streams caught up in 12.3 s (81234 certificates/s)}: every certificate once through the certificate processor. */
    static final Pattern CAUGHT_UP = Pattern.compile("streams caught up in ([\\d.]+) s \\(([\\d.]+) certificates/s\\)");

    private TickRows() {
    }

    /** One child run's figures. */
    record Tick(int size, int changed, double tickMs, double idleMs, double updatesPerSecond, String log) {
    }

    /** Starts the child for one size; {@link #collect} waits for it. */
    static Process start(int size, int changed, Path log) throws IOException {
        ProcessBuilder pb = Bench.childJvm(List.of("-Xmx2g"), ExpiryTickBench.class.getName(),
                List.of(Integer.toString(size), Integer.toString(changed)));
        pb.redirectErrorStream(true).redirectOutput(log.toFile());
        return pb.start();
    }

    static Tick collect(Process p, int size, int changed, Path log, long timeoutMinutes) throws Exception {
        if (!p.waitFor(timeoutMinutes, TimeUnit.MINUTES)) {
            // the log lives in a temporary directory that is gone by the time anyone reads the failure: print what it says
            System.out.println(hangReport(p, log));
            p.destroy();
            p.waitFor(30, TimeUnit.SECONDS);
            throw new IllegalStateException("ExpiryTickBench " + size + " did not finish within " + timeoutMinutes + " min (log " + log + ")");
        }
        String out = Files.readString(log, StandardCharsets.UTF_8);
        Matcher tick = TICK.matcher(out);
        Matcher idle = IDLE.matcher(out);
        Matcher caught = CAUGHT_UP.matcher(out);
        if (p.exitValue() != 0 || !tick.find() || !idle.find() || !caught.find()) {
            throw new IllegalStateException("ExpiryTickBench " + size + " exited " + p.exitValue() + " without its RESULT lines (log " + log + ")");
        }
        return new Tick(size, changed, Double.parseDouble(tick.group(3)), Double.parseDouble(idle.group(1)),
                Double.parseDouble(caught.group(2)), out);
    }

    /** The hung child's last log lines and its main thread's stack (from {@code jcmd Thread.print}). */
    static String hangReport(Process p, Path log) {
        StringBuilder out = new StringBuilder("ExpiryTickBench (pid " + p.pid() + ") hung; its log ends:\n");
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            lines.subList(Math.max(0, lines.size() - 30), lines.size()).forEach(l -> out.append("  ").append(l).append('\n'));
        } catch (IOException e) {
            out.append("  (log unreadable: ").append(e.getMessage()).append(")\n");
        }
        out.append(mainStack(threadDump(p.pid())));
        return out.toString();
    }

    /** The "main" thread's entry of a thread dump, or the whole dump when it has none. */
    static String mainStack(String dump) {
        int start = dump.indexOf("\n\"main\"");
        if (start < 0) {
            return dump;
        }
        int end = dump.indexOf("\n\n", start + 1);
        return "main thread:" + dump.substring(start, end < 0 ? dump.length() : end) + "\n";
    }

    private static String threadDump(long pid) {
        try {
            Process jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
                    Long.toString(pid), "Thread.print").redirectErrorStream(true).start();
            String dump = new String(jcmd.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            return jcmd.waitFor(30, TimeUnit.SECONDS) ? dump : "(jcmd did not answer)";
        } catch (IOException e) {
            return "(no thread dump: " + e.getMessage() + ")";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "(no thread dump: interrupted)";
        }
    }

    /** Rows from the ticks of every size, the smallest being the flatness baseline. */
    static List<Row> rows(List<Tick> ticks) {
        List<Row> rows = new ArrayList<>();
        Tick smallest = ticks.get(0);
        Map<Integer, Tick> bySize = new LinkedHashMap<>();
        ticks.forEach(t -> bySize.put(t.size(), t));
        for (Tick t : bySize.values()) {
            double ratio = t.tickMs() / smallest.tickMs();
            rows.add(new Row("T1", "expiry tick, " + Stats.num(t.changed()) + " due, " + Stats.size(t.size()),
                    String.format(Locale.ROOT, "%.1f ms", t.tickMs()),
                    String.format(Locale.ROOT, "%.1f ms at %s", smallest.tickMs(), Stats.size(smallest.size())), List.of(ratio),
                    "tick ≤ 1.5 x tick(" + Stats.size(smallest.size()) + ") (goal 1.2 x)", ratio <= 1.5,
                    "median of ExpiryTickBench's 5 rounds; its full scan is in the log"));
        }
        Tick largest = ticks.get(ticks.size() - 1);
        double perTransitionUs = largest.tickMs() * 1000 / largest.changed();
        double perUpdateUs = 1e6 / largest.updatesPerSecond();
        double r = perTransitionUs / perUpdateUs;
        rows.add(new Row("T1-transition", "tick cost per transition vs one certificate update, " + Stats.size(largest.size()),
                String.format(Locale.ROOT, "%.0f µs", perTransitionUs), String.format(Locale.ROOT, "%.0f µs", perUpdateUs), List.of(r),
                "≤ 3 x an update (goal 2 x)", r <= 3,
                "an update's cost from the certificate processor's catch-up rate over the whole fleet (exactly-once, commits included)"));
        rows.add(new Row("T1-idle", "tick with nothing due, " + Stats.size(largest.size()), String.format(Locale.ROOT, "%.3f ms", largest.idleMs()),
                "—", List.of(largest.idleMs()), "≤ 1 ms" + (largest.size() < 1_000_000 ? " (at 1M; measured at " + Stats.size(largest.size()) + ")" : ""),
                largest.idleMs() <= 1, "ratio column = the idle tick in ms"));
        return rows;
    }
}
