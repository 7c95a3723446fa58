package dev.certflow.ingest.source;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** A source client's helper threads: daemon threads named after the source, none held between polls. */
final class HelperThreads {
    private HelperThreads() {
    }

    /** {@code threads} threads named {@code ingest-<source>-<role>[-n]}, each ending after 30 s idle. */
    static ExecutorService pool(String source, String role, int threads) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS, new LinkedBlockingQueue<>(), r -> {
            Thread t = new Thread(r, "ingest-" + source + "-" + role + (threads > 1 ? "-" + n.incrementAndGet() : ""));
            t.setDaemon(true);
            return t;
        });
        pool.allowCoreThreadTimeOut(true); // idle between polls: no threads held
        return pool;
    }
}
