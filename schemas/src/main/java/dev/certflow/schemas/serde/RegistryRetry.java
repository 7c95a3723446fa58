package dev.certflow.schemas.serde;

import dev.certflow.schemas.registry.SchemaRegistryException;

import java.util.Map;
import java.util.function.Supplier;

/**
 * Waits out a schema registry that cannot answer (unreachable, timed out, 5xx) for up to
 * {@value AvroSerdeConfig#REGISTRY_RETRY_MAX_MS} ms, pausing 250 ms and doubling up to 5 s between tries, then
 * throws the last error. Off (0) unless configured: Kafka Streams sets it, so a registry that blinks holds the
 * stream thread for a moment instead of failing the task (whose thread is then replaced, which costs the old
 * member's session timeout before its tasks run again).
 */
final class RegistryRetry {
    private static final long FIRST_PAUSE_MS = 250;
    private static final long MAX_PAUSE_MS = 5_000;

    private final long budgetMs;

    private RegistryRetry(long budgetMs) {
        this.budgetMs = budgetMs;
    }

    static RegistryRetry fromConfig(Map<String, ?> configs) {
        Object v = configs.get(AvroSerdeConfig.REGISTRY_RETRY_MAX_MS);
        return new RegistryRetry(v == null ? 0 : Math.max(0, Long.parseLong(v.toString())));
    }

    static RegistryRetry none() {
        return new RegistryRetry(0);
    }

    <T> T call(Supplier<T> call) {
        long deadline = System.nanoTime() + budgetMs * 1_000_000;
        long pause = FIRST_PAUSE_MS;
        while (true) {
            try {
                return call.get();
            } catch (SchemaRegistryException e) {
                long left = (deadline - System.nanoTime()) / 1_000_000;
                if (!SchemaRegistryException.unavailable(e) || left < pause) {
                    throw e;
                }
                try {
                    Thread.sleep(pause);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw e;
                }
                pause = Math.min(MAX_PAUSE_MS, pause * 2);
            }
        }
    }
}
