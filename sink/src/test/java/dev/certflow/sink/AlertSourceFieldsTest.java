package dev.certflow.sink;

import dev.certflow.sink.delivery.Route;
import dev.certflow.sink.views.ViewWriter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.delivery.Payloads;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Every alert kind, as streams writes it, names its source the same way in routes, in every
 * channel's payload and in {@code alert_history}: the source is {@code lg-badtoken} (a Leegality
 * source, so a kind in the name's place shows), tenant {@code dept-7} where there is one. Records
 * written before the Alert fields existed (SOURCE_DOWN then put the kind in {@code source} and the
 * name in {@code instance}) read the same.
 */
class AlertSourceFieldsTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String SOURCE = "lg-badtoken";
    private static final String TENANT = "dept-7";
    private static final CertificateKey KEY = CertificateKeys.of(SourceKind.LEEGALITY, SOURCE, TENANT, "cert-1");

    /** An alert of {@code kind} with the fields and labels streams gives it. */
    static Alert asStreamsWritesIt(AlertKind kind) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("source", SOURCE);
        labels.put("source_kind", "leegality");
        Alert.Builder b = Alert.newBuilder().setAlertId(kind.name().toLowerCase() + "-1").setKind(kind).setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.ERROR).setThreshold("t").setSummary(kind + " summary").setFiredAt(Fixtures.NOW)
                .setSourceName(SOURCE).setSourceKind(SourceKind.LEEGALITY);
        if (kind != AlertKind.SOURCE_DOWN) {
            labels.put("tenant", TENANT);
            labels.put("certificate", "cert-1");
            labels.put("certificate_key", CertificateKeys.format(KEY));
            Certificate c = Certificate.newBuilder(Fixtures.certificate(TENANT, "cert-1", Fixtures.NOW.plus(Duration.ofDays(5)))).setKey(KEY).build();
            b.setTenant(TENANT).setCertificateKey(KEY).setCertificate(c);
        }
        return b.setLabels(labels).build();
    }

    /** SOURCE_DOWN as streams wrote it before the fields existed. */
    static Alert legacySourceDown() {
        return Alert.newBuilder().setAlertId("source_down-legacy").setKind(AlertKind.SOURCE_DOWN).setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.ERROR).setThreshold("3-failed-polls").setSummary("legacy").setFiredAt(Fixtures.NOW)
                .setLabels(Map.of("source", "leegality", "instance", SOURCE)).build();
    }

    static Stream<Alert> alerts() {
        return Stream.concat(Stream.of(AlertKind.values()).map(AlertSourceFieldsTest::asStreamsWritesIt), Stream.of(legacySourceDown()));
    }

    private static boolean hasTenant(Alert a) {
        return a.getKind() != AlertKind.SOURCE_DOWN;
    }

    private static Route route(String field, String value) {
        Route r = new Route();
        switch (field) {
            case "sources" -> r.sources = List.of(value);
            case "sourceKinds" -> r.sourceKinds = List.of(value);
            case "tenants" -> r.tenants = List.of(value);
            default -> throw new IllegalArgumentException(field);
        }
        return r;
    }

    @ParameterizedTest
    @MethodSource("alerts")
    void aRouteOnTheSourceNameKindOrTenantMatchesEveryKind(Alert a) {
        assertThat(route("sources", SOURCE).matches(a)).as("route on the source name").isTrue();
        assertThat(route("sources", "LG-BADTOKEN").matches(a)).as("names match case-insensitively").isTrue();
        assertThat(route("sources", "leegality").matches(a)).as("the kind is not the name").isFalse();
        assertThat(route("sources", "other-source").matches(a)).isFalse();
        assertThat(route("sourceKinds", "leegality").matches(a)).as("route on the source kind").isTrue();
        assertThat(route("sourceKinds", "SMOXY").matches(a)).isFalse();
        assertThat(route("tenants", TENANT).matches(a)).as("route on the tenant").isEqualTo(hasTenant(a));
    }

    @ParameterizedTest
    @MethodSource("alerts")
    void everyPayloadNamesTheSameSourceKindAndTenant(Alert a) throws Exception {
        JsonNode am = JSON.readTree(Payloads.alertmanager(a, Fixtures.NOW)).get(0).path("labels");
        assertThat(am.path("source").asText()).isEqualTo(SOURCE);
        assertThat(am.path("source_kind").asText()).isEqualTo("leegality");
        assertThat(am.path("tenant").isMissingNode()).isEqualTo(!hasTenant(a));

        JsonNode hook = JSON.readTree(Payloads.webhook(a));
        assertThat(hook.path("source").asText()).isEqualTo(SOURCE);
        assertThat(hook.path("sourceKind").asText()).isEqualTo("LEEGALITY");
        assertThat(hook.path("tenant").isNull()).isEqualTo(!hasTenant(a));

        JsonNode pd = JSON.readTree(Payloads.pagerDuty(a, "rk")).path("payload");
        assertThat(pd.path("source").asText()).isEqualTo(SOURCE);
        assertThat(pd.at("/custom_details/source").asText()).isEqualTo(SOURCE);
        assertThat(pd.at("/custom_details/source_kind").asText()).isEqualTo("LEEGALITY");
        assertThat(pd.path("group").isMissingNode()).isEqualTo(!hasTenant(a));

        assertThat(JSON.readTree(Payloads.slack(a)).path("text").asText()).contains("source: " + SOURCE + " (leegality)");
        assertThat(Payloads.consoleLine(a)).contains(SOURCE);
        if (hasTenant(a)) {
            assertThat(hook.path("tenant").asText()).isEqualTo(TENANT);
            assertThat(am.path("tenant").asText()).isEqualTo(TENANT);
            assertThat(pd.path("group").asText()).isEqualTo(TENANT);
        }
    }

    @Test
    void alertHistoryRowsAgreeWithThePayloadsForEveryKind() throws Exception {
        try (HikariDataSource ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2)) {
            SinkDatabase.migrate(ds);
            KafkaSettings kafka = new KafkaSettings();
            kafka.schemaRegistryUrl = "mock://" + TestKafka.uniqueId("alert-fields");
            Topics topics = kafka.topics();
            String topic = topics.certificateAlerts().name();
            var ser = topics.certificateAlerts().valueSerde().serializer();
            List<Alert> alerts = alerts().toList();
            List<ConsumerRecord<String, byte[]>> records = new ArrayList<>();
            for (int i = 0; i < alerts.size(); i++) {
                records.add(new ConsumerRecord<>(topic, 0, i, alerts.get(i).getAlertId(), ser.serialize(topic, alerts.get(i))));
            }
            try (ViewWriter writer = new ViewWriter(kafka, new SinkConfig(), ds, new SimpleMeterRegistry(), FaultHook.NONE)) {
                writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(topic, 0), records), Map.of()), null);
            }

            Map<String, Map<String, String>> rows = new HashMap<>();
            try (Connection c = ds.getConnection(); Statement st = c.createStatement();
                 ResultSet rs = st.executeQuery("SELECT alert_id, source_name, source_kind, tenant FROM alert_history")) {
                while (rs.next()) {
                    Map<String, String> row = new HashMap<>();
                    row.put("source_name", rs.getString(2));
                    row.put("source_kind", rs.getString(3));
                    row.put("tenant", rs.getString(4));
                    rows.put(rs.getString(1), row);
                }
            }
            assertThat(rows).hasSize(alerts.size());
            for (Alert a : alerts) {
                Map<String, String> row = rows.get(a.getAlertId());
                JsonNode hook = JSON.readTree(Payloads.webhook(a));
                assertThat(row.get("source_name")).as(a.getAlertId()).isEqualTo(SOURCE).isEqualTo(hook.path("source").asText());
                assertThat(row.get("source_kind")).as(a.getAlertId()).isEqualTo("LEEGALITY").isEqualTo(hook.path("sourceKind").asText());
                assertThat(row.get("tenant")).as(a.getAlertId()).isEqualTo(hasTenant(a) ? TENANT : null);
            }
        }
    }
}
