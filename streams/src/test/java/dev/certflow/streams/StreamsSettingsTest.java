package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StreamsSettingsTest {

    private static StreamsSettings bind(Path dir, String yaml, List<String> sets) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, Map.of(), sets).bind("streams", StreamsSettings.class);
    }

    @Test
    void defaults() throws Exception {
        StreamsSettings s = ConfigLoader.load(null, Map.of(), List.of()).bind("streams", StreamsSettings.class);
        assertThat(s.applicationId).isEqualTo("certflow-streams");
        assertThat(s.thresholdDays).containsExactly(7, 1);
        assertThat(s.renewal.enabled).isTrue();
        assertThat(s.renewal.grace).isEqualTo(Duration.ofDays(2));
        assertThat(s.renewal.manualLeadTime).isEqualTo(Duration.ofDays(30));
        assertThat(s.renewal.autoLeadTime).isEqualTo(Duration.ofDays(30));
        assertThat(s.renewal.smoxyLeadTime).isEqualTo(Duration.ofDays(30));
        assertThat(s.renewal.rules).isEmpty();
        assertThat(s.lifetimePercentages).isEmpty();
        assertThat(s.sourceDownAfterFailures).isEqualTo(3);
        assertThat(s.tickInterval).isEqualTo(Duration.ofMinutes(1));
        assertThat(s.processingGuarantee).isEqualTo("exactly_once_v2");
    }

    @Test
    void bindsOverridesDurationsAndFlags(@TempDir Path dir) throws Exception {
        StreamsSettings s = bind(dir, """
                streams:
                  thresholdDays: [60, 7]
                  lifetimePercentages: [33, 10]
                  tickInterval: 30s
                  overrides:
                    - tenant: bank
                      thresholdDays: [90]
                    - source: pbx-berlin
                      lifetimePercentages: [50]
                  properties:
                    session.timeout.ms: "6000"
                """, List.of("streams.sourceDownAfterFailures=5", "streams.applicationServer=host-a:8080"));
        assertThat(s.thresholdDays).containsExactly(60, 7);
        assertThat(s.lifetimePercentages).containsExactly(33, 10);
        assertThat(s.tickInterval).isEqualTo(Duration.ofSeconds(30));
        assertThat(s.overrides).hasSize(2);
        assertThat(s.overrides.get(0).tenant).isEqualTo("bank");
        assertThat(s.overrides.get(1).lifetimePercentages).containsExactly(50);
        assertThat(s.sourceDownAfterFailures).isEqualTo(5);
        assertThat(s.applicationServer).isEqualTo("host-a:8080");
        assertThat(s.properties).containsEntry("session.timeout.ms", "6000");
    }

    @Test
    void bindsTheRenewalPolicy(@TempDir Path dir) throws Exception {
        StreamsSettings s = bind(dir, """
                streams:
                  renewal:
                    grace: 12h
                    manualLeadTime: 45d
                    rules:
                      - { sourceKind: yeastar, tenant: pbx-berlin, mode: manual, leadTime: 60d }
                      - { type: signing, lifetimeFraction: 0.25, grace: 0s }
                """, List.of("streams.renewal.enabled=false"));
        assertThat(s.renewal.enabled).isFalse();
        assertThat(s.renewal.grace).isEqualTo(Duration.ofHours(12));
        assertThat(s.renewal.manualLeadTime).isEqualTo(Duration.ofDays(45));
        assertThat(s.renewal.rules).hasSize(2);
        assertThat(s.renewal.rules.get(0).sourceKind).isEqualTo("yeastar");
        assertThat(s.renewal.rules.get(0).leadTime).isEqualTo(Duration.ofDays(60));
        assertThat(s.renewal.rules.get(1).lifetimeFraction).isEqualTo(0.25);
        assertThat(s.renewal.rules.get(1).grace).isEqualTo(Duration.ZERO);
    }

    @Test
    void badRenewalValuesNameTheKeyAndTheValue(@TempDir Path dir) {
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    grace: -P1D\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.grace").hasMessageContaining("'PT-24H'")
                .hasMessageContaining("must be 0 to 3650 days");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    autoLeadTime: 4000d\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.autoLeadTime").hasMessageContaining("'PT96000H'");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    manualLeadTime: 0s\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.manualLeadTime").hasMessageContaining("PT0S");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    rules:\n      - { sourceKind: acme, mode: auto }\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.rules[0].sourceKind").hasMessageContaining("'acme'");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    rules:\n      - { source: s, mode: sometimes }\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.rules[0].mode").hasMessageContaining("'sometimes'");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    rules:\n      - { type: server, mode: auto }\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.rules[0].type").hasMessageContaining("'server'");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    rules:\n      - { tenant: t, lifetimeFraction: 1.5 }\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.rules[0].lifetimeFraction").hasMessageContaining("'1.5'");
        assertThatThrownBy(() -> bind(dir, "streams:\n  renewal:\n    rules:\n      - { tenant: t }\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.renewal.rules[0]' sets nothing");
    }

    @Test
    void badValuesNameTheKey(@TempDir Path dir) {
        assertThatThrownBy(() -> bind(dir, "streams:\n  thresholdDays: [30, -1]\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.thresholdDays").hasMessageContaining("-1");
        assertThatThrownBy(() -> bind(dir, "streams:\n  lifetimePercentages: [100]\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.lifetimePercentages");
        assertThatThrownBy(() -> bind(dir, "streams:\n  overrides:\n    - thresholdDays: [5]\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.overrides[0].tenant");
        assertThatThrownBy(() -> bind(dir, "streams:\n  sourceDownAfterFailures: 0\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.sourceDownAfterFailures");
        assertThatThrownBy(() -> bind(dir, "streams:\n  processingGuarantee: exactly_once\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.processingGuarantee");
        assertThatThrownBy(() -> bind(dir, "streams:\n  applicationServer: nohostport\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.applicationServer");
        assertThatThrownBy(() -> bind(dir, "streams:\n  tresholdDays: [1]\n", List.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("streams.tresholdDays");
    }
}
