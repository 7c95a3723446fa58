package dev.certflow.cli;

import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** What {@code certflow config} prints is a configuration {@code --config} loads unchanged, secrets as their references. */
class ConfigCommandTest {
    @TempDir
    Path dir;

    @Test
    void printedConfigurationLoadsBackAndPrintsTheSame() throws Exception {
        Path smoxyToken = Files.writeString(dir.resolve("smoxy-token"), "smoxy-CANARY-3\n");
        Path config = Files.writeString(dir.resolve("certflow.yaml"), """
                kafka:
                  bootstrapServers: broker-1:9092,broker-2:9092
                  schemaRegistryUrl: https://registry.example.com
                  schemaRegistryUserInfo: ${REGISTRY_USER_INFO}
                  compressionType: none
                  properties:
                    security.protocol: SASL_SSL
                ingest:
                  sources:
                    - kind: leegality
                      name: esign-main
                      baseUrl: https://app1.leegality.com/api
                      token: ${LEEGALITY_TOKEN}
                      departmentIds: [hr, legal]
                      zone: Asia/Kolkata
                    - name: smoxy-acme
                      kind: smoxy
                      baseUrl: https://api.smoxy.eu
                      organizationId: org-1
                      token: file:%s
                    - kind: yeastar
                      name: pbx-berlin
                      baseUrl: https://pbx-berlin.example.com:8088
                      clientId: ${PBX_CLIENT_ID}
                      clientSecret: ${PBX_CLIENT_SECRET}
                      zone: Europe/Berlin
                streams:
                  overrides:
                    - tenant: bank
                      thresholdDays: [90, 30]
                  properties:
                    session.timeout.ms: "6000"
                sink:
                  jdbcUrl: jdbc:postgresql://db:5432/certflow
                  password: ${DB_PASSWORD}
                  channels:
                    - name: oncall
                      type: pagerduty
                      routingKey: ${PD_ROUTING_KEY}
                      routes: [{severities: [CRITICAL]}]
                    - name: team
                      type: slack
                      webhookUrl: ${SLACK_URL}
                    - name: cmdb
                      type: webhook
                      url: https://cmdb.example.com/hook
                      secret: ${CMDB_SECRET}
                """.formatted(smoxyToken));
        Map<String, String> env = Map.of("REGISTRY_USER_INFO", "svc:registry-CANARY-1", "LEEGALITY_TOKEN", "lee-CANARY-2",
                "PBX_CLIENT_ID", "pbx-CANARY-4", "PBX_CLIENT_SECRET", "pbx-CANARY-5", "DB_PASSWORD", "db-CANARY-6",
                "PD_ROUTING_KEY", "pd-CANARY-7", "SLACK_URL", "https://hooks.slack.com/services/CANARY-8", "CMDB_SECRET", "cmdb-CANARY-9");

        String printed = ConfigCommand.effective(ConfigLoader.load(config, env, List.of()));
        assertThat(printed).doesNotContain("CANARY").doesNotContain("!<")
                .contains("kind: \"leegality\"", "kind: \"smoxy\"", "kind: \"yeastar\"")
                .contains("\"${LEEGALITY_TOKEN}\"", "\"file:" + smoxyToken + "\"", "\"${PD_ROUTING_KEY}\"", "\"${REGISTRY_USER_INFO}\"");

        Path again = Files.writeString(dir.resolve("printed.yaml"), printed);
        assertThat(ConfigCommand.effective(ConfigLoader.load(again, env, List.of()))).isEqualTo(printed);
    }

    @Test
    void kafkaCredentialsPrintAsTheirReferences() throws Exception {
        Path trust = Files.write(dir.resolve("trust.p12"), new byte[]{1});
        Path storePassword = Files.writeString(dir.resolve("store-password"), "store-CANARY-1");
        Path config = Files.writeString(dir.resolve("certflow.yaml"), """
                kafka:
                  bootstrapServers: broker-1:9093
                  securityProtocol: SASL_SSL
                  tls:
                    trustStore: %s
                    trustStorePassword: file:%s
                  sasl:
                    username: certflow-ingest
                    password: ${SCRAM_PASSWORD}
                """.formatted(trust, storePassword));
        Map<String, String> env = Map.of("SCRAM_PASSWORD", "scram-CANARY-2", "KAFKA_SSL_KEY_PASSWORD", "key-CANARY-3",
                "KAFKA_SSL_KEYSTORE_PASSWORD", "keystore-CANARY-4");

        String printed = ConfigCommand.effective(ConfigLoader.load(config, env, List.of()));
        assertThat(printed).doesNotContain("CANARY")
                .contains("\"${SCRAM_PASSWORD}\"", "\"file:" + storePassword + "\"", "ssl.key.password: \"${KAFKA_SSL_KEY_PASSWORD}\"",
                        "ssl.keystore.password: \"${KAFKA_SSL_KEYSTORE_PASSWORD}\"", "username: \"certflow-ingest\"");

        Path again = Files.writeString(dir.resolve("printed.yaml"), printed);
        assertThat(ConfigCommand.effective(ConfigLoader.load(again, env, List.of()))).isEqualTo(printed);
    }
}
