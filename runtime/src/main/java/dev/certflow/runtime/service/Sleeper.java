package dev.certflow.runtime.service;

import java.time.Duration;

/** Waits between retries (an upstream's, a dependency at start-up); tests pass one that records instead of sleeping. */
@FunctionalInterface
public interface Sleeper {
    Sleeper REAL = d -> Thread.sleep(Math.max(0, d.toMillis()));

    void sleep(Duration duration) throws InterruptedException;
}
