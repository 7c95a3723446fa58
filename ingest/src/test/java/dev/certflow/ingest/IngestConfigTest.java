package dev.certflow.ingest;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.ingest.config.LeegalitySourceConfig;
import dev.certflow.ingest.config.SmoxySourceConfig;
import dev.certflow.ingest.config.YeastarSourceConfig;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class IngestConfigTest {
    static final String YAML = """
            ingest:
              pollThreads: 4
              sources:
                - kind: leegality
                  name: esign-hr
                  baseUrl: https://app1.leegality.com/api
                  pollInterval: 5m
                  requestTimeout: 10s
                  token: ${LEEGALITY_TOKEN}
                  departmentIds: []
                  days: 3650
                  zone: Asia/Kolkata
                - kind: smoxy
                  name: smoxy-acme
                  baseUrl: https://api.smoxy.eu
                  organizationId: org-1
                  token: ${SMOXY_TOKEN}
                  authScheme: api-token
                  itemsPerPage: 100
                - kind: yeastar
                  name: pbx-berlin
                  baseUrl: https://pbx-berlin.example.com:8088
                  clientId: ${PBX_BERLIN_CLIENT_ID}
                  clientSecret: ${PBX_BERLIN_CLIENT_SECRET}
                  zone: Europe/Berlin
                  pageSize: 100
                  userAgent: certflow/0.1
            """;
    static final Map<String, String> ENV = Map.of("LEEGALITY_TOKEN", "lt-1234", "SMOXY_TOKEN", "st-1234",
            "PBX_BERLIN_CLIENT_ID", "cid-1234", "PBX_BERLIN_CLIENT_SECRET", "cs-1234");

    @TempDir
    Path dir;

    IngestConfig bind(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("c.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, env, List.of()).bind("ingest", IngestConfig.class);
    }

    @Test
    void bindsTheDocumentedSection() throws Exception {
        IngestConfig c = bind(YAML, ENV);
        assertThat(c.pollThreads).isEqualTo(4);
        assertThat(c.sources).hasSize(3);
        var l = (LeegalitySourceConfig) c.sources.get(0);
        assertThat(l.token.reveal()).isEqualTo("lt-1234");
        assertThat(l.zone).isEqualTo(ZoneId.of("Asia/Kolkata"));
        assertThat(l.pollInterval).isEqualTo(Duration.ofMinutes(5));
        var s = (SmoxySourceConfig) c.sources.get(1);
        assertThat(s.organizationId).isEqualTo("org-1");
        assertThat(s.requestTimeout).isEqualTo(Duration.ofSeconds(10)); // default
        var y = (YeastarSourceConfig) c.sources.get(2);
        assertThat(y.clientSecret.reveal()).isEqualTo("cs-1234");
        assertThat(y.clientSecret.toString()).doesNotContain("cs-1234");
        assertThat(y.api()).isEqualTo("https://pbx-berlin.example.com:8088/openapi/v1.0");
    }

    @Test
    void unknownKeyOfAnotherKindFailsNamingIt() {
        String yaml = YAML.replace("      organizationId: org-1", "      organizationId: org-1\n      days: 10");
        assertThatThrownBy(() -> bind(yaml, ENV)).isInstanceOf(ConfigException.class).hasMessageContaining("ingest.sources[1].days");
    }

    @Test
    void missingSecretEnvironmentFailsNamingTheVariable() {
        var env = new java.util.HashMap<>(ENV);
        env.remove("SMOXY_TOKEN");
        assertThatThrownBy(() -> bind(YAML, env)).isInstanceOf(ConfigException.class).hasMessageContaining("SMOXY_TOKEN");
    }

    @Test
    void missingRequiredKeyAndBadValuesFail() {
        assertThatThrownBy(() -> bind(YAML.replace("      zone: Europe/Berlin\n", ""), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.sources[2].zone");
        assertThatThrownBy(() -> bind(YAML.replace("itemsPerPage: 100", "itemsPerPage: 500"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.sources[1].itemsPerPage").hasMessageContaining("500");
        assertThatThrownBy(() -> bind(YAML.replace("name: smoxy-acme", "name: esign-hr"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.sources[1].name").hasMessageContaining("unique");
        assertThatThrownBy(() -> bind(YAML.replace("authScheme: api-token", "authScheme: basic"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("authScheme");
        assertThatThrownBy(() -> bind(YAML.replace("kind: smoxy", "kind: acme"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.sources[1]");
        assertThatThrownBy(() -> bind(YAML.replace("pollThreads: 4", "pollThreads: 0"), ENV))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ingest.pollThreads");
    }
}
