package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * One channel's worker: its configuration (routes, attempts, concurrency) and its channel, with
 * {@code concurrency} lanes, each a queue and a thread. An alert goes to the lane of its ordering
 * key (the certificate, or the alert for alerts about a source), so the transitions of one
 * certificate reach the receiver in order while other certificates' alerts are sent alongside.
 * Each alert is retried with exponential backoff on retryable failures, every attempt is queued for
 * the {@link DeliveryLog}, and after the last attempt the alert is handed to the dead-letter
 * callback. Each channel has its own worker, so a receiver that is down delays only its own lanes.
 * Concurrency does not weaken once-per-channel delivery: one alert transition is one task on one
 * lane, and the receivers dedupe redeliveries by the same idempotency keys.
 */
final class ChannelWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(ChannelWorker.class);

    /** A final outcome is known (delivered or dead-lettered) and recorded. */
    interface Done {
        void run();
    }

    /** Called with the alert and the last error once the attempts are used up; must return only when the DLQ has it. */
    interface DeadLetterer {
        void deadLetter(Task task, String channel, String lastError) throws Exception;
    }

    /**
     * One alert for this channel; {@code resend} tasks are Alertmanager's periodic re-sends (one
     * attempt, no DLQ); {@code acknowledge} tasks tell the channel the alert's incident is acknowledged.
     */
    record Task(Alert alert, String originTopic, int partition, long offset, boolean resend, boolean acknowledge, Done done) {
        Task(Alert alert, String originTopic, int partition, long offset, boolean resend, Done done) {
            this(alert, originTopic, partition, offset, resend, false, done);
        }
    }

    private final ChannelConfig config;
    private final Channel channel;
    private final DeliveryLog log;
    private final DeadLetterer deadLetterer;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final List<BlockingQueue<Queued>> lanes = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, Alert> firing = new ConcurrentHashMap<>();
    private final Counter retries;
    private final Counter deadLettered;
    private final Timer waited;
    private final Timer sent;
    private final MeterRegistry registry;

    /** A task and when it joined its lane (the wait before its first attempt is a metric). */
    private record Queued(Task task, long at) {
    }

    /**
     * @param config the channel's configuration: its routes decide {@link #accepts}
     * @param concurrency lanes (alerts in flight at once on this channel)
     */
    ChannelWorker(ChannelConfig config, Channel channel, DeliveryLog log, DeadLetterer deadLetterer, int maxAttempts, int concurrency,
                  Duration initialBackoff, Duration maxBackoff, MeterRegistry registry) {
        this.config = config;
        this.channel = channel;
        this.log = log;
        this.deadLetterer = deadLetterer;
        this.maxAttempts = maxAttempts;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.registry = registry;
        this.retries = Counter.builder("certflow.sink.delivery.retries").tag("channel", channel.name())
                .description("Delivery attempts repeated after a retryable failure").register(registry);
        this.deadLettered = Counter.builder("certflow.sink.delivery.dead.lettered").tag("channel", channel.name())
                .description("Alerts sent to the delivery dead-letter topic").register(registry);
        this.waited = DeliveryTimers.timer(registry, "certflow.sink.delivery.wait", "Time an alert waited in its lane before its first attempt",
                channel.name());
        this.sent = DeliveryTimers.timer(registry, "certflow.sink.delivery.send", "Time of one delivery attempt (the receiver's answer included)",
                channel.name());
        for (int i = 0; i < Math.max(1, concurrency); i++) {
            BlockingQueue<Queued> queue = new LinkedBlockingQueue<>();
            lanes.add(queue);
            Thread t = new Thread(() -> run(queue), "sink-channel-" + channel.name() + "-" + i);
            t.setDaemon(true);
            threads.add(t);
        }
        Gauge.builder("certflow.sink.delivery.queue", lanes, l -> l.stream().mapToInt(BlockingQueue::size).sum()).tag("channel", channel.name())
                .description("Alerts waiting for this channel").register(registry);
    }

    ChannelWorker start() {
        threads.forEach(Thread::start);
        return this;
    }

    Channel channel() {
        return channel;
    }

    /**
     * Whether this channel's routes take the alert. The RESOLVED of a step that escalated is no
     * recovery, so only Alertmanager gets it (to end that step's alert there; the grouping shows
     * the next step); everywhere else the next step's FIRING carries the incident on.
     */
    boolean accepts(Alert alert) {
        if (AlertFields.isEscalatedAway(alert) && !channel.resendsFiring()) {
            return false;
        }
        return config.accepts(alert);
    }

    void submit(Task task) {
        lane(task.alert()).add(new Queued(task, System.nanoTime()));
    }

    private BlockingQueue<Queued> lane(Alert alert) {
        return lanes.get(Math.floorMod(orderingKey(alert).hashCode(), lanes.size()));
    }

    /**
     * What must reach the receiver in order: every transition of one certificate (so every step of
     * its incidents: PagerDuty sees one dedup_key's trigger, escalation and resolve in order), or of
     * one incident about a source.
     */
    static String orderingKey(Alert alert) {
        String cert = AlertFields.certificateKey(alert);
        return cert != null ? cert : AlertFields.incidentId(alert);
    }

    /** Queues a re-send of every alert still firing on this channel. */
    void resendFiring() {
        for (Alert a : firing.values()) {
            submit(new Task(a, null, -1, -1, true, () -> { }));
        }
    }

    /** Remembers an alert known to be firing (from the views database after a restart) so it is re-sent. */
    void restoreFiring(Alert alert) {
        firing.putIfAbsent(alert.getAlertId(), alert);
    }

    /** The incident is acknowledged: its alerts are no longer re-sent. */
    void forgetIncident(String incidentId) {
        firing.values().removeIf(a -> AlertFields.incidentId(a).equals(incidentId));
    }

    int firingCount() {
        return firing.size();
    }

    private void run(BlockingQueue<Queued> queue) {
        while (closing.getCount() > 0) {
            Queued queued;
            try {
                queued = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (queued == null) {
                continue;
            }
            Task task = queued.task();
            waited.record(System.nanoTime() - queued.at(), TimeUnit.NANOSECONDS);
            try {
                deliver(task);
            } catch (InterruptedException e) {
                return; // closing: the record stays uncommitted and is delivered again after a restart
            } catch (RuntimeException e) {
                LOG.error("Channel {} worker failed on alert {}: {}", channel.name(), task.alert().getAlertId(), e.toString());
            }
        }
    }

    /**
     * Sends one task to its final outcome and queues the attempt rows; {@code done} runs once the
     * final row is committed. Throws InterruptedException when closing cut it short.
     */
    private void deliver(Task task) throws InterruptedException {
        Alert alert = task.alert();
        int attempts = task.resend() ? 1 : maxAttempts;
        String lastError = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            Instant start = Instant.now();
            long t0 = System.nanoTime();
            Channel.Attempt result = task.acknowledge() ? channel.acknowledge(alert) : channel.send(alert);
            long took = System.nanoTime() - t0;
            sent.record(took, TimeUnit.NANOSECONDS);
            long ms = TimeUnit.NANOSECONDS.toMillis(took);
            if (result.delivered()) {
                count("delivered");
                // a re-send never puts an alert back: its RESOLVED may have been delivered since it was queued
                if (channel.resendsFiring() && !task.acknowledge() && !task.resend()) {
                    if (alert.getStatus() == AlertStatus.FIRING) {
                        firing.put(alert.getAlertId(), alert);
                    } else {
                        firing.remove(alert.getAlertId());
                    }
                }
                record(task, attempt, DeliveryLog.Outcome.DELIVERED, result.httpStatus(), result.error(), ms, start)
                        .thenRun(task.done()::run);
                return;
            }
            lastError = result.error();
            boolean again = result.retryable() && attempt < attempts;
            record(task, attempt, again ? DeliveryLog.Outcome.RETRYING : DeliveryLog.Outcome.FAILED, result.httpStatus(), result.error(), ms, start);
            count("failed");
            LOG.warn("Channel {}: alert {} attempt {}/{} failed ({}){}", channel.name(), alert.getAlertId(), attempt, attempts,
                    cause(result), again ? ", retrying" : "");
            if (!again) {
                break;
            }
            retries.increment();
            if (closing.await(backoff(attempt, result.retryAfter()).toMillis(), TimeUnit.MILLISECONDS)) {
                throw new InterruptedException("closing");
            }
        }
        if (task.resend()) {
            return; // the next periodic re-send tries again; the original delivery already has its outcome
        }
        while (true) {
            try {
                deadLetterer.deadLetter(task, channel.name(), lastError);
                break;
            } catch (Exception e) {
                LOG.warn("Channel {}: cannot dead-letter alert {} yet ({}); retrying", channel.name(), alert.getAlertId(), e.getClass().getSimpleName());
                if (closing.await(maxBackoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new InterruptedException("closing");
                }
            }
        }
        deadLettered.increment();
        count("dead_lettered");
        record(task, maxAttempts, DeliveryLog.Outcome.DEAD_LETTERED, null, lastError, 0, Instant.now()).thenRun(task.done()::run);
    }

    /**
     * Why an attempt failed, for the log: the HTTP status when there is one (the receiver's body
     * stays in {@code delivery_attempts}: it may echo the payload), else the channel's error (an
     * exception class and message, secrets scrubbed).
     */
    static String cause(Channel.Attempt result) {
        if (result.httpStatus() != null) {
            return "HTTP " + result.httpStatus();
        }
        return result.error() == null || result.error().isBlank() ? "no reason given" : result.error();
    }

    private void count(String outcome) {
        Counter.builder("certflow.sink.deliveries").tag("channel", channel.name()).tag("outcome", outcome)
                .description("Delivery attempts by channel and outcome").register(registry).increment();
    }

    Duration backoff(int attempt, Duration retryAfter) {
        long base = initialBackoff.toMillis() * (1L << Math.min(attempt - 1, 20));
        long capped = Math.min(base, maxBackoff.toMillis());
        long jittered = capped / 2 + ThreadLocalRandom.current().nextLong(capped / 2 + 1); // spreads retries of many alerts
        long wait = retryAfter == null ? jittered : Math.max(jittered, retryAfter.toMillis());
        return Duration.ofMillis(Math.min(wait, maxBackoff.toMillis()));
    }

    private CompletableFuture<Void> record(Task task, int attempt, DeliveryLog.Outcome outcome, Integer status, String error, long ms, Instant at) {
        return log.submit(new DeliveryLog.Row(task.alert().getAlertId(), task.alert().getStatus().name(), channel.name(), channel.type().id(),
                attempt, outcome, status, error, task.resend(), ms, at));
    }

    @Override
    public void close() {
        closing.countDown();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        for (Thread t : threads) {
            try {
                t.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            }
        }
        channel.close();
    }
}
