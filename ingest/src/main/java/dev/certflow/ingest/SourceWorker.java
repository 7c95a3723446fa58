package dev.certflow.ingest;

import dev.certflow.events.PollOutcome;
import dev.certflow.events.SourceStatus;
import dev.certflow.ingest.config.SourceConfig;
import dev.certflow.ingest.http.Backoff;
import dev.certflow.ingest.http.SourceException;
import dev.certflow.ingest.publish.Publisher;
import dev.certflow.ingest.source.PollSink;
import dev.certflow.ingest.source.SourceClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.ReentrantLock;

/** One source instance: its client, its publisher, and the outcome bookkeeping of its polls. */
final class SourceWorker implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SourceWorker.class);

    final SourceConfig config;
    final SourceClient client;
    final Publisher publisher;
    private final IngestMetrics metrics;
    private final Clock clock;
    private final Duration failureBackoff;
    private final ReentrantLock lock = new ReentrantLock(); // one poll of a source at a time
    private int consecutiveFailures;
    private Instant lastSuccessAt;
    private volatile String fatal; // the Error a poll died of: the source is not polled again in this process

    SourceWorker(SourceConfig config, SourceClient client, Publisher publisher, IngestMetrics metrics, Clock clock, Duration failureBackoff) {
        this.config = config;
        this.client = client;
        this.publisher = publisher;
        this.metrics = metrics;
        this.clock = clock;
        this.failureBackoff = failureBackoff;
    }

    /** The class of the Error a poll died of, or null: such a source is not polled again in this process. */
    String fatal() {
        return fatal;
    }

    PollResult pollOnce() throws InterruptedException {
        lock.lockInterruptibly();
        try {
            return doPoll();
        } finally {
            lock.unlock();
        }
    }

    private PollResult doPoll() throws InterruptedException {
        Instant started = clock.instant();
        long t0 = System.nanoTime();
        Publisher.Session session = publisher.begin(started);
        String errorKind = null;
        String errorMessage = null;
        Duration retryAfter = null;
        try {
            client.poll(started, session);
            session.awaitCommits(); // a failed transaction fails the poll, as one that failed in the poll's thread
        } catch (SourceException e) {
            errorKind = e.kind();
            errorMessage = e.getMessage();
            retryAfter = e.retryAfter();
        } catch (PollSink.PollAbortedException e) {
            errorKind = SourceException.KAFKA;
            errorMessage = e.getMessage();
        } catch (RuntimeException e) {
            // a bug or an unexpected library error: name the type only, a message might quote input
            errorKind = SourceException.INTERNAL;
            errorMessage = "source " + config.name + ": " + e.getClass().getName();
            LOG.error("Source {}: poll failed with {} at {}", config.name, e.getClass().getName(),
                    e.getStackTrace().length > 0 ? e.getStackTrace()[0] : "?");
        } catch (Error e) {
            // an OutOfMemoryError or another VM error leaves nothing safe to go on with: the source stops here, loudly,
            // and /health reports DOWN so the process is restarted (a thread that just died would leave it silently unpolled)
            fatal = e.getClass().getName();
            metrics.error(config.name, SourceException.INTERNAL);
            LOG.error("Source {}: poll died with {}; the source is no longer polled in this process and /health reports DOWN{}",
                    config.name, fatal, e instanceof OutOfMemoryError ? " (ingest needs a larger heap for its sources)" : "");
            throw e;
        }
        PollOutcome outcome = errorKind != null ? PollOutcome.FAILED : session.itemErrors() > 0 ? PollOutcome.PARTIAL : PollOutcome.SUCCESS;
        Instant finished = clock.instant();
        if (outcome == PollOutcome.FAILED) {
            consecutiveFailures++;
        } else {
            consecutiveFailures = 0;
            lastSuccessAt = finished;
        }
        SourceStatus.Builder status = SourceStatus.newBuilder()
                .setSourceKind(config.kind())
                .setSourceName(config.name)
                .setPollStartedAt(started)
                .setPollFinishedAt(finished)
                .setOutcome(outcome)
                .setErrorKind(errorKind)
                .setErrorMessage(errorMessage)
                .setConsecutiveFailures(consecutiveFailures)
                .setLastSuccessAt(lastSuccessAt);
        try {
            session.finish(status);
        } catch (PollSink.PollAbortedException e) {
            LOG.warn("Source {}: the poll's end (removals, status) was not published: {}", config.name, e.getMessage());
            metrics.error(config.name, SourceException.KAFKA);
            if (errorKind == null) {
                errorKind = SourceException.KAFKA;
                errorMessage = e.getMessage();
                outcome = PollOutcome.FAILED;
            }
        }
        Duration took = Duration.ofNanos(System.nanoTime() - t0);
        if (errorKind != null) {
            metrics.error(config.name, errorKind);
            LOG.warn("Source {}: poll failed after {} ms ({}, {} in a row): {}", config.name, took.toMillis(), errorKind, consecutiveFailures, errorMessage);
        } else {
            LOG.info("Source {}: poll {} in {} ms: {} seen, {} changed, {} removed, {} attempts, {} bad items",
                    config.name, outcome, took.toMillis(), session.certificatesSeen(), session.changed(), session.removed(),
                    session.attemptsPublished(), session.itemErrors());
        }
        metrics.poll(config.name, outcome, took);
        return new PollResult(config.name, outcome, errorKind, errorMessage, retryAfter, session.certificatesSeen(), session.changed(),
                session.removed(), session.attemptsPublished(), session.itemErrors(), took);
    }

    /** When to poll next: the interval after success; capped exponential backoff with jitter after failures, never before Retry-After. */
    Duration nextDelay(PollResult result) {
        return nextDelay(config.pollInterval, failureBackoff, consecutiveFailures, result);
    }

    static Duration nextDelay(Duration pollInterval, Duration failureBackoff, int consecutiveFailures, PollResult result) {
        if (result.outcome() != PollOutcome.FAILED) {
            return pollInterval;
        }
        Duration backoff = Backoff.delay(failureBackoff, pollInterval, Math.max(1, consecutiveFailures));
        if (backoff.compareTo(pollInterval) > 0) {
            backoff = pollInterval;
        }
        return result.retryAfter() != null && result.retryAfter().compareTo(backoff) > 0 ? result.retryAfter() : backoff;
    }

    @Override
    public void close() {
        client.close();
        publisher.close();
    }
}
