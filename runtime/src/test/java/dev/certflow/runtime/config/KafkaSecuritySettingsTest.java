package dev.certflow.runtime.config;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** {@code kafka.securityProtocol}, {@code kafka.tls} and {@code kafka.sasl}, and credentials among the pass-through properties. */
class KafkaSecuritySettingsTest {
    private static final String CANARY = "pw-CANARY-\"q\\uote";

    @TempDir
    Path dir;

    private KafkaSettings bind(String yaml, Map<String, String> env, String... sets) throws Exception {
        Path file = Files.writeString(dir.resolve("certflow.yaml"), yaml);
        return ConfigLoader.load(file, env, List.of(sets)).bind("kafka", KafkaSettings.class);
    }

    private Path trustStore() throws Exception {
        return Files.write(dir.resolve("truststore.p12"), new byte[]{1});
    }

    @Test
    void saslSslGivesEveryClientTheTlsAndScramSettings() throws Exception {
        Path trust = trustStore();
        Files.writeString(dir.resolve("store-pw"), "store-CANARY\n");
        KafkaSettings kafka = bind("""
                kafka:
                  securityProtocol: SASL_SSL
                  tls:
                    trustStore: %s
                    trustStorePassword: file:%s
                  sasl:
                    username: certflow
                    password: ${SCRAM_PW}
                """.formatted(trust, dir.resolve("store-pw")), Map.of("SCRAM_PW", CANARY));
        for (Map<String, Object> props : List.of(kafka.producer("p"), kafka.consumer("g", "c"), kafka.admin("a"), kafka.common())) {
            assertThat(props).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.mechanism", "SCRAM-SHA-512")
                    .containsEntry("ssl.truststore.location", trust.toString()).containsEntry("ssl.truststore.type", "PKCS12")
                    .containsEntry("ssl.truststore.password", "store-CANARY").containsEntry("ssl.endpoint.identification.algorithm", "https")
                    .containsEntry("sasl.jaas.config", "org.apache.kafka.common.security.scram.ScramLoginModule required "
                            + "username=\"certflow\" password=\"pw-CANARY-\\\"q\\\\uote\";");
        }
        assertThat(kafka.toString() + kafka.sasl + kafka.sasl.password + kafka.tls.trustStorePassword).doesNotContain("CANARY");
    }

    @Test
    void aSaslPasswordWrittenInlineIsRefused() {
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_SSL, sasl: {username: u, password: hunter2hunter2}}", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.sasl.password'").hasMessageContaining("secrets are never inline")
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void securitySettingsNeedAMatchingProtocol() throws Exception {
        assertThatThrownBy(() -> bind("kafka: {sasl: {username: u, password: '${P}'}}", Map.of("P", "x")))
                .hasMessageContaining("missing required configuration key 'kafka.securityProtocol'");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SSL, sasl: {username: u, password: '${P}'}}", Map.of("P", "x")))
                .hasMessageContaining("'kafka.sasl' is set but 'kafka.securityProtocol' (from file");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_PLAINTEXT, tls: {trustStore: " + trustStore() + "}}", Map.of()))
                .hasMessageContaining("'kafka.tls' is set but 'kafka.securityProtocol'");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_SSL}", Map.of()))
                .hasMessageContaining("missing required configuration key 'kafka.sasl.username'");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_SSL, sasl: {username: u}}", Map.of()))
                .hasMessageContaining("missing required configuration key 'kafka.sasl.password'");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: TLS}", Map.of()))
                .hasMessageContaining("bad value 'TLS' for configuration key 'kafka.securityProtocol'").hasMessageContaining("SASL_SSL");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_PLAINTEXT, sasl: {mechanism: PLAIN, username: u, password: '${P}'}}",
                Map.of("P", "x"))).hasMessageContaining("PLAIN, which sends the password itself");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SSL, tls: {trustStore: /nowhere/trust.p12}}", Map.of()))
                .hasMessageContaining("bad value '/nowhere/trust.p12' for configuration key 'kafka.tls.trustStore' (from file");
    }

    @Test
    void aTypedKeyAndAPassThroughPropertyMayNotBothSetOneClientProperty() {
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SSL}", Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")))
                .hasMessageContaining("'kafka.properties.security.protocol' (from environment variable KAFKA_SECURITY_PROTOCOL) "
                        + "conflicts with 'kafka.securityProtocol'");
        assertThatThrownBy(() -> bind("kafka: {securityProtocol: SASL_SSL, sasl: {username: u, password: '${P}'}}",
                Map.of("P", "x", "KAFKA_SASL_MECHANISM", "PLAIN"))).hasMessageContaining("conflicts with 'kafka.sasl'");
    }

    @Test
    void hostNameVerificationCannotBeTurnedOff() {
        assertThatThrownBy(() -> bind("kafka: {}", Map.of(), "kafka.properties.ssl.endpoint.identification.algorithm="))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.ssl.endpoint.identification.algorithm' (from flag --set")
                .hasMessageContaining("valid for the host");
    }

    @Test
    void kafkaVariablesWithCredentialsStillPassThroughButPrintAsTheirVariable() throws Exception {
        String jaas = "org.apache.kafka.common.security.scram.ScramLoginModule required username=\"u\" password=\"" + CANARY + "\";";
        KafkaSettings kafka = bind("kafka: {}", Map.of("KAFKA_SECURITY_PROTOCOL", "SASL_SSL", "KAFKA_SASL_MECHANISM", "SCRAM-SHA-512",
                "KAFKA_SASL_JAAS_CONFIG", jaas));
        assertThat(kafka.producer("p")).containsEntry("security.protocol", "SASL_SSL").containsEntry("sasl.jaas.config", jaas);
        assertThat(kafka.properties).containsEntry("sasl.jaas.config", "${KAFKA_SASL_JAAS_CONFIG}");
    }

    @Test
    void aCredentialPropertyInTheFileIsAReference() throws Exception {
        Files.writeString(dir.resolve("key-pw"), "key-CANARY");
        KafkaSettings kafka = bind("""
                kafka:
                  properties:
                    ssl.key.password: file:%s
                    schema.registry.basic.auth.user.info: ${REGISTRY}
                """.formatted(dir.resolve("key-pw")), Map.of("REGISTRY", "u:reg-CANARY"));
        assertThat(kafka.common()).containsEntry("ssl.key.password", "key-CANARY");
        assertThat(kafka.serdeConfig()).containsEntry("schema.registry.basic.auth.user.info", "u:reg-CANARY");
        assertThat(kafka.properties.toString()).doesNotContain("CANARY");

        assertThatThrownBy(() -> bind("kafka: {properties: {sasl.jaas.config: 'x required password=\"inline-secret\";'}}", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("'kafka.properties.sasl.jaas.config' (from file").hasMessageContaining("never inline")
                .hasMessageNotContaining("inline-secret");
    }
}
