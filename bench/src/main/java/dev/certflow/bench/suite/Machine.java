package dev.certflow.bench.suite;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;

/** What the figures were measured on: cores, memory, load, JDK, commit, and a process's memory. */
public final class Machine {
    private Machine() {
    }

    /** The 1/5/15-minute load averages, as /proc/loadavg writes them. */
    public static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0] + " " + f[1] + " " + f[2];
        } catch (IOException e) {
            return "unknown";
        }
    }

    public static String memory() {
        long kb = statusKb(Path.of("/proc/meminfo"), "MemTotal:");
        return kb < 0 ? "unknown" : String.format(Locale.ROOT, "%.1f GiB", kb / 1024.0 / 1024.0);
    }

    public static String jdk() {
        return System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version");
    }

    public static int cores() {
        return Runtime.getRuntime().availableProcessors();
    }

    /** {@code git describe}-like: the commit of the working tree, with "+changes" when it has uncommitted ones. */
    public static String commit(Path repo) {
        String head = run(repo, "git", "rev-parse", "--short=12", "HEAD");
        if (head.isEmpty()) {
            return "unknown";
        }
        String dirty = run(repo, "git", "status", "--porcelain", "--untracked-files=no");
        return dirty.isEmpty() ? head : head + " (+uncommitted changes)";
    }

    /** A kB figure of /proc/PID/status (VmRSS: current resident set, VmHWM: its peak), -1 if gone. */
    public static long statusKb(long pid, String field) {
        return statusKb(Path.of("/proc/" + pid + "/status"), field);
    }

    static long statusKb(Path file, String field) {
        try {
            for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
                if (line.startsWith(field)) {
                    return Long.parseLong(line.substring(field.length()).trim().split("\\s+")[0]);
                }
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }

    private static String run(Path dir, String... cmd) {
        try {
            Process p = new ProcessBuilder(List.of(cmd)).directory(dir.toFile()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor(10, TimeUnit.SECONDS) && p.exitValue() == 0 ? out : "";
        } catch (IOException e) {
            return "";
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "";
        }
    }
}
