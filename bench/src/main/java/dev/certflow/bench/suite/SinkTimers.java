package dev.certflow.bench.suite;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The sink's delivery timers ({@code certflow.sink.delivery.step}, {@code .wait}, {@code .send})
 * over a stretch of a run: how many, and their mean (their histograms are time-windowed, so only
 * count and total difference cleanly between two moments).
 */
final class SinkTimers {
    private static final List<String> NAMES = List.of("certflow.sink.delivery.step", "certflow.sink.delivery.wait", "certflow.sink.delivery.send");

    private SinkTimers() {
    }

    /** Per timer: total time in ns and count. */
    static Map<String, long[]> snapshot(MeterRegistry registry) {
        Map<String, long[]> out = new LinkedHashMap<>();
        for (String name : NAMES) {
            for (Timer t : registry.find(name).timers()) {
                out.put(label(t), new long[]{(long) t.totalTime(TimeUnit.NANOSECONDS), t.count()});
            }
        }
        return out;
    }

    static String describe(MeterRegistry registry, Map<String, long[]> before) {
        List<String> parts = new ArrayList<>();
        for (Map.Entry<String, long[]> e : snapshot(registry).entrySet()) {
            long[] now = e.getValue();
            long[] was = before.getOrDefault(e.getKey(), new long[2]);
            long count = now[1] - was[1];
            if (count > 0) {
                parts.add(String.format(Locale.ROOT, "%s %d x %.1f ms", e.getKey(), count, (now[0] - was[0]) / 1e6 / count));
            }
        }
        return String.join(", ", parts);
    }

    private static String label(Timer t) {
        String step = t.getId().getTag("step");
        String channel = t.getId().getTag("channel");
        return t.getId().getName().substring("certflow.sink.delivery.".length()) + (step != null ? " " + step : "")
                + (channel != null ? " " + channel : "");
    }
}
