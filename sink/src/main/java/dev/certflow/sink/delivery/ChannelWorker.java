package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * The queue and thread of one channel: alerts are sent in order, each retried with exponential
 * backoff on retryable failures, every attempt recorded, and after the last attempt handed to
 * the dead-letter callback. Each channel has its own worker, so a receiver that is down delays
 * only its own queue.
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

    /** One alert for this channel; {@code resend} tasks are Alertmanager's periodic re-sends (one attempt, no DLQ). */
    record Task(Alert alert, String originTopic, int partition, long offset, boolean resend, Done done) {
    }

    private final Channel channel;
    private final DeliveryLog log;
    private final DeadLetterer deadLetterer;
    private final int maxAttempts;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final BlockingQueue<Task> queue = new LinkedBlockingQueue<>();
    private final CountDownLatch closing = new CountDownLatch(1);
    private final Map<String, Alert> firing = new ConcurrentHashMap<>();
    private final Thread thread;
    private final Counter retries;
    private final Counter deadLettered;
    private final MeterRegistry registry;

    ChannelWorker(Channel channel, DeliveryLog log, DeadLetterer deadLetterer, int maxAttempts, Duration initialBackoff,
                  Duration maxBackoff, MeterRegistry registry) {
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
        Gauge.builder("certflow.sink.delivery.queue", queue, BlockingQueue::size).tag("channel", channel.name())
                .description("Alerts waiting for this channel").register(registry);
        this.thread = new Thread(this::run, "sink-channel-" + channel.name());
        this.thread.setDaemon(true);
    }

    ChannelWorker start() {
        thread.start();
        return this;
    }

    Channel channel() {
        return channel;
    }

    void submit(Task task) {
        queue.add(task);
    }

    /** Queues a re-send of every alert still firing on this channel. */
    void resendFiring() {
        for (Alert a : firing.values()) {
            queue.add(new Task(a, null, -1, -1, true, () -> { }));
        }
    }

    /** Remembers an alert known to be firing (from the views database after a restart) so it is re-sent. */
    void restoreFiring(Alert alert) {
        firing.putIfAbsent(alert.getAlertId(), alert);
    }

    int firingCount() {
        return firing.size();
    }

    private void run() {
        while (closing.getCount() > 0) {
            Task task;
            try {
                task = queue.poll(200, TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                return;
            }
            if (task == null) {
                continue;
            }
            try {
                if (deliver(task)) {
                    task.done().run();
                }
            } catch (InterruptedException e) {
                return; // closing: the record stays uncommitted and is delivered again after a restart
            } catch (RuntimeException e) {
                LOG.error("Channel {} worker failed on alert {}: {}", channel.name(), task.alert().getAlertId(), e.toString());
            }
        }
    }

    /** Returns true once a final outcome is recorded; false only when closing interrupted it. */
    private boolean deliver(Task task) throws InterruptedException {
        Alert alert = task.alert();
        int attempts = task.resend() ? 1 : maxAttempts;
        String lastError = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            Instant start = Instant.now();
            Channel.Attempt result = channel.send(alert);
            long ms = Duration.between(start, Instant.now()).toMillis();
            if (result.delivered()) {
                record(task, attempt, DeliveryLog.Outcome.DELIVERED, result, ms, start);
                count("delivered");
                if (channel.resendsFiring()) {
                    if (alert.getStatus() == AlertStatus.FIRING) {
                        firing.put(alert.getAlertId(), alert);
                    } else {
                        firing.remove(alert.getAlertId());
                    }
                }
                return true;
            }
            lastError = result.error();
            boolean again = result.retryable() && attempt < attempts;
            record(task, attempt, again ? DeliveryLog.Outcome.RETRYING : DeliveryLog.Outcome.FAILED, result, ms, start);
            count("failed");
            LOG.warn("Channel {}: alert {} attempt {}/{} failed ({}){}", channel.name(), alert.getAlertId(), attempt, attempts,
                    cause(result), again ? ", retrying" : "");
            if (!again) {
                break;
            }
            retries.increment();
            if (closing.await(backoff(attempt, result.retryAfter()).toMillis(), TimeUnit.MILLISECONDS)) {
                return false;
            }
        }
        if (task.resend()) {
            return true; // the next periodic re-send tries again; the original delivery already has its outcome
        }
        while (true) {
            try {
                deadLetterer.deadLetter(task, channel.name(), lastError);
                break;
            } catch (Exception e) {
                LOG.warn("Channel {}: cannot dead-letter alert {} yet ({}); retrying", channel.name(), alert.getAlertId(), e.getClass().getSimpleName());
                if (closing.await(maxBackoff.toMillis(), TimeUnit.MILLISECONDS)) {
                    return false;
                }
            }
        }
        recordFinal(task, maxAttempts, lastError);
        deadLettered.increment();
        count("dead_lettered");
        return true;
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

    private void record(Task task, int attempt, DeliveryLog.Outcome outcome, Channel.Attempt result, long ms, Instant at)
            throws InterruptedException {
        write(task, attempt, outcome, result.httpStatus(), result.error(), ms, at);
    }

    private void recordFinal(Task task, int attempt, String lastError) throws InterruptedException {
        write(task, attempt, DeliveryLog.Outcome.DEAD_LETTERED, null, lastError, 0, Instant.now());
    }

    /** The outcome must be recorded before the offset can move, so a database outage waits here rather than dropping the row. */
    private void write(Task task, int attempt, DeliveryLog.Outcome outcome, Integer status, String error, long ms, Instant at)
            throws InterruptedException {
        while (true) {
            try {
                log.record(task.alert().getAlertId(), task.alert().getStatus().name(), channel.name(), channel.type().id(), attempt,
                        outcome, status, error, task.resend(), ms, at);
                return;
            } catch (Exception e) {
                LOG.warn("Channel {}: cannot record a delivery attempt ({}); retrying", channel.name(), e.getClass().getSimpleName());
                if (closing.await(1, TimeUnit.SECONDS)) {
                    throw new InterruptedException("closing");
                }
            }
        }
    }

    @Override
    public void close() {
        closing.countDown();
        try {
            thread.join(TimeUnit.SECONDS.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        channel.close();
    }
}
