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
import dev.certflow.sink.oncall.Notifier;
import dev.certflow.sink.oncall.OnCall;
import dev.certflow.sink.oncall.OnCallFeed;
import dev.certflow.runtime.owners.OwnersConfig;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.RetriableException;
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
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
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
 *
 * <p>Before an alert goes to any channel, {@link OnCall} decides and records whether it is notified
 * (silences, acknowledgements), and on every poll it releases held alerts whose silences ended,
 * applies new acknowledgements and sends the escalations that are due, each claimed in PostgreSQL.
 */
public final class AlertDelivery implements AutoCloseable, ConsumerWorker.Handler, Notifier {
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
    private final OnCallFeed feed;
    private final OnCall oncall;
    private final String alertsTopic;
    private final Map<String, List<ChannelWorker>> escalationWorkers = new LinkedHashMap<>();
    private boolean paused;
    private static final long ONCALL_TICK_NANOS = TimeUnit.SECONDS.toNanos(1);
    private long lastOncallTick = System.nanoTime() - ONCALL_TICK_NANOS;
    private final Timer decideTime;
    private final Timer commitTime;
    private final Timer oncallTime;

    public AlertDelivery(KafkaSettings kafka, SinkConfig config, DataSource dataSource, MeterRegistry registry, FaultHook faults,
                         PrintStream console) {
        this(kafka, config, dataSource, registry, faults, console, Clock.systemUTC());
    }

