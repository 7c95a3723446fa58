package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.Certificate;
import dev.certflow.events.ExpiringCertificate;
import dev.certflow.events.FailedRenewal;
import dev.certflow.events.RenewalAttempt;
import dev.certflow.events.SourceStatus;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.Topics;
import dev.certflow.runtime.kafka.ClockTime;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.kafka.streams.KeyQueryMetadata;
import org.apache.kafka.streams.StreamsMetadata;
import org.apache.kafka.streams.state.HostInfo;
import org.apache.kafka.streams.state.ReadOnlyKeyValueStore;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.TestInputTopic;
import org.apache.kafka.streams.TestOutputTopic;
import org.apache.kafka.streams.TopologyTestDriver;

import java.util.Properties;
import java.util.UUID;

/** A TopologyTestDriver over the real topology, starting at {@link Fixtures#START}, mock:// registry. */
final class Harness implements AutoCloseable {
    final KafkaSettings kafka = new KafkaSettings();
    final StreamsSettings settings;
    final Topics topics;
    /** Prometheus, as on /metrics, so tests can read the exposition (HELP, TYPE). */
    final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    final CertflowMetrics metrics = new CertflowMetrics(registry);
    final TopologyTestDriver driver;
    final TestInputTopic<String, Certificate> certificates;
    final TestInputTopic<String, RenewalAttempt> attempts;
    final TestInputTopic<String, SourceStatus> sourceStatus;
    final TestInputTopic<byte[], byte[]> rawCertificates;
    final TestOutputTopic<String, ExpiringCertificate> expiring;
    final TestOutputTopic<String, FailedRenewal> failed;
    final TestOutputTopic<String, Alert> alerts;
    final TestOutputTopic<byte[], byte[]> dlq;
    final TestOutputTopic<String, dev.certflow.events.CertificateName> names;
    final TestOutputTopic<String, dev.certflow.events.CertificateRenewal> renewals;

    private final java.nio.file.Path stateDir = java.nio.file.Path.of(System.getProperty("java.io.tmpdir"), "certflow-ttd-" + UUID.randomUUID());

    Harness(StreamsSettings settings) {
        this(settings, null);
    }

    /** With "now" from {@code clock} (null: the driver's wall clock), as {@code certflow local} runs it on a simulator's clock. */
    Harness(StreamsSettings settings, java.util.function.LongSupplier clock) {
        this.settings = settings;
        kafka.bootstrapServers = "dummy:9092";
        kafka.schemaRegistryUrl = "mock://" + UUID.randomUUID();
        topics = kafka.topics();
        settings.applicationId = "ttd-" + UUID.randomUUID();
        Properties props = StreamsProperties.of(kafka, settings, null, metrics);
        props.put("state.dir", stateDir.toString());
        driver = new TopologyTestDriver(CertflowTopology.buildTopology(topics, settings, metrics, clock), props, Fixtures.START);
        certificates = input(topics.certificates());
        attempts = input(topics.renewalAttempts());
        sourceStatus = input(topics.sourceStatus());
        rawCertificates = driver.createInputTopic(topics.certificates().name(), Serdes.ByteArray().serializer(), Serdes.ByteArray().serializer(), Fixtures.START, java.time.Duration.ZERO);
        expiring = output(topics.certificatesExpiring());
        failed = output(topics.renewalsFailed());
        alerts = output(topics.certificateAlerts());
        names = output(topics.certificateNames());
        renewals = output(topics.certificateRenewals());
        dlq = driver.createOutputTopic(topics.deadLetters().name(), Serdes.ByteArray().deserializer(), Serdes.ByteArray().deserializer());
    }

    Harness() {
        this(new StreamsSettings());
    }

    /** The old fixed thresholds: 30, 14, 7 and 1 days and no renewal policy. */
    static StreamsSettings fixedThresholds() {
        StreamsSettings s = new StreamsSettings();
        s.thresholdDays = new java.util.ArrayList<>(java.util.List.of(30, 14, 7, 1));
        s.renewal.enabled = false;
        return s;
    }

    private <V> TestInputTopic<String, V> input(Topics.Topic<String, V> t) {
        return driver.createInputTopic(t.name(), t.keySerde().serializer(), t.valueSerde().serializer(), Fixtures.START, java.time.Duration.ZERO);
    }

    private <V> TestOutputTopic<String, V> output(Topics.Topic<String, V> t) {
        return driver.createOutputTopic(t.name(), t.keySerde().deserializer(), t.valueSerde().deserializer());
    }

    private java.time.Instant now = Fixtures.START;

    void advance(java.time.Duration d) {
        driver.advanceWallClockTime(d);
        now = now.plus(d);
    }

    /** The driver's wall clock. */
    java.time.Instant now() {
        return now;
    }

    /** Moves the wall clock to {@code t} in one step (one tick there). */
    void toInstant(java.time.Instant t) {
        advance(java.time.Duration.between(now, t));
    }

    /** Advances in steps of one hour, like a running application's frequent ticks. */
    void advanceHourly(java.time.Duration total) {
        for (long h = 0; h < total.toHours(); h++) {
            advance(java.time.Duration.ofHours(1));
        }
    }

    /**
     * The query service over this driver's state stores, as one instance hosting every partition,
     * with "now" at {@link Fixtures#START}.
     */
    QueryService queries() {
        return queries(new ClockTime(Fixtures.START::toEpochMilli));
    }

    /** The query service with "now" at the driver's wall clock. */
    QueryService queriesAtDriverTime() {
        return queries(new ClockTime(() -> now.toEpochMilli()));
    }

    private QueryService queries(ClockTime clock) {
        HostInfo self = new HostInfo("localhost", 1);
        return new QueryService(new QueryService.StreamsState() {
            @Override
            public <K, V> ReadOnlyKeyValueStore<K, V> store(String name) {
                return driver.getKeyValueStore(name);
            }

            @Override
            public KeyQueryMetadata metadataForKey(String store, String key) {
                return new KeyQueryMetadata(self, java.util.Set.of(), 0);
            }

            @Override
            public java.util.Collection<StreamsMetadata> metadataForStore(String store) {
                return java.util.List.of();
            }

            @Override
            public String state() {
                return "RUNNING";
            }
        }, self, clock, new RenewalPolicy(settings.renewal)).withOwners(settings.ownerRules());
    }

    @Override
    public void close() {
        driver.close();
        dev.certflow.embedded.TempDirs.deleteRecursively(stateDir);
    }
}
