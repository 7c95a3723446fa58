package dev.certflow.streams;

import dev.certflow.events.AttemptStatus;
import dev.certflow.events.CertificateKey;
import io.micrometer.core.instrument.Meter;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

import static dev.certflow.streams.Fixtures.START;
import static dev.certflow.streams.Fixtures.cert;
import static dev.certflow.streams.Fixtures.k;
import static dev.certflow.streams.Fixtures.key;
import static org.assertj.core.api.Assertions.assertThat;

/** Every certflow meter of the streams application has a description, so /metrics has HELP text for it. */
class CertflowMetricsTest {

    @Test
    void everyCertflowMeterHasHelpText() {
        try (Harness h = new Harness()) {
            // make the topology touch every meter: fire, resolve, dead-letter, tick
            CertificateKey key = key("acme", "m1");
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(5))));
            h.certificates.pipeInput(k(key), cert(key, START.plus(Duration.ofDays(90))));
            h.attempts.pipeInput(k(key), Fixtures.attempt(key, "f", AttemptStatus.FAILED, START, "dns"));
            h.rawCertificates.pipeInput("bad".getBytes(StandardCharsets.UTF_8), "not avro".getBytes(StandardCharsets.UTF_8));
            h.advance(Duration.ofHours(1));

            List<Meter> ours = h.registry.getMeters().stream().filter(m -> m.getId().getName().startsWith("certflow.")).toList();
            assertThat(ours.stream().map(m -> m.getId().getName()).collect(Collectors.toSet())).contains(
                    "certflow.streams.alerts.fired", "certflow.streams.alerts.resolved", "certflow.streams.dead.letters",
                    "certflow.streams.tick.duration", "certflow.streams.tick.transitions");
            assertThat(ours).allSatisfy(m -> assertThat(m.getId().getDescription()).as(m.getId().getName()).isNotBlank());

            // and in the exposition: every certflow family that has a TYPE line has a non-empty HELP line
            String scrape = h.registry.scrape();
            Set<String> typed = families(scrape, "# TYPE (certflow_\\S+) ");
            Set<String> helped = families(scrape, "# HELP (certflow_\\S+) \\S");
            assertThat(typed).contains("certflow_streams_alerts_fired_total", "certflow_streams_alerts_resolved_total",
                    "certflow_streams_dead_letters_total");
            assertThat(helped).containsAll(typed);
        }
    }

    private static Set<String> families(String scrape, String regex) {
        Matcher m = Pattern.compile(regex, Pattern.MULTILINE).matcher(scrape);
        Set<String> out = new java.util.TreeSet<>();
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }
}
