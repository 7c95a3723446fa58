package dev.certflow.runtime.service;

import org.apache.kafka.common.errors.SaslAuthenticationException;
import org.apache.kafka.common.errors.TimeoutException;
import org.apache.kafka.common.errors.TopicAuthorizationException;
import org.junit.jupiter.api.Test;

import java.net.ConnectException;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class StartupRetryTest {
    private static final Instant T0 = Instant.parse("2026-03-01T00:00:00Z");

    /** A clock the pauses move, so no test waits. */
    private static final class FakeTime implements Sleeper {
        Instant now = T0;
        final List<Duration> pauses = new ArrayList<>();

        Clock clock() {
            return new Clock() {
                @Override
                public java.time.ZoneId getZone() {
                    return ZoneOffset.UTC;
                }

                @Override
                public Clock withZone(java.time.ZoneId zone) {
                    return this;
                }

                @Override
                public Instant instant() {
                    return now;
                }
            };
        }

        @Override
        public void sleep(Duration d) {
            pauses.add(d);
            now = now.plus(d);
        }
    }

    private static RuntimeException brokerDown() {
        return new RuntimeException("cannot create or check topics", new ExecutionException(new TimeoutException("Timed out waiting for a node assignment")));
    }

    @Test
    void retriesAnUnreachableDependencyWithGrowingCappedJitteredWaitsThenReturns() throws Exception {
        FakeTime time = new FakeTime();
        StartupRetry retry = new StartupRetry("ingest", Duration.ofMinutes(10), time.clock(), time);
        AtomicInteger attempts = new AtomicInteger();

        String result = retry.run("starting", StartupRetry::dependencyUnavailable, () -> {
            if (attempts.incrementAndGet() < 9) {
                throw brokerDown();
            }
            return "started";
        });

        assertThat(result).isEqualTo("started");
        assertThat(attempts).hasValue(9);
        assertThat(time.pauses).hasSize(8);
        long[] ceilings = {1, 2, 4, 8, 16, 30, 30, 30};
        for (int i = 0; i < ceilings.length; i++) {
            assertThat(time.pauses.get(i).toMillis()).as("wait %d", i + 1)
                    .isBetween(ceilings[i] * 500, ceilings[i] * 1000);
        }
    }

    @Test
    void aRefusedLoginOrAMismatchedTopicEndsTheStartAtOnce() {
        FakeTime time = new FakeTime();
        StartupRetry retry = new StartupRetry("sink", Duration.ofMinutes(10), time.clock(), time);
        for (RuntimeException fatal : List.of(
                new RuntimeException("pool", new SQLException("password authentication failed for user \"certflow\"", "28P01")),
                new RuntimeException("pool", new SQLException("database \"views\" does not exist", "3D000")),
                new IllegalStateException("topic certificates has 3 partitions, expected 6"),
                new RuntimeException(new SaslAuthenticationException("Authentication failed")),
                new RuntimeException(new TopicAuthorizationException("Not authorized")))) {
            AtomicInteger attempts = new AtomicInteger();
            assertThatThrownBy(() -> retry.run("starting", StartupRetry::dependencyUnavailable, () -> {
                attempts.incrementAndGet();
                throw fatal;
            })).isSameAs(fatal);
            assertThat(attempts).as(fatal.toString()).hasValue(1);
        }
        assertThat(time.pauses).isEmpty();
    }

    @Test
    void givesUpWithTheLastErrorOnceTheStartupTimeoutHasPassed() {
        FakeTime time = new FakeTime();
        StartupRetry retry = new StartupRetry("sink", Duration.ofMinutes(2), time.clock(), time);
        AtomicInteger attempts = new AtomicInteger();
        RuntimeException last = new RuntimeException("Failed to initialize pool", new SQLException("The connection attempt failed.", "08001",
                new ConnectException("Connection refused")));

        assertThatThrownBy(() -> retry.run("starting", StartupRetry::dependencyUnavailable, () -> {
            attempts.incrementAndGet();
            throw last;
        })).isSameAs(last);

        Duration waited = Duration.between(T0, time.now);
        assertThat(waited).isLessThan(Duration.ofMinutes(2)).isGreaterThan(Duration.ofSeconds(60));
        assertThat(attempts.get()).isBetween(6, 12);
    }

    @Test
    void classifiesWhatSaysNotReachableYet() {
        assertThat(StartupRetry.dependencyUnavailable(brokerDown())).isTrue();
        assertThat(StartupRetry.dependencyUnavailable(new java.util.concurrent.TimeoutException("reading ingest-checkpoints did not finish"))).isTrue();
        assertThat(StartupRetry.dependencyUnavailable(new RuntimeException(new SQLException("the database system is starting up", "57P03")))).isTrue();
        assertThat(StartupRetry.dependencyUnavailable(new RuntimeException(new SQLException("too many connections", "53300")))).isTrue();
        assertThat(StartupRetry.dependencyUnavailable(new RuntimeException(new ConnectException("Connection refused")))).isTrue();
        assertThat(StartupRetry.dependencyUnavailable(new IllegalArgumentException("no enabled source named 'x'"))).isFalse();
        assertThat(StartupRetry.dependencyUnavailable(new RuntimeException(new SQLException("syntax error", "42601")))).isFalse();
    }
}
