package dev.certflow.schemas.serde;

import dev.certflow.schemas.registry.SchemaRegistryException;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** A registry that cannot answer is waited for within the configured budget; any other answer is final. */
class RegistryRetryTest {
    private static final SchemaRegistryException UNREACHABLE = new SchemaRegistryException("schema registry [http://r] unreachable",
            new IOException("connection refused"));

    @Test
    void anOutageShorterThanTheBudgetIsWaitedOut() {
        RegistryRetry retry = RegistryRetry.fromConfig(Map.of(AvroSerdeConfig.REGISTRY_RETRY_MAX_MS, "5000"));
        AtomicInteger calls = new AtomicInteger();
        int id = retry.call(() -> {
            if (calls.incrementAndGet() < 3) {
                throw calls.get() == 1 ? UNREACHABLE : new SchemaRegistryException(503, 50003, "overloaded");
            }
            return 42;
        });
        assertThat(id).isEqualTo(42);
        assertThat(calls).hasValue(3);
    }

    @Test
    void aLongerOutageOrAnAnswerThatIsNotAnOutageFails() {
        RegistryRetry retry = RegistryRetry.fromConfig(Map.of(AvroSerdeConfig.REGISTRY_RETRY_MAX_MS, "600"));
        AtomicInteger calls = new AtomicInteger();
        assertThatThrownBy(() -> retry.call(() -> {
            calls.incrementAndGet();
            throw UNREACHABLE;
        })).isSameAs(UNREACHABLE);
        assertThat(calls.get()).isBetween(2, 3); // 250 ms, then 500 ms would pass the budget
        calls.set(0);
        SchemaRegistryException notFound = new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "no schema 7");
        assertThatThrownBy(() -> retry.call(() -> {
            calls.incrementAndGet();
            throw notFound;
        })).isSameAs(notFound);
        assertThat(calls).hasValue(1);
        // unconfigured: one try, as before
        calls.set(0);
        assertThatThrownBy(() -> RegistryRetry.fromConfig(Map.of()).call(() -> {
            calls.incrementAndGet();
            throw UNREACHABLE;
        })).isSameAs(UNREACHABLE);
        assertThat(calls).hasValue(1);
    }
}