    /** With the clock silences, acknowledgements and escalations are timed by (tests). */
    public AlertDelivery(KafkaSettings kafka, SinkConfig config, DataSource dataSource, MeterRegistry registry, FaultHook faults,
                         PrintStream console, Clock clock) {
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
        this.alertsTopic = topics.certificateAlerts().name();
        this.feed = new OnCallFeed(kafka);
        this.oncall = new OnCall(dataSource, feed, config.owners(), clock);
        for (OnCall.Escalation e : escalationTargets(config.owners())) {
            List<ChannelWorker> ws = new ArrayList<>();
            for (ChannelConfig cc : OwnerChannels.contacts("escalation-" + e.targetName(), e.target(), "owners.", config)) {
                ws.add(new ChannelWorker(cc, new HttpChannel(cc, config), log, this::deadLetter, config.maxAttempts, 1, config.initialBackoff,
                        config.maxBackoff, registry));
            }
            escalationWorkers.put(e.targetName(), ws);
        }
        this.worker = new ConsumerWorker("delivery", kafka, kafka.topicPrefix + config.groupId + "-delivery", APPLICATION,
                List.of(topics.certificateAlerts().name()), config.batchSize, config.pollTimeout, registry, this);
        Gauge.builder("certflow.sink.delivery.in.flight", tracker, OffsetTracker::open)
                .description("Alerts dispatched whose outcome is not yet recorded on every channel").register(registry);
        // one description per meter name: Prometheus keeps the first
        String step = "One step of the delivery consumer's round (decide: a poll's notification decisions; commit: offsets; oncall: releases, "
                + "acknowledgements, escalations)";
        this.decideTime = DeliveryTimers.step(registry, "decide", step);
        this.commitTime = DeliveryTimers.step(registry, "commit", step);
        this.oncallTime = DeliveryTimers.step(registry, "oncall", step);
        this.resender = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sink-alertmanager-resend");
            t.setDaemon(true);
            return t;
        });
    }

    /** Every escalation target some owner (or the unowned) escalates to, once each. */
    private List<OnCall.Escalation> escalationTargets(OwnersConfig owners) {
        Map<String, OnCall.Escalation> out = new LinkedHashMap<>();
        List<String> names = new ArrayList<>();
        owners.teams.forEach(t -> names.add(t.name));
        names.add(null);
        for (String owner : names) {
            OnCall.Escalation e = oncall.escalationFor(owner);
            if (e != null) {
                out.putIfAbsent(e.targetName(), e);
            }
        }
        return new ArrayList<>(out.values());
    }

    public AlertDelivery start() {
        feed.start();
        try {
            // nothing is decided before the silences and acknowledgements on the topics are known
            feed.loaded().get(2, TimeUnit.MINUTES);
        } catch (Exception e) {
            feed.close();
            throw new IllegalStateException("cannot read the silences and acknowledgements topics: " + e, e);
        }
        restoreFiring();
        workers.forEach(ChannelWorker::start);
        escalationWorkers.values().forEach(ws -> ws.forEach(ChannelWorker::start));
        try {
            oncall.resumeUnfinished(this);
        } catch (SQLException e) {
            LOG.warn("Cannot resume the releases and escalations claimed before the restart: {}", e.getClass().getSimpleName());
        }
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
                + "SELECT DISTINCT ON (alert_id) * FROM alert_history ORDER BY alert_id, fired_at DESC, id DESC) latest WHERE status = 'FIRING' "
                // held by a silence, or acknowledged: not re-sent
                + "AND NOT EXISTS (SELECT 1 FROM alert_notifications n WHERE n.alert_id = latest.alert_id AND n.status = 'FIRING' "
                + "AND n.fired_at = latest.fired_at AND (n.acknowledged OR n.state IN ('SILENCED', 'ACKNOWLEDGED', 'RESOLVED_IN_SILENCE')))";
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
        List<ConsumerRecord<String, byte[]>> usable = new ArrayList<>();
        List<Alert> alerts = new ArrayList<>();
        for (ConsumerRecord<String, byte[]> r : records) {
            Alert alert = read(r, dlq);
            if (alert != null) {
                usable.add(r);
                alerts.add(alert);
            }
        }
        long t0 = System.nanoTime();
        List<Boolean> notify = alerts.isEmpty() ? List.of() : decide(alerts);
        if (!alerts.isEmpty()) {
            decideTime.record(System.nanoTime() - t0, TimeUnit.NANOSECONDS);
        }
        for (int i = 0; i < usable.size(); i++) {
            dispatch(usable.get(i), alerts.get(i), notify.get(i));
        }
        faults.reached(FaultHook.DELIVERY_BEFORE_COMMIT);
        long t1 = System.nanoTime();
        if (commit(c)) {
            commitTime.record(System.nanoTime() - t1, TimeUnit.NANOSECONDS);
        }
        // back-pressure: a stuck channel fills up; stop fetching rather than holding unbounded alerts in memory
        if (!paused && tracker.open() >= config.maxInFlight) {
            c.pause(c.assignment());
            paused = true;
        } else if (paused && tracker.open() < config.maxInFlight / 2 + 1) {
            c.resume(c.paused());
            paused = false;
        }
        // at most once a second: its queries would otherwise run between every two polls of a busy topic, and
        // silences, acknowledgements and escalations are timed in seconds and minutes
        long t2 = System.nanoTime();
        if (t2 - lastOncallTick >= ONCALL_TICK_NANOS) {
            lastOncallTick = t2;
            try {
                oncall.tick(this);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("Silences, acknowledgements and escalations not applied this round ({}); retrying", e.getClass().getSimpleName());
            }
            oncallTime.record(System.nanoTime() - t2, TimeUnit.NANOSECONDS);
        }
    }

    /** The decisions of one poll, retried while the database is away (the consumer waits: nothing is sent undecided). */
    private List<Boolean> decide(List<Alert> alerts) {
        for (int attempt = 1; ; attempt++) {
            try {
                return oncall.decide(alerts);
            } catch (SQLException e) {
                if (attempt >= 10 || !worker.isRunning()) {
                    throw new IllegalStateException("cannot record the notification decisions: " + e.getClass().getSimpleName(), e);
                }
                LOG.warn("Cannot record the notification decisions of {} alerts ({}); retrying", alerts.size(), e.getClass().getSimpleName());
                try {
                    Thread.sleep(Math.min(config.maxBackoff.toMillis(), 1000L * attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
    }

    @Override
    public void stopping(KafkaConsumer<String, byte[]> c) {
        commit(c); // orderly stop: keep what has an outcome
    }

    /**
     * Commits what has an outcome on every channel. A broker that does not answer within the commit's timeout
     * (an outage of a minute or more) is not a reason to stop delivering: the offsets stay committable and the
     * next round commits them (until then a restart would deliver those alerts again, with the same
     * idempotency keys).
     */
    private boolean commit(KafkaConsumer<String, byte[]> c) {
        Map<TopicPartition, OffsetAndMetadata> offsets = tracker.committable();
        if (offsets.isEmpty()) {
            return false;
        }
        try {
            c.commitSync(offsets);
            tracker.committed(offsets);
        } catch (RetriableException e) { // a TimeoutException among them
            LOG.warn("Delivered alerts' offsets not committed yet ({}); committed with the next round", e.getClass().getSimpleName());
        }
        return true;
    }

    /** The alert of a record; null for a tombstone or an unreadable record (dead-lettered), whose offset is then done. */
    private Alert read(ConsumerRecord<String, byte[]> r, DeadLetterProducer dlq) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        if (r.value() == null) {
            tracker.register(tp, r.offset(), 0);
            return null;
        }
        for (int attempt = 1; ; attempt++) {
            try {
                return deserializer.deserialize(r.topic(), r.value());
            } catch (RuntimeException e) {
                if (!dev.certflow.schemas.registry.SchemaRegistryException.unavailable(e)) {
                    dlq.deadLetter(r, e, "deserialization");
                    LOG.warn("Unreadable alert record {}/{}@{} dead-lettered", r.topic(), r.partition(), r.offset());
                    tracker.register(tp, r.offset(), 0);
                    return null;
                }
                // the registry, not the record: wait for it (nothing after this record is sent or committed meanwhile)
                if (attempt >= 30 || !worker.isRunning()) {
                    throw new IllegalStateException("schema registry unavailable while reading " + r.topic() + "/" + r.partition() + "@" + r.offset(), e);
                }
                LOG.warn("Schema registry unavailable while reading alert {}/{}@{}; retrying", r.topic(), r.partition(), r.offset());
                try {
                    Thread.sleep(Math.min(config.maxBackoff.toMillis(), 1000L * attempt));
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted while waiting for the schema registry", ie);
                }
            }
        }
    }

    private void dispatch(ConsumerRecord<String, byte[]> r, Alert alert, boolean notify) {
        TopicPartition tp = new TopicPartition(r.topic(), r.partition());
        List<ChannelWorker> targets = notify ? workers.stream().filter(w -> w.accepts(alert)).toList() : List.of();
        tracker.register(tp, r.offset(), targets.size());
        for (ChannelWorker w : targets) {
            w.submit(new ChannelWorker.Task(alert, r.topic(), r.partition(), r.offset(), false, () -> tracker.complete(tp, r.offset())));
        }
    }

    @Override
    public void release(Alert alert, Runnable done) {
        submitAll(workers.stream().filter(w -> w.accepts(alert)).toList(), alert, false, done);
    }

    @Override
    public boolean escalate(Alert alert, String targetName, Duration after, Runnable done) {
        List<ChannelWorker> ws = escalationWorkers.getOrDefault(targetName, List.of());
        if (ws.isEmpty()) {
            return false;
        }
        submitAll(ws, Payloads.escalated(alert, targetName, after), false, done);
        return true;
    }

    @Override
    public void acknowledged(String incidentId, Alert latest, boolean notify) {
        workers.stream().filter(w -> w.channel().resendsFiring()).forEach(w -> w.forgetIncident(incidentId));
        if (notify && latest != null) {
            submitAll(workers.stream().filter(w -> w.channel().type() == ChannelConfig.Type.PAGERDUTY && w.accepts(latest)).toList(),
                    latest, true, () -> { });
        }
    }

    /** Tasks not tied to a consumer offset (releases, escalations, acknowledgements); {@code done} once every channel has an outcome. */
    private void submitAll(List<ChannelWorker> targets, Alert alert, boolean acknowledge, Runnable done) {
        if (targets.isEmpty()) {
            done.run();
            return;
        }
        AtomicInteger left = new AtomicInteger(targets.size());
        for (ChannelWorker w : targets) {
            w.submit(new ChannelWorker.Task(alert, alertsTopic, -1, -1, false, acknowledge, () -> {
                if (left.decrementAndGet() == 0) {
                    done.run();
                }
            }));
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
        escalationWorkers.values().forEach(ws -> ws.forEach(ChannelWorker::close));
        feed.close();
        log.close();
        worker.close(); // the dead-letter producer last: the channels dead-letter through it until they stop
    }
}
