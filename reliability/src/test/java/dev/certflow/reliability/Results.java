package dev.certflow.reliability;

import java.io.IOException;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The results table: one row per fault, written after every row so a stopped run leaves what it measured. */
final class Results {
    /** One trial: the row, its seed, the verdict, the seconds until every worker was ready again, and whether it passed. */
    record Trial(String row, long seed, Verdict verdict, double recoveredWithin, double caughtUpWithin, boolean passed, String note) {
    }

    private final Map<String, String> descriptions = new LinkedHashMap<>();
    private final Map<String, List<Trial>> trials = new LinkedHashMap<>();
    private final Path file;
    private final Instant started = Instant.now().truncatedTo(ChronoUnit.SECONDS);

    Results(Path file) {
        this.file = file;
    }

    synchronized void add(String row, String description, Trial t) throws IOException {
        descriptions.put(row, description);
        trials.computeIfAbsent(row, k -> new ArrayList<>()).add(t);
        write();
    }

    /** Rows 8-11: covered by existing tests, named here. */
    synchronized void covered(String row, String description, String coveredBy) throws IOException {
        descriptions.put(row, description + "|" + coveredBy);
        trials.putIfAbsent(row, new ArrayList<>());
        write();
    }

    List<Trial> of(String row) {
        return trials.getOrDefault(row, List.of());
    }

    private void write() throws IOException {
        StringBuilder sb = new StringBuilder();
        sb.append("# certflow fault-injection results\n\n");
        sb.append("- command: `").append(System.getProperty("reliability.command", "mvn -B -pl reliability -am verify")).append("`\n");
        sb.append("- commit: ").append(commit()).append('\n');
        sb.append("- machine: ").append(machine()).append('\n');
        sb.append("- started: ").append(started).append(", written: ").append(Instant.now().truncatedTo(ChronoUnit.SECONDS)).append('\n');
        sb.append("- trials per row asked: ").append(System.getProperty("reliability.trials", "1")).append("\n\n");
        sb.append("lost = in the oracle, not in the output (alerts firing at the end, view rows, alert_history, webhook); duplicated = one ")
                .append("transition (alert id + status) more than once on certificate-alerts (read_committed) or in alert_history; ")
                .append("recovered-within = the longest time from the end of a fault (a restart, the broker back) to the worker's /ready answering 200; "
                + "oracle met within = from the end of the last fault until every output equals the oracle.\n\n");
        sb.append("| # | fault | trials | lost | duplicated | unexpected | recovered-within (max) | oracle met within (max) | result | seeds (failed first) |\n");
        sb.append("|---|---|---|---|---|---|---|---|---|---|\n");
        for (var e : descriptions.entrySet()) {
            String row = e.getKey();
            List<Trial> ts = trials.get(row);
            if (e.getValue().contains("|")) {
                String[] parts = e.getValue().split("\\|", 2);
                sb.append("| ").append(row).append(" | ").append(parts[0]).append(" | - | - | - | - | - | - | covered by ").append(parts[1]).append(" | |\n");
                continue;
            }
            int lost = ts.stream().mapToInt(t -> t.verdict().lost()).sum();
            int dup = ts.stream().mapToInt(t -> t.verdict().duplicated()).sum();
            int unexpected = ts.stream().mapToInt(t -> t.verdict().unexpected()).sum();
            double rec = ts.stream().mapToDouble(Trial::recoveredWithin).max().orElse(0);
            double caught = ts.stream().mapToDouble(Trial::caughtUpWithin).max().orElse(0);
            long failed = ts.stream().filter(t -> !t.passed()).count();
            List<String> seeds = new ArrayList<>();
            ts.stream().filter(t -> !t.passed()).forEach(t -> seeds.add("**" + t.seed() + "**"));
            ts.stream().filter(Trial::passed).limit(3).forEach(t -> seeds.add(Long.toString(t.seed())));
            sb.append("| ").append(row).append(" | ").append(e.getValue()).append(" | ").append(ts.size()).append(" | ").append(lost)
                    .append(" | ").append(dup).append(" | ").append(unexpected).append(" | ")
                    .append(String.format(Locale.ROOT, "%.1f s", rec)).append(" | ")
                    .append(ts.stream().anyMatch(t -> t.caughtUpWithin() < 0) ? "not met" : String.format(Locale.ROOT, "%.1f s", caught)).append(" | ")
                    .append(failed == 0 ? "pass" : "**fail** (" + failed + " of " + ts.size() + ")").append(" | ")
                    .append(String.join(", ", seeds)).append(" |\n");
        }
        sb.append("\n## Failed trials\n\n");
        boolean any = false;
        for (var e : trials.entrySet()) {
            for (Trial t : e.getValue()) {
                if (!t.passed()) {
                    any = true;
                    sb.append("- row ").append(e.getKey()).append(", seed ").append(t.seed()).append(": ").append(t.note().isEmpty() ? "" : t.note() + "; ")
                            .append(t.verdict().summary().replace("|", "\\|")).append('\n');
                }
            }
        }
        if (!any) {
            sb.append("none\n");
        }
        StringBuilder measured = new StringBuilder();
        for (var e : trials.entrySet()) {
            for (Trial t : e.getValue()) {
                if (t.passed() && !t.note().isEmpty()) {
                    measured.append("- row ").append(e.getKey()).append(", seed ").append(t.seed()).append(": ").append(t.note().replace("|", "\\|")).append('\n');
                }
            }
        }
        if (measured.length() > 0) {
            sb.append("\n## Measured in passed trials\n\n").append(measured);
        }
        sb.append("\nReplay one trial: `mvn -B -pl reliability -am verify -Dtest=NoSuch -Dsurefire.failIfNoSpecifiedTests=false ")
                .append("-Dit.test=FaultInjectionIntegrationTest -Dreliability.rows=<#> -Dreliability.seed=<seed> -Dreliability.trials=1`\n");
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, sb.toString(), StandardCharsets.UTF_8);
    }

    private static String commit() {
        try {
            Process p = new ProcessBuilder("git", "rev-parse", "--short", "HEAD").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            // the results file itself is rewritten after every trial: not a change to what is tested
            String dirty = new String(new ProcessBuilder("git", "status", "--porcelain", "--untracked-files=no", "--", ":/",
                    ":(top,exclude)reliability/results").start()
                    .getInputStream().readAllBytes(), StandardCharsets.UTF_8).isBlank() ? "" : " (with uncommitted changes)";
            return p.waitFor() == 0 ? out + dirty : "unknown";
        } catch (Exception e) {
            return "unknown";
        }
    }

    private static String machine() {
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        double load = java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage();
        return host + ", " + Runtime.getRuntime().availableProcessors() + " cores, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch") + ", Java " + System.getProperty("java.version")
                + String.format(Locale.ROOT, ", load average %.1f when written", load);
    }
}
