package dev.certflow.runtime.service;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CountDownLatch;

/**
 * Holds what a long-running command started and closes it in reverse order on Ctrl-C / SIGTERM
 * or when {@link #stop()} is called.
 */
public final class Lifecycle implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Lifecycle.class);

    private final Deque<AutoCloseable> resources = new ArrayDeque<>();
    private final CountDownLatch stopped = new CountDownLatch(1);

    /** Registers something to close on stop; returns it for chaining. */
    public synchronized <T extends AutoCloseable> T add(T resource) {
        resources.push(resource);
        return resource;
    }

    /** Blocks until Ctrl-C / SIGTERM or {@link #stop()}, then closes everything. */
    public void awaitShutdown() throws InterruptedException {
        Thread hook = new Thread(() -> {
            stop();
            close();
        }, "certflow-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        stopped.await();
        try {
            Runtime.getRuntime().removeShutdownHook(hook);
        } catch (IllegalStateException e) {
            return; // already shutting down: the hook closes
        }
        close();
    }

    public void stop() {
        stopped.countDown();
    }

    @Override
    public synchronized void close() {
        while (!resources.isEmpty()) {
            AutoCloseable r = resources.pop();
            try {
                r.close();
            } catch (Exception e) {
                LOG.warn("Error while stopping {}: {}", r.getClass().getSimpleName(), e.toString());
            }
        }
    }
}
