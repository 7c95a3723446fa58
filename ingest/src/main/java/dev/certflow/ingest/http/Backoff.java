package dev.certflow.ingest.http;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/** Capped exponential backoff with "equal jitter": half the step fixed, half random, so retries spread out but never collapse to zero. */
public final class Backoff {
    private Backoff() {
    }

    /** @param attempt 1 for the first retry */
    public static Duration delay(Duration initial, Duration cap, int attempt) {
        long base = initial.toMillis();
        long step = attempt >= 31 ? cap.toMillis() : Math.min(cap.toMillis(), base << Math.max(0, attempt - 1));
        long half = step / 2;
        return Duration.ofMillis(half + (half > 0 ? ThreadLocalRandom.current().nextLong(half + 1) : 0));
    }
}
