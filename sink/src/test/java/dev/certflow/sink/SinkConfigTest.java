package dev.certflow.sink;

import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The {@code sink} section binds from YAML with channels, routes and secrets, and bad values fail naming the key. */
class SinkConfigTest {
    @TempDir
    Path dir;

    private ConfigTree load(String yaml, Map<String, String> env) throws Exception {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, yaml);
        return ConfigLoader.load(f, env, List.of());
    }

    @Test
    void bindsChannelsRoutesAndSecrets() throws Exception {
        ConfigTree tree = load("""
                sink:
                  jdbcUrl: jdbc:postgresql://db/certflow
                  password: ${DB_PW}
                  maxBackoff: 30s
                  channels:
                    - name: oncall
                      type: pagerduty
                      routingKey: ${PD_KEY}
                      routes:
                        - severities: [CRITICAL]
                        - kinds: [EXPIRED]
                          tenants: [acme]
                    - name: team
                      type: slack
                      webhookUrl: ${SLACK_URL}
                """, Map.of("DB_PW", "pw-CANARY-1", "PD_KEY", "pd-CANARY-2", "SLACK_URL", "https://hooks.slack.com/services/CANARY3"));
        SinkConfig c = tree.bind("sink", SinkConfig.class);
        assertThat(c.maxBackoff).isEqualTo(Duration.ofSeconds(30));
        assertThat(c.password.reveal()).isEqualTo("pw-CANARY-1");
        ChannelConfig pd = c.channels.get(0);
        assertThat(pd.type()).isEqualTo(ChannelConfig.Type.PAGERDUTY);
        assertThat(pd.url).isEqualTo("https://events.pagerduty.com/v2/enqueue");
        assertThat(pd.routingKey.reveal()).isEqualTo("pd-CANARY-2");
        assertThat(pd.accepts(Fixtures.alert("a", AlertStatus.FIRING, Severity.CRITICAL))).isTrue();
        assertThat(pd.accepts(Fixtures.alert("a", AlertStatus.FIRING, Severity.WARNING))).isFalse(); // EXPIRING, WARNING
        var expiredAcme = dev.certflow.events.Alert.newBuilder(Fixtures.alert("a", AlertStatus.FIRING, Severity.INFO)).setKind(AlertKind.EXPIRED).build();
        assertThat(pd.accepts(expiredAcme)).isTrue();
        assertThat(c.channels.get(1).accepts(expiredAcme)).isTrue(); // no routes: everything
        String printed = tree.printMasked(c);
        assertThat(printed).doesNotContain("CANARY");
    }

    @Test
    void badValuesFailNamingTheKey() {
        assertThatThrownBy(() -> load("sink:\n  channels:\n    - name: x\n      type: pagerduty\n", Map.of()).bind("sink", SinkConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sink.channels[0].routingKey");
        assertThatThrownBy(() -> load("sink:\n  channels:\n    - name: x\n      type: carrier-pigeon\n", Map.of()).bind("sink", SinkConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sink.channels[0].type").hasMessageContaining("carrier-pigeon");
        assertThatThrownBy(() -> load("sink:\n  channels:\n    - name: x\n      type: console\n      routes: [{severities: [LOUD]}]\n", Map.of())
                .bind("sink", SinkConfig.class)).isInstanceOf(ConfigException.class).hasMessageContaining("sink.channels[0].routes[0].severities[0]");
        assertThatThrownBy(() -> load("sink:\n  channels:\n    - name: x\n      type: console\n      routes: [{sourceKinds: [leegallity]}]\n", Map.of())
                .bind("sink", SinkConfig.class)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sink.channels[0].routes[0].sourceKinds[0]").hasMessageContaining("leegallity");
        assertThatThrownBy(() -> load("sink:\n  batchSize: 0\n", Map.of()).bind("sink", SinkConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sink.batchSize");
        assertThatThrownBy(() -> load("sink:\n  colour: blue\n", Map.of()).bind("sink", SinkConfig.class))
                .isInstanceOf(ConfigException.class).hasMessageContaining("sink.colour");
    }

    @Test
    void aSinkStartedInCodeWithoutAJdbcUrlFailsBeforeStartingAnything() {
        SinkConfig config = new SinkConfig();
        assertThatThrownBy(() -> SinkDatabase.open(config))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("missing required configuration key 'sink.jdbcUrl'");
        config.jdbcUrl = " ";
        assertThatThrownBy(() -> SinkDatabase.open(config))
                .isInstanceOf(ConfigException.class).hasMessageStartingWith("missing required configuration key 'sink.jdbcUrl'");
    }
}
