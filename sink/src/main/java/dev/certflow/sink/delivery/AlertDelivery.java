package dev.certflow.sink.delivery;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.schemas.DeadLetters;
import dev.certflow.schemas.Topics;
import dev.certflow.sink.ChannelConfig;
import dev.certflow.sink.FaultHook;
import dev.certflow.sink.SinkConfig;
import io.micrometer.core.instrument.Gauge;
import dev.certflow.runtime.ops.ClientMetrics;
import dev.certflow.sink.ConsumerLoops;
import io.micrometer.core.instrument.MeterRegistry;
import org.apache.kafka.clients.consumer.ConsumerRebalanceListener;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.WakeupException;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serializer;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.OffsetDateTime;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Delivers {@code certificate-alerts} to the configured channels, at least once: each alert is
 * queued on every channel whose routes accept it (one queue and thread per channel), and the
 * consumer offset moves past an alert only once every one of those channels has recorded a
 * final outcome (delivered, or dead-lettered to {@code alert-deliveries-dlq} with the last
 * error). Receivers dedupe redeliveries by the idempotent keys (alert id, Idempotency-Key).
 */
public final class AlertDelivery implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AlertDelivery.class);
    static final String APPLICATION = "certflow-sink-delivery";
    /** Header on delivery dead letters naming the channel that gave up. */
    public static final String CHANNEL_HEADER = "certflow.delivery.channel";

    private final KafkaSettings kafka;
    private final SinkConfig config;
    private final FaultHook faults;
    private final String groupId;
    private final String alertsTopic;
    private final String dlqTopic;
    private final String deliveryDlqTopic;
    private final Deserializer<Alert> deserializer;
    private final Serializer<Alert> dlqSerializer;
    private final List<ChannelWorker> workers = new ArrayList<>();
    private final List<ChannelConfig> channelConfigs;
    private final OffsetTracker tracker = new OffsetTracker();
    private final AtomicLong lag = new AtomicLong();
    private final ScheduledExecutorService resender;
    private final KafkaProducer<byte[], byte[]> producer;
    private static final ObjectMapper LABELS = new ObjectMapper();

    private final DataSource dataSource;
    private final Thread thread;
    private volatile boolean running = true;
    private volatile boolean failed;
    private volatile KafkaConsumer<String, byte[]> consumer;
    private final CompletableFuture<Void> assigned = new CompletableFuture<>();
    private final MeterRegistry registry;

    public AlertDelivery(KafkaSettings kafka, SinkConfig config, DataSource dataSource, MeterRegistry registry, FaultHook faults,
                         PrintStream console) {
        this.registry = registry;
        this.kafka = kafka;
        this.config = config;
        this.faults = faults == null ? FaultHook.NONE : faults;
        this.dataSource = dataSource;
        this.groupId = kafka.topicPrefix + config.groupId + "-delivery";
        Topics topics = kafka.topics();
        this.alertsTopic = topics.certificateAlerts().name();
        this.dlqTopic = topics.deadLetters().name();
        this.deliveryDlqTopic = topics.alertDeliveriesDlq().name();
        this.deserializer = topics.certificateAlerts().valueSerde().deserializer();
        this.dlqSerializer = topics.alertDeliveriesDlq().valueSerde().serializer();
        this.channelConfigs = List.copyOf(config.channels);
        this.producer = new KafkaProducer<>(kafka.producer(APPLICATION + "-dlq"), new ByteArraySerializer(), new ByteArraySerializer());
        DeliveryLog log = new DeliveryLog(dataSource);
        for (ChannelConfig cc : channelConfigs) {
            Channel channel = cc.type() == ChannelConfig.Type.CONSOLE
                    ? new ConsoleChannel(cc.name, console == null ? System.out : console)
                    : new HttpChannel(cc, config);
            int attempts = cc.maxAttempts > 0 ? cc.maxAttempts : config.maxAttempts;
            workers.add(new ChannelWorker(channel, log, this::deadLetter, attempts, config.initialBackoff, config.maxBackoff, registry));
        }
        Gauge.builder("certflow.sink.consumer.lag", lag, AtomicLong::get).tag("consumer", "delivery")
                .description("Records behind the end of the input topics").register(registry);
        Gauge.builder("certflow.sink.delivery.in.flight", tracker, OffsetTracker::open)
                .description("Alerts dispatched whose outcome is not yet recorded on every channel").register(registry);
        this.resender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sink-alertmanager-resend");
            t.setDaemon(true);
            return t;
        });
        this.thread = new Thread(this::run, "sink-alert-delivery");
    }

    public AlertDelivery start() {
        restoreFiring();
        workers.forEach(ChannelWorker::start);
        long every = config.alertmanagerResendInterval.toMillis();
        resender.scheduleAtFixedRate(() -> workers.stream().filter(w -> w.channel().resendsFiring()).forEach(ChannelWorker::resendFiring),
                every, every, TimeUnit.MILLISECONDS);
        thread.start();
        return this;
    }

    public boolean isHealthy() {
        return !failed;
    }

    /** Completes once the consumer first holds partitions of the alerts topic. */
    public CompletableFuture<Void> assigned() {
        return assigned;
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
                    if (accepts(w, alert)) {
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

    private void run() {
        Map<String, Object> props = kafka.consumer(groupId, APPLICATION);
        props.put("max.poll.records", config.batchSize);
        try (KafkaConsumer<String, byte[]> c = new KafkaConsumer<>(props, new StringDeserializer(), new ByteArrayDeserializer());
             ClientMetrics.Binding consumerMetrics = ClientMetrics.bind(registry, c)) {
            consumer = c;
            c.subscribe(List.of(alertsTopic), new ConsumerRebalanceListener() {
                @Override
                public void onPartitionsRevoked(Collection<TopicPartition> partitions) {
                    if (!failed) {
                        commit(c); // a crashed worker commits nothing (as a killed process would not)
                    }
                    tracker.forget(partitions);
                }

                @Override
                public void onPartitionsAssigned(Collection<TopicPartition> partitions) {
                    // resume from the committed offsets: everything before them has a recorded outcome
                    if (!partitions.isEmpty()) {
                        assigned.complete(null);
                    }
                }
            });
            try {
                loop(c);
            } catch (Error | RuntimeException e) {
                failed = !(e instanceof WakeupException);
                throw e;
            }
        } catch (WakeupException e) {
            LOG.debug("Alert delivery woken up to stop");
        } catch (Error e) {
            LOG.error("Alert delivery stopped: {}", e.toString());
        } catch (RuntimeException e) {
            LOG.error("Alert delivery stopped", e);
        }
    }

    private void loop(KafkaConsumer<String, byte[]> c) {
        {
            boolean paused = false;
            while (running) {
                ConsumerRecords<String, byte[]> records;
                try {
                    records = c.poll(config.pollTimeout);
                } catch (WakeupException e) {
                    break;
                }
                for (ConsumerRecord<String, byte[]> r : records) {
                    dispatch(r);
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
                long total = 0;
                for (TopicPartition tp : c.assignment()) {
                    total += c.currentLag(tp).orElse(0);
                }
                lag.set(total);
            }
            commit(c); // orderly stop: keep what has an outcome
        }
    }

    private void commit(KafkaConsumer<String, byte[]> c) {
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.committable();
        if (!offsets.isEmpty()) {
            c.commitSync(offsets);
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (r.value() == null) {
            tracker.register(tp, r.offset(), 0);
            return;
        }
        Alert alert;
        try {
            alert = deserializer.deserialize(r.topic(), r.value());
        } catch (RuntimeException e) {
            deadLetterUnreadable(r, e);
            tracker.register(tp, r.offset(), 0);
            return;
        }
        List<ChannelWorker> targets = workers.stream().filter(w -> accepts(w, alert)).toList();
        tracker.register(tp, r.offset(), targets.size());
        for (ChannelWorker w : targets) {
            w.submit(new ChannelWorker.Task(alert, r.topic(), r.partition(), r.offset(), false, () -> tracker.complete(tp, r.offset())));
        }
    }

    private boolean accepts(ChannelWorker w, Alert alert) {
        return channelConfigs.stream().filter(cc -> cc.name.equals(w.channel().name())).findFirst().map(cc -> cc.accepts(alert)).orElse(false);
    }

    /** Sends the alert to the delivery DLQ with the last error; returns once the broker has it. */
    private void deadLetter(ChannelWorker.Task task, String channel, String lastError) throws Exception {
        Alert alert = task.alert();
        var headers = DeadLetters.headers(task.originTopic(), task.partition(), task.offset(), "delivery", APPLICATION + "/" + channel,
                new DeliveryFailedException(lastError), Instant.now());
        headers.add(CHANNEL_HEADER, channel.getBytes(StandardCharsets.UTF_8));
        byte[] value = dlqSerializer.serialize(deliveryDlqTopic, alert);
        producer.send(new ProducerRecord<>(deliveryDlqTopic, null, alert.getAlertId().getBytes(StandardCharsets.UTF_8), value, headers))
                .get(30, TimeUnit.SECONDS);
        LOG.warn("Alert {} dead-lettered for channel {} after its attempts", alert.getAlertId(), channel);
    }

    private void deadLetterUnreadable(ConsumerRecord<String, byte[]> r, Exception e) {
        byte[] key = r.key() == null ? null : r.key().getBytes(StandardCharsets.UTF_8);
        var headers = DeadLetters.headers(r.topic(), r.partition(), r.offset(), "deserialization", APPLICATION, e, Instant.now());
        try {
            producer.send(DeadLetters.record(dlqTopic, key, r.value(), headers)).get(30, TimeUnit.SECONDS);
        } catch (Exception ex) {
            throw new IllegalStateException("cannot dead-letter unreadable alert record " + r.topic() + "/" + r.partition() + "@" + r.offset(), ex);
        }
        LOG.warn("Unreadable alert record {}/{}@{} dead-lettered", r.topic(), r.partition(), r.offset());
    }

    /** The last error of a delivery that used up its attempts (carries no secret: channels scrub their errors). */
    public static final class DeliveryFailedException extends Exception {
        public DeliveryFailedException(String message) {
            super(message);
        }
    }

    @Override
    public void close() {
        running = false;
        ConsumerLoops.stop(consumer, thread);
        resender.shutdownNow();
        workers.forEach(ChannelWorker::close);
        producer.close(Duration.ofSeconds(5));
    }
}
