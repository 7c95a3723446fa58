package dev.certflow.runtime.service;

import org.apache.kafka.common.errors.AuthenticationException;
import org.apache.kafka.common.errors.AuthorizationException;
import org.apache.kafka.common.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Callable;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Predicate;

/**
 * Retries a start-up step until the brokers and PostgreSQL it needs answer, so a service started
 * before them (or while one restarts) waits with {@code /ready} DOWN instead of exiting. Only an
 * error that says "not reachable yet" is retried ({@link #dependencyUnavailable}); a refused login,
 * a missing database or a mismatched topic ends the start at once. Waits double from one second to
 * {@link #MAX_BACKOFF}, with jitter, and give up after the configured {@code ops.startupTimeout}
 * with the last error.
 */
public final class StartupRetry {
    private static final Logger LOG = LoggerFactory.getLogger(StartupRetry.class);

    public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(10);
    static final Duration INITIAL_BACKOFF = Duration.ofSeconds(1);
    static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

    private final String service;
    private final Duration timeout;
    private final Clock clock;
    private final Sleeper sleeper;

    /** {@code sleeper}: waits between attempts (tests pass one that moves {@code clock} instead). */
    public StartupRetry(String service, Duration timeout, Clock clock, Sleeper sleeper) {
        this.service = service;
        this.timeout = timeout;
        this.clock = clock;
        this.sleeper = sleeper;
    }

    public StartupRetry(String service, Duration timeout) {
        this(service, timeout, Clock.systemUTC(), Sleeper.REAL);
    }

    /** Runs {@code step}, again after each error {@code retriable} accepts, until it succeeds or the timeout passed. */
    public <T> T run(String step, Predicate<Throwable> retriable, Callable<T> attempt) throws Exception {
        Instant giveUpAt = clock.instant().plus(timeout);
        Duration backoff = INITIAL_BACKOFF;
        for (int n = 1; ; n++) {
            try {
                T result = attempt.call();
                if (n > 1) {
                    LOG.info("{}: {} succeeded at attempt {}", service, step, n);
                }
                return result;
            } catch (Exception e) {
                if (!retriable.test(e)) {
                    throw e;
                }
                // full jitter over the upper half, so restarted replicas do not retry in step
                long half = backoff.toMillis() / 2;
                Duration wait = Duration.ofMillis(half + ThreadLocalRandom.current().nextLong(half + 1));
                Instant now = clock.instant();
                if (!now.plus(wait).isBefore(giveUpAt)) {
                    LOG.error("{}: {} still failing after {} attempts over {} (ops.startupTimeout): {}", service, step, n, timeout, describe(e));
                    throw e;
                }
                LOG.warn("{}: {} failed ({}); attempt {} again in {} ms, until {} (ops.startupTimeout)",
                        service, step, describe(e), n + 1, wait.toMillis(), giveUpAt);
                sleeper.sleep(wait);
                backoff = backoff.multipliedBy(2).compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : backoff.multipliedBy(2);
            }
        }
    }

    /**
     * Whether {@code e} says a broker or the database is not reachable (yet): a Kafka timeout or
     * retriable error, a connection refused or timed out, PostgreSQL's connection-exception states
     * (08xxx), a server starting or shutting down (57P0x) or out of connections (53300). A refused
     * login or a missing permission anywhere in the causes is never retried.
     */
    public static boolean dependencyUnavailable(Throwable e) {
        boolean unavailable = false;
        for (Throwable c = e; c != null; c = c.getCause() == c ? null : c.getCause()) {
            if (c instanceof AuthenticationException || c instanceof AuthorizationException) {
                return false;
            }
            if (c instanceof SQLException sql && sql.getSQLState() != null) {
                String state = sql.getSQLState();
                if (state.startsWith("28") || state.equals("3D000") || state.startsWith("42")) {
                    return false; // bad credentials, no such database, missing privilege
                }
                unavailable |= state.startsWith("08") || state.startsWith("57P0") || state.equals("53300");
            }
            unavailable |= c instanceof org.apache.kafka.common.errors.TimeoutException || c instanceof RetriableException
                    || c instanceof java.util.concurrent.TimeoutException || c instanceof ConnectException
                    || c instanceof NoRouteToHostException || c instanceof SocketTimeoutException || c instanceof UnknownHostException;
        }
        return unavailable;
    }

    /** The outermost message and, when different, the root cause's; both name hosts, never credentials. */
    static String describe(Throwable e) {
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        String outer = e.getClass().getSimpleName() + ": " + e.getMessage();
        return root == e ? outer : outer + " (cause: " + root.getClass().getSimpleName() + ": " + root.getMessage() + ")";
    }
}
