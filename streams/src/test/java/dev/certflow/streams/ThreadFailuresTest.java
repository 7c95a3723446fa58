package dev.certflow.streams;

import dev.certflow.schemas.registry.SchemaRegistryException;
import org.apache.kafka.common.errors.SerializationException;
import org.apache.kafka.streams.errors.StreamsException;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;

/** A stream thread's death: our failures are counted toward a shutdown, a registry outage is waited out. */
class ThreadFailuresTest {
    private static final Exception REGISTRY_DOWN = new StreamsException("processing failed", new SerializationException(
            "cannot get a schema id", new SchemaRegistryException("schema registry http://r unreachable for POST /subjects/x/versions",
            new IOException("timed out"))));

    @Test
    void ourOwnFailuresShutTheClientDownPastTheLimitWithinTheWindow() {
        ThreadFailures f = new ThreadFailures(2, Duration.ofMinutes(10));
        Exception boom = new StreamsException(new IllegalStateException("store I/O"));
        assertThat(f.next(boom, 0).response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(f.next(boom, 1_000).response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
        assertThat(f.next(boom, 2_000)).satisfies(d -> {
            assertThat(d.response()).isEqualTo(StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
            assertThat(d.count()).isEqualTo(3);
        });
        // outside the window the old ones no longer count
        assertThat(f.next(boom, Duration.ofMinutes(30).toMillis()).response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
    }

    @Test
    void aRegistryOutageIsWaitedOutWithGrowingPausesAndNeverCounted() {
        ThreadFailures f = new ThreadFailures(1, Duration.ofMinutes(10));
        long[] pauses = new long[10];
        for (int i = 0; i < pauses.length; i++) {
            ThreadFailures.Decision d = f.next(REGISTRY_DOWN, i * 10_000L);
            assertThat(d.response()).isEqualTo(StreamThreadExceptionResponse.REPLACE_THREAD);
            assertThat(d.registry()).isTrue();
            pauses[i] = d.pauseMillis();
        }
        assertThat(pauses).startsWith(500, 1_000, 2_000, 4_000).contains(ThreadFailures.REGISTRY_MAX_PAUSE.toMillis());
        assertThat(pauses).isSorted();
        assertThat(java.util.Arrays.stream(pauses).max().orElseThrow()).isEqualTo(ThreadFailures.REGISTRY_MAX_PAUSE.toMillis());
        // a failure of ours afterwards is the first one counted
        assertThat(f.next(new StreamsException("x"), 200_000).count()).isEqualTo(1);
        // a new outage long after the last starts the pauses again
        assertThat(f.next(REGISTRY_DOWN, 200_000 + ThreadFailures.REGISTRY_STREAK.toMillis() + 1).pauseMillis()).isEqualTo(500);
        // a registry that answers 404 is not an outage: the schema is missing, which is ours to count
        assertThat(f.next(new StreamsException(new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "no")), 900_000).registry())
                .isFalse();
    }
}
