package dev.certflow.sink;

import dev.certflow.sink.views.ViewWriter;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Certificate;
import dev.certflow.events.AttemptStatus;
import dev.certflow.events.CertificateRenewal;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.RenewalStatus;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.testkit.TestKafka;
import dev.certflow.testkit.TestPostgres;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.common.TopicPartition;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * One batch written straight through {@link ViewWriter#write} (no broker): keys de-duplicated
 * within the batch with the last value winning, tombstones deleting, offsets stored with the rows.
 */
class ViewWriterBatchTest {
    private HikariDataSource ds;
    private KafkaSettings kafka;
    private Topics topics;
    private SimpleMeterRegistry registry;
    private ViewWriter writer;

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2);
        SinkDatabase.migrate(ds);
        kafka = new KafkaSettings();
        kafka.schemaRegistryUrl = "mock://" + TestKafka.uniqueId("batch");
        kafka.topicPrefix = "b.";
        topics = kafka.topics();
        registry = new SimpleMeterRegistry();
        writer = new ViewWriter(kafka, new SinkConfig(), ds, registry, FaultHook.NONE);
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    @Test
    void lastValuePerKeyWinsAndTombstonesDelete() throws Exception {
        Certificate a1 = Fixtures.certificate("acme", "a", Fixtures.NOW.plus(Duration.ofDays(10)));
        Certificate a2 = Certificate.newBuilder(a1).setCommonName("renamed.example.com").setNotAfter(Fixtures.NOW.plus(Duration.ofDays(90))).build();
        Certificate b = Fixtures.certificate("acme", "b", null);
        Certificate c = Fixtures.certificate("globex", "c", Fixtures.NOW.plus(Duration.ofDays(3)));
        String certs = topics.certificates().name();
        var ser = topics.certificates().valueSerde().serializer();
        List<ConsumerRecord<String, byte[]>> p0 = new ArrayList<>();
        p0.add(new ConsumerRecord<>(certs, 0, 10, Fixtures.key(a1), ser.serialize(certs, a1)));
        p0.add(new ConsumerRecord<>(certs, 0, 11, Fixtures.key(b), ser.serialize(certs, b)));
        p0.add(new ConsumerRecord<>(certs, 0, 12, Fixtures.key(a2), ser.serialize(certs, a2)));
        p0.add(new ConsumerRecord<>(certs, 0, 13, Fixtures.key(b), null)); // tombstone after the upsert in the same batch
        p0.add(new ConsumerRecord<>(certs, 0, 14, Fixtures.key(c), ser.serialize(certs, c)));
        String exp = topics.certificatesExpiring().name();
        var expSer = topics.certificatesExpiring().valueSerde().serializer();
        ExpiringCertificate e = Fixtures.expiring(c, 3);
        List<ConsumerRecord<String, byte[]>> p1 = List.of(new ConsumerRecord<>(exp, 1, 7, Fixtures.key(c), expSer.serialize(exp, e)));

        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(certs, 0), p0, new TopicPartition(exp, 1), p1), Map.of()), null);

        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(2);
        assertThat(Fixtures.string(ds, "SELECT common_name FROM certificates WHERE cert_key = '" + Fixtures.key(a1) + "'")).isEqualTo("renamed.example.com");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates WHERE cert_key = '" + Fixtures.key(b) + "'")).isZero();
        assertThat(Fixtures.string(ds, "SELECT array_to_string(sans, ',') FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'"))
                .isEqualTo("c.example.com,www.c.example.com");
        assertThat(Fixtures.string(ds, "SELECT tenant FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo("globex");
        assertThat(Fixtures.string(ds, "SELECT attributes->>'zone' FROM certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo("eu");
        // two upserts, not four: a1 was superseded and b's upsert cancelled by its tombstone inside the batch
        assertThat(registry.get("certflow.sink.view.rows.upserted").tag("table", "certificates").counter().count()).isEqualTo(2.0);
        assertThat(Fixtures.count(ds, "SELECT days_left FROM expiring_certificates WHERE cert_key = '" + Fixtures.key(c) + "'")).isEqualTo(3);
        assertThat(writer.storedOffsets()).containsEntry(new TopicPartition(certs, 0), 15L).containsEntry(new TopicPartition(exp, 1), 8L);

        // a later batch: tombstone for an existing row deletes it
        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(certs, 0),
                List.of(new ConsumerRecord<>(certs, 0, 15, Fixtures.key(c), (byte[]) null))), Map.of()), null);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificates")).isEqualTo(1);
        assertThat(registry.get("certflow.sink.view.rows.deleted").tag("table", "certificates").counter().count()).isEqualTo(1.0);
        assertThat(writer.storedOffsets()).containsEntry(new TopicPartition(certs, 0), 16L);
    }

    @Test
    void expiringRowsCarryTheRenewalStateAndEveryCertificateHasItsOwn() throws Exception {
        Certificate c = Fixtures.certificate("acme", "r", Fixtures.NOW.plus(Duration.ofDays(20)));
        ExpiringCertificate e = ExpiringCertificate.newBuilder(Fixtures.expiring(c, 20)).setBucket("renewal-overdue").setThresholdDays(null)
                .setRenewalStatus(RenewalStatus.OVERDUE).setExpectedRenewalAt(Fixtures.NOW.minus(Duration.ofDays(3)))
                .setRenewalOverdueAt(Fixtures.NOW.minus(Duration.ofDays(1))).setRenewalPolicy("auto-lifetime-1/3").build();
        String exp = topics.certificatesExpiring().name();
        write(exp, 0, List.of(record(exp, 0, 0, Fixtures.key(c), topics.certificatesExpiring().valueSerde().serializer().serialize(exp, e))));
        assertThat(Fixtures.string(ds, "SELECT renewal_status || ' ' || renewal_policy || ' ' || expected_renewal_at || ' ' || renewal_overdue_at "
                + "FROM expiring_certificates")).isEqualTo("OVERDUE auto-lifetime-1/3 2026-11-19 10:00:00+00 2026-11-21 10:00:00+00");

        // the renewal state of a certificate in no table, its renewal (the trigger keeps the history), then its removal
        String ren = topics.certificateRenewals().name();
        var ser = topics.certificateRenewals().valueSerde().serializer();
        Certificate quiet = Fixtures.certificate("globex", "q", Fixtures.NOW.plus(Duration.ofDays(60)));
        CertificateRenewal scheduled = Fixtures.renewal(quiet, RenewalStatus.SCHEDULED, Fixtures.NOW.plus(Duration.ofDays(30)));
        Instant renewedNotAfter = Fixtures.NOW.plus(Duration.ofDays(120));
        CertificateRenewal renewed = CertificateRenewal.newBuilder(Fixtures.renewal(quiet, RenewalStatus.SCHEDULED, renewedNotAfter.minus(Duration.ofDays(30))))
                .setNotAfter(renewedNotAfter).setLastRenewalOfNotAfter(quiet.getNotAfter())
                .setLastRenewalExpectedAt(Fixtures.NOW.plus(Duration.ofDays(30))).setLastRenewedAt(Fixtures.NOW.plus(Duration.ofDays(31))).build();
        write(ren, 2, List.of(record(ren, 2, 0, Fixtures.key(quiet), ser.serialize(ren, scheduled))));
        assertThat(Fixtures.string(ds, "SELECT renewal_status || ' ' || renewal_mode || ' ' || expected_renewal_at FROM certificate_renewals"))
                .isEqualTo("SCHEDULED auto 2026-12-22 10:00:00+00");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM renewal_history")).isZero();
        write(ren, 2, List.of(record(ren, 2, 1, Fixtures.key(quiet), ser.serialize(ren, renewed))));
        write(ren, 2, List.of(record(ren, 2, 2, Fixtures.key(quiet), ser.serialize(ren, renewed)))); // seen again: still one renewal
        assertThat(Fixtures.string(ds, "SELECT renewed_not_after || ' ' || (renewed_at - expected_at) || ' ' || new_not_after FROM renewal_history"))
                .isEqualTo("2027-01-21 10:00:00+00 1 day 2027-03-22 10:00:00+00");
        write(ren, 2, List.of(record(ren, 2, 3, Fixtures.key(quiet), null)));
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM certificate_renewals")).isZero();
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM renewal_history")).as("a removed certificate keeps its history").isEqualTo(1);
    }

    @Test
    void everyAttemptIsARowAndAnAttemptSeenAgainInOneBatchUpdatesIt() throws Exception {
        Certificate c = Fixtures.certificate("acme", "a", Fixtures.NOW.plus(Duration.ofDays(20)));
        String att = topics.renewalAttempts().name();
        var ser = topics.renewalAttempts().valueSerde().serializer();
        RenewalAttempt running = Fixtures.attempt(c, "at-1", AttemptStatus.RUNNING, null);
        RenewalAttempt failed = Fixtures.attempt(c, "at-1", AttemptStatus.FAILED, "acme_error");
        RenewalAttempt second = Fixtures.attempt(c, "at-2", AttemptStatus.SUCCEEDED, null);
        // one key (the certificate), three records, two attempts: both kept, the first in its last state
        write(att, 1, List.of(record(att, 1, 0, Fixtures.key(c), ser.serialize(att, running)),
                record(att, 1, 1, Fixtures.key(c), ser.serialize(att, failed)),
                record(att, 1, 2, Fixtures.key(c), ser.serialize(att, second))));
        assertThat(Fixtures.string(ds, "SELECT string_agg(attempt_id || ' ' || status || ' ' || coalesce(error_code, '-'), ', ' ORDER BY attempt_id) "
                + "FROM renewal_attempts")).isEqualTo("at-1 FAILED acme_error, at-2 SUCCEEDED -");
        assertThat(writer.storedOffsets()).containsEntry(new TopicPartition(att, 1), 3L);
    }

    private void write(String topic, int partition, List<ConsumerRecord<String, byte[]>> records) throws Exception {
        writer.write(new ConsumerRecords<>(Map.of(new TopicPartition(topic, partition), records), Map.of()), null);
    }

    private static ConsumerRecord<String, byte[]> record(String topic, int partition, long offset, String key, byte[] value) {
        return new ConsumerRecord<>(topic, partition, offset, key, value);
    }

    @Test
    void ownersAndIncidentsReachTheViews() throws Exception {
        Certificate c = Fixtures.certificate("acme", "own", Fixtures.NOW.plus(Duration.ofDays(3)));
        String exp = topics.certificatesExpiring().name();
        ExpiringCertificate e = ExpiringCertificate.newBuilder(Fixtures.expiring(c, 3)).setOwner("payments").build();
        String alerts = topics.certificateAlerts().name();
        var alertSer = topics.certificateAlerts().valueSerde().serializer();
        dev.certflow.events.Alert step2 = dev.certflow.events.Alert.newBuilder(Fixtures.alert("st-2", dev.certflow.events.AlertStatus.FIRING,
                        dev.certflow.events.Severity.CRITICAL))
                .setOwner("payments").setIncidentId("inc-9").setIncidentStep(2).setEscalatedFrom("st-1").build();
        dev.certflow.events.Alert step1Resolved = dev.certflow.events.Alert.newBuilder(Fixtures.alert("st-1", dev.certflow.events.AlertStatus.RESOLVED,
                        dev.certflow.events.Severity.WARNING))
                .setIncidentId("inc-9").setResolution(dev.certflow.events.AlertResolution.ESCALATED).build();

        writer.write(new ConsumerRecords<>(Map.of(
                new TopicPartition(exp, 0), List.of(new ConsumerRecord<>(exp, 0, 0, Fixtures.key(c), topics.certificatesExpiring().valueSerde().serializer().serialize(exp, e))),
                new TopicPartition(alerts, 0), List.of(
                        new ConsumerRecord<>(alerts, 0, 0, "st-1", alertSer.serialize(alerts, step1Resolved)),
                        new ConsumerRecord<>(alerts, 0, 1, "st-2", alertSer.serialize(alerts, step2)))), Map.of()), null);

        assertThat(Fixtures.string(ds, "SELECT owner FROM expiring_certificates")).isEqualTo("payments");
        assertThat(Fixtures.string(ds, "SELECT owner || ' ' || incident_id || ' ' || incident_step || ' ' || escalated_from FROM alert_history "
                + "WHERE alert_id = 'st-2'")).isEqualTo("payments inc-9 2 st-1");
        assertThat(Fixtures.string(ds, "SELECT coalesce(owner, '-') || ' ' || resolution || ' ' || incident_step FROM alert_history WHERE alert_id = 'st-1'"))
                .isEqualTo("- ESCALATED 1");
    }
}
