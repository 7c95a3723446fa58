package dev.certflow.runtime.kafka;

import dev.certflow.runtime.config.KafkaSettings;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.DescribeClusterOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Whether the brokers answer, for a service's {@code /ready}: a background thread asks the cluster
 * for its nodes ({@code Admin.describeCluster}) every {@code interval}, each call waiting at most the
 * interval. Not ready until the first answer, not ready again after {@code failures} checks in a row
 * went unanswered, ready again at the first answer. Needed because a frozen or black-holed broker
 * leaves every client's connections open and Kafka Streams RUNNING: no client state shows the outage.
 */
public final class BrokerReadiness implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(BrokerReadiness.class);

    private final Callable<Integer> probe;
    private final int failures;
    private final String name;
    private final AutoCloseable resource;
    private final ScheduledExecutorService executor;
    private volatile boolean ready;
    private int failedInARow; // the check thread only

    /**
     * @param probe     one check: the number of brokers that answered, or an exception
     * @param failures  checks in a row that must fail before the service reports not ready
     * @param resource  closed with this (the Admin client)
     */
    BrokerReadiness(String name, Callable<Integer> probe, int failures, AutoCloseable resource) {
        if (failures < 1) {
            throw new IllegalArgumentException("failures must be at least 1, was " + failures);
        }
        this.name = name;
        this.probe = probe;
        this.failures = failures;
        this.resource = resource;
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "broker-readiness-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Starts checking the brokers of {@code kafka} (its connection security included) every {@code interval}. */
    public static BrokerReadiness start(KafkaSettings kafka, String name, Duration interval, int failures) {
        int millis = (int) Math.min(Integer.MAX_VALUE, Math.max(100, interval.toMillis()));
        Map<String, Object> config = kafka.admin("certflow-" + name + "-readiness");
        // one check never waits longer than the interval, and a broker that is back is found within a second
        config.put(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MS_CONFIG, millis);
        config.put(AdminClientConfig.SOCKET_CONNECTION_SETUP_TIMEOUT_MAX_MS_CONFIG, millis);
        config.put(AdminClientConfig.RECONNECT_BACKOFF_MAX_MS_CONFIG, 1000);
        config.put(AdminClientConfig.RETRY_BACKOFF_MAX_MS_CONFIG, 1000);
        Admin admin = Admin.create(config);
        DescribeClusterOptions options = new DescribeClusterOptions().timeoutMs(millis);
        BrokerReadiness readiness = new BrokerReadiness(name, () -> {
            try {
                return admin.describeCluster(options).nodes().get(millis + 1000L, TimeUnit.MILLISECONDS).size();
            } catch (ExecutionException e) {
                throw e.getCause() instanceof Exception cause ? cause : e;
            }
        }, failures, () -> admin.close(Duration.ofSeconds(5)));
        readiness.executor.scheduleAtFixedRate(readiness::check, 0, millis, TimeUnit.MILLISECONDS);
        return readiness;
    }

    /** Whether the brokers answered the last check (or fewer than {@code failures} checks failed since). */
    public boolean ready() {
        return ready;
    }

    /** One check; package-private so tests can step it without a thread. */
    void check() {
        try {
            int nodes = probe.call();
            if (nodes <= 0) {
                throw new IllegalStateException("the cluster described no broker");
            }
            if (!ready) {
                LOG.info("{}: the brokers answer ({} nodes){}", name, nodes, failedInARow > 0 ? " again after " + failedInARow + " failed checks" : "");
            }
            failedInARow = 0;
            ready = true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Exception e) {
            failedInARow++;
            if (ready && failedInARow >= failures) {
                ready = false;
                // a Kafka client's error names hosts and calls, never credentials
                LOG.warn("{}: the brokers did not answer {} checks in a row (last: {}: {}); /ready DOWN until they do",
                        name, failedInARow, e.getClass().getSimpleName(), e.getMessage());
            } else {
                LOG.debug("{}: broker check {} failed: {}", name, failedInARow, e.toString());
            }
        }
    }

    @Override
    public void close() throws Exception {
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
        resource.close();
    }
}
