package dev.certflow.simulator;

import dev.certflow.runtime.service.Lifecycle;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SimulateCommandTest {

    @Test
    void optionsAndDefaults() {
        SimulateCommand defaults = new SimulateCommand();
        new CommandLine(defaults).parseArgs();
        SimulatorOptions d = defaults.options();
        assertThat(d.size).isEqualTo(300);
        assertThat(d.seed).isEqualTo(42);
        assertThat(d.speed).isEqualTo(1440.0);
        assertThat(d.port).isZero();
        assertThat(d.pbxOutage).isTrue();

        SimulateCommand cmd = new SimulateCommand();
        new CommandLine(cmd).parseArgs("--size", "1000000", "--seed", "7", "--speed", "60", "--port", "18080",
                "--start", "2026-01-01T00:00:00Z", "--no-outage", "--fault-429", "0.1");
        SimulatorOptions o = cmd.options();
        assertThat(o.size).isEqualTo(1_000_000);
        assertThat(o.seed).isEqualTo(7);
        assertThat(o.speed).isEqualTo(60.0);
        assertThat(o.port).isEqualTo(18080);
        assertThat(o.start).isEqualTo(Instant.parse("2026-01-01T00:00:00Z"));
        assertThat(o.pbxOutage).isFalse();
        assertThat(o.tooManyRequestsRate).isEqualTo(0.1);
        assertThat(d.profile).isEqualTo(Profile.DAY);

        SimulateCommand year = new SimulateCommand();
        new CommandLine(year).parseArgs("--profile", "YEAR", "--speed", "100000");
        assertThat(year.options().profile).isEqualTo(Profile.YEAR);
        SimulateCommand bad = new SimulateCommand();
        new CommandLine(bad).parseArgs("--profile", "decade");
        assertThatThrownBy(bad::options).hasMessageContaining("--profile").hasMessageContaining("decade")
                .hasMessageContaining("day or year");
    }

    @Test
    void helpDocumentsTheProfilesAndTheLifetimeMix() {
        String help = new CommandLine(new SimulateCommand()).getUsageMessage();
        assertThat(help).contains("--profile", "year", "RENEWAL_STOPS", "RENEWAL_FAILS", "RENEWED_NOT_DEPLOYED",
                "SAN_DROPPED", "SUPERSEDED", "47/100/200/398", "--speed 100000");
    }

    @Test
    void theYearPrintsWhatStreamsShouldConcludeForEachScriptedCertificate() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.stop();
        int exit = new CommandLine(new SimulateCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8), lifecycle))
                .execute("--size", "90", "--profile", "year", "--start", "2026-06-01T00:00:00Z");
        assertThat(exit).isZero();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).containsPattern("RENEWAL_STOPS smoxy/smoxy-acme/org-1/[0-9a-f-]+: RENEWAL_OVERDUE FIRING \\+32d, "
                + "EXPIRING 7d FIRING \\+53d, EXPIRING 7d RESOLVED \\+56d, RENEWAL_OVERDUE RESOLVED \\+56d");
        assertThat(out).contains("RENEWED_NOT_DEPLOYED yeastar/pbx-berlin/pbx-berlin/10: RENEWED_NOT_DEPLOYED FIRING +31d12h");
        assertThat(out).containsPattern("RENEWED_NOT_DEPLOYED smoxy/smoxy-acme/org-1/[0-9a-f-]+: nothing \\(renewed on schedule\\)");
        assertThat(out).contains("outage: pbx-newyork answers 503 from 2026-12-18T00:00:00Z");
    }

    @Test
    void printsEachSourceAndTheIngestYamlThenStopsOnShutdown() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        Lifecycle lifecycle = new Lifecycle();
        lifecycle.stop(); // as if Ctrl-C came at once: the command prints, then closes the simulator
        SimulateCommand cmd = new SimulateCommand(new PrintStream(bytes, true, StandardCharsets.UTF_8), lifecycle);
        int exit = new CommandLine(cmd).execute("--size", "90", "--seed", "3");
        assertThat(exit).isZero();
        String out = bytes.toString(StandardCharsets.UTF_8);
        assertThat(out).contains("ingest:\n  sources:\n");
        for (String name : new String[]{"esign-main", "smoxy-acme", "smoxy-globex", "smoxy-initech",
                "pbx-berlin", "pbx-newyork", "pbx-mumbai"}) {
            assertThat(out).contains("name: " + name + ",");
        }
        assertThat(out).containsPattern("- \\{kind: leegality, name: esign-main, baseUrl: http://127\\.0\\.0\\.1:\\d+/leegality/esign-main, "
                + "token: \"\\$\\{SIM_ESIGN_MAIN_TOKEN}\", departmentIds: \\[[0-9a-f-]+, [0-9a-f-]+, [0-9a-f-]+], days: 3650, zone: \"Asia/Kolkata\", allowedNetworks: \\[127\\.0\\.0\\.0/8, ::1/128]}");
        assertThat(out).containsPattern("kind: smoxy, name: smoxy-initech, baseUrl: http://127\\.0\\.0\\.1:\\d+, organizationId: \"org-3\", "
                + "token: \"\\$\\{SIM_SMOXY_INITECH_TOKEN}\", authScheme: \"bearer\", itemsPerPage: 100, allowedNetworks: \\[127\\.0\\.0\\.0/8, ::1/128]}");
        assertThat(out).containsPattern("kind: yeastar, name: pbx-berlin, baseUrl: http://127\\.0\\.0\\.1:\\d+/yeastar/pbx-berlin, "
                + "clientId: \"\\$\\{SIM_PBX_BERLIN_CLIENT_ID}\", clientSecret: \"\\$\\{SIM_PBX_BERLIN_CLIENT_SECRET}\", zone: \"Europe/Berlin\", "
                + "pageSize: 100, userAgent: \"certflow/0.1\", allowedNetworks: \\[127\\.0\\.0\\.0/8, ::1/128]}");
        // no credential inline in the YAML; each one is exported once, before it
        String yaml = out.substring(out.indexOf("ingest:\n"));
        assertThat(out).containsPattern("export SIM_PBX_BERLIN_CLIENT_SECRET='\\w{32}'\n").containsPattern("export SIM_ESIGN_MAIN_TOKEN='[^']+'\n");
        java.util.regex.Matcher exported = java.util.regex.Pattern.compile("export (SIM_\\w+)='([^']+)'").matcher(out);
        int count = 0;
        while (exported.find()) {
            count++;
            assertThat(yaml).contains("${" + exported.group(1) + "}").doesNotContain(exported.group(2));
        }
        assertThat(count).isEqualTo(1 + 3 + 3 * 2);
    }
}
