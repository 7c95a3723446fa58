package dev.certflow.sink.delivery;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.ConsumerWorker;
import dev.certflow.sink.DeadLetterProducer;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.SinkConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Delivers {@code certificate-alerts} to the configured channels, at least once: each alert is
 * queued on every channel whose routes accept it (one {@link ChannelWorker} per channel), and the
 * consumer offset moves past an alert only once every one of those channels has recorded a
 * final outcome (delivered, or dead-lettered to {@code alert-deliveries-dlq} with the last
 * error). Receivers dedupe redeliveries by the idempotent keys (alert id, Idempotency-Key).
 */
public final class AlertDelivery implements AutoCloseable, ConsumerWorker.Handler {
    private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);
    static final String APPLICATION = "certflow-sink-delivery";
    /** Header on delivery dead letters naming the channel that gave up. */
    public static final String CHANNEL_HEADER = "certflow.delivery.channel";

    private final SinkConfig config;
    private final FaultHook faults;
    private final String deliveryDlqTopic;
    private final Deserializer<Alert> deserializer;
    private final Serializer<Alert> dlqSerializer;
    private final List<ChannelWorker> workers = new ArrayList<>();
    private final OffsetTracker tracker = new OffsetTracker();
    private final ScheduledExecutorService resender;
    private final DeliveryLog log;
    private static final ObjectMapper LABELS = new ObjectMapper();

    private final DataSource dataSource;
    private final ConsumerWorker worker;
    private boolean paused;

    public AlertDelivery(KafkaSettings kafka, SinkConfig config, DataSource dataSource, MeterRegistry registry, FaultHook faults,
                         PrintStream console) {
        this.config = config;
        this.faults = faults == null ? FaultHook.NONE : faults;
        this.dataSource = dataSource;
        Topics topics = kafka.topics();
        this.deliveryDlqTopic = topics.alertDeliveriesDlq().name();
        this.deserializer = topics.certificateAlerts().valueSerde().deserializer();
        this.dlqSerializer = topics.alertDeliveriesDlq().valueSerde().serializer();
        this.log = new DeliveryLog(dataSource);
        List<ChannelConfig> channels = new ArrayList<>(config.channels);
        channels.addAll(OwnerChannels.of(config));
        for (ChannelConfig cc : channels) {
            Channel channel = cc.type() == ChannelConfig.Type.CONSOLE
                    ? new ConsoleChannel(cc.name, console == null ? System.out : console)
                    : new HttpChannel(cc, config);
            int attempts = cc.maxAttempts > 0 ? cc.maxAttempts : config.maxAttempts;
            int concurrency = cc.concurrency > 0 ? cc.concurrency : config.deliveryConcurrency;
            workers.add(new ChannelWorker(cc, channel, log, this::deadLetter, attempts, concurrency, config.initialBackoff, config.maxBackoff, registry));
        }
        this.worker = new ConsumerWorker("delivery", kafka, kafka.topicPrefix + config.groupId + "-delivery", APPLICATION,
                List.of(topics.certificateAlerts().name()), config.batchSize, config.pollTimeout, registry, this);
        Gauge.builder("certflow.sink.delivery.in.flight", tracker, OffsetTracker::open)
                .description("Alerts dispatched whose outcome is not yet recorded on every channel").register(registry);
        this.resender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sink-alertmanager-resend");
            t.setDaemon(true);
            return t;
        });
    }

    public AlertDelivery start() {
        restoreFiring();
        workers.forEach(ChannelWorker::start);
        long every = config.alertmanagerResendInterval.toMillis();
        resender.scheduleAtFixedRate(() -> workers.stream().filter(w -> w.channel().resendsFiring()).forEach(ChannelWorker::resendFiring),
                every, every, TimeUnit.MILLISECONDS);
        worker.start();
        return this;
    }

    public boolean isHealthy() {
        return worker.isHealthy();
    }

    /** Completes once the consumer first holds partitions of the alerts topic. */
    public CompletableFuture<Void> assigned() {
        return worker.assigned();
    }

    /** Alerts still firing on Alertmanager channels (re-sent periodically). */
    public int firingOnAlertmanager() {
        return workers.stream().filter(w -> w.channel().resendsFiring()).mapToInt(ChannelWorker::firingCount).sum();
    }

    /**
     * After a restart the in-memory set of firing alerts is empty, and Alertmanager would time
     * them out; rebuild it from the alert history (latest transition per alert is FIRING). Best
     * effort: the history is written by the view writer and may lag or be off.
     */
    private void restoreFiring() {
        List<ChannelWorker> am = workers.stream().filter(w -> w.channel().resendsFiring()).toList();
        if (am.isEmpty()) {
            return;
        }
        String sql = "SELECT alert_id, kind, severity, threshold, summary, cert_key, fired_at, labels::text, tenant, source_kind, source_name FROM ("
                + "SELECT DISTINCT ON (alert_id) * FROM alert_history ORDER BY alert_id, fired_at DESC, id DESC) latest WHERE status = 'FIRING'";
        int restored = 0;
        try (Connection conn = dataSource.getConnection(); Statement st = conn.createStatement(); ResultSet rs = st.executeQuery(sql)) {
            while (rs.next()) {
                Alert alert = fromHistory(rs);
                for (ChannelWorker w : am) {
                    if (w.accepts(alert)) {
                        w.restoreFiring(alert);
                        restored++;
                    }
                }
            }
        } catch (Exception e) {
            LOG.warn("Cannot restore firing alerts for Alertmanager re-sends: {}", e.toString());
            return;
        }
        LOG.info("Restored {} firing alerts for Alertmanager re-sends", restored);
    }

    private static Alert fromHistory(ResultSet rs) throws Exception {
        Map<String, String> labels = LABELS.readValue(rs.getString(8), new TypeReference<Map<String, String>>() { });
        String certKey = rs.getString(6);
        return Alert.newBuilder()
                .setAlertId(rs.getString(1))
                .setKind(AlertKind.valueOf(rs.getString(2)))
                .setStatus(AlertStatus.FIRING)
                .setSeverity(Severity.valueOf(rs.getString(3)))
                .setThreshold(rs.getString(4))
                .setSummary(rs.getString(5))
                .setCertificateKey(certKey == null ? null : CertificateKeys.parse(certKey))
                .setFiredAt(rs.getObject(7, OffsetDateTime.class).toInstant())
                .setLabels(labels)
                .setTenant(rs.getString(9))
                .setSourceKind(rs.getString(10) == null ? null : SourceKind.valueOf(rs.getString(10)))
                .setSourceName(rs.getString(11))
                .build();
    }

    @Override
    public void revoked(KafkaConsumer<String, byte[]> c, Collection<TopicPartition> partitions, boolean failed) {
        if (!failed) {
            commit(c); // a crashed worker commits nothing (as a killed process would not)
        }
        tracker.forget(partitions);
    }

    // assigned: resume from the committed offsets, everything before them has a recorded outcome

    @Override
    public void handle(KafkaConsumer<String, byte[]> c, ConsumerRecords<String, byte[]> records, DeadLetterProducer dlq) {
        for (ConsumerRecord<String, byte[]> r : records) {
            dispatch(r, dlq);
        }
        faults.reached(FaultHook.DELIVERY_BEFORE_COMMIT);
        commit(c);
        // back-pressure: a stuck channel fills up; stop fetching rather than holding unbounded alerts in memory
        if (!paused && tracker.open() >= config.maxInFlight) {
            c.pause(c.assignment());
            paused = true;
        } else if (paused && tracker.open() < config.maxInFlight / 2 + 1) {
            c.resume(c.paused());
            paused = false;
        }
    }

    @Override
    public void stopping(KafkaConsumer<String, byte[]> c) {
        commit(c); // orderly stop: keep what has an outcome
    }

    private void commit(KafkaConsumer<String, byte[]> c) {
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.committable();
        if (!offsets.isEmpty()) {
            c.commitSync(offsets);
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r, DeadLetterProducer dlq) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (r.value() == null) {
            tracker.register(tp, r.offset(), 0);
            return;
        }
        Alert alert;
        try {
            alert = deserializer.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            dlq.deadLetter(r, e, "deserialization");
            LOG.warn("Unreadable alert record {}/{}@{} dead-lettered", r.topic(), r.partition(), r.offset());
            tracker.register(tp, r.offset(), 0);
            return;
        }
        List<ChannelWorker> targets = workers.stream().filter(w -> w.accepts(alert)).toList();
        tracker.register(tp, r.offset(), targets.size());
        for (ChannelWorker w : targets) {
            w.submit(new ChannelWorker.Task(alert, r.topic(), r.partition(), r.offset(), false, () -> tracker.complete(tp, r.offset())));
        }
    }

    /** Sends the alert to the delivery DLQ with the last error; returns once the broker has it. */
    private void deadLetter(ChannelWorker.Task task, String channel, String lastError) throws Exception {
        Alert alert = task.alert();
        var headers = DeadLetters.headers(task.originTopic(), task.partition(), task.offset(), "delivery", APPLICATION + "/" + channel,
                new DeliveryFailedException(lastError), Instant.now());
        headers.add(CHANNEL_HEADER, channel.getBytes(StandardCharsets.UTF_8));
        byte[] value = dlqSerializer.serialize(deliveryDlqTopic, alert);
        worker.deadLetters().send(new ProducerRecord<>(deliveryDlqTopic, null, alert.getAlertId().getBytes(StandardCharsets.UTF_8), value, headers));
        LOG.warn("Alert {} dead-lettered for channel {} after its attempts", alert.getAlertId(), channel);
    }

    /** The last error of a delivery that used up its attempts (carries no secret: channels scrub their errors). */
    public static final class DeliveryFailedException extends Exception {
        public DeliveryFailedException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        worker.stop();
        resender.shutdownNow();
        workers.forEach(ChannelWorker::close);
        log.close();
        worker.close(); // the dead-letter producer last: the channels dead-letter through it until they stop
    }
}
