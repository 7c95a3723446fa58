package dev.certflow.runtime.service;

import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.runtime.kafka.BrokerReadiness;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.TopicSpec;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;

import java.util.Collection;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiConsumer;

/**
 * What every long-running service command does: load and check the configuration (one file for
 * all commands), serve {@code /health}, {@code /ready} and {@code /metrics}, ensure its topics and
 * start the service (both retried while a broker or the database is unreachable, see
 * {@link StartupRetry}), and stop everything on Ctrl-C / SIGTERM. {@code /ready} is DOWN until the
 * service started and whenever the brokers stop answering ({@link BrokerReadiness}).
 */
public final class ServiceRunner {
    /** The top-level sections of the one configuration file. */
    public static final List<String> SECTIONS = List.of("kafka", "ops", "owners", "ingest", "streams", "sink");

    private ServiceRunner() {
    }

    /** Starts one service from its bound configuration section. */
    @FunctionalInterface
    public interface Starter<T> {
        AutoCloseable start(KafkaSettings kafka, T section, PrometheusMeterRegistry registry, OpsServer ops, Lifecycle lifecycle)
                throws Exception;
    }

    /** Runs until stopped; {@code section} is bound to {@code type} and handed to the starter. */
    public static <T> void run(ConfigOptions options, String section, Class<T> type, Collection<TopicSpec> topics, Starter<T> starter)
            throws Exception {
        run(options, section, type, topics, (settings, tree) -> { }, starter);
    }

    /**
     * As {@link #run(ConfigOptions, String, Class, Collection, Starter)}, with a check of what this
     * command needs of its section (beyond what every command checks), run before anything connects.
     */
    public static <T> void run(ConfigOptions options, String section, Class<T> type, Collection<TopicSpec> topics,
                               BiConsumer<T, ConfigTree> check, Starter<T> starter) throws Exception {
        ConfigTree tree = options.load();
        tree.requireOnlySections(SECTIONS);
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        OpsSettings opsSettings = tree.bind("ops", OpsSettings.class);
        T settings = tree.bind(section, type);
        check.accept(settings, tree);
        try (Lifecycle lifecycle = new Lifecycle()) {
            PrometheusMeterRegistry registry = OpsServer.newRegistry();
            // served from the first moment: alive, and not ready until started
            OpsServer ops = opsSettings.port < 0 ? null : lifecycle.add(OpsServer.start(opsSettings.host, opsSettings.port, registry));
            AtomicBoolean started = new AtomicBoolean();
            if (ops != null) {
                ops.addReadyCheck("started", started::get);
                if (!opsSettings.brokerCheckInterval.isZero()) {
                    BrokerReadiness brokers = lifecycle.add(BrokerReadiness.start(kafka, section, opsSettings.brokerCheckInterval,
                            opsSettings.brokerCheckFailures));
                    ops.addReadyCheck("kafka", brokers::ready);
                }
            }
            StartupRetry retry = new StartupRetry(section, opsSettings.startupTimeout);
            retry.run("checking the topics", StartupRetry::dependencyUnavailable, () -> new TopicManager(kafka).ensure(topics));
            // a starter that throws has closed what it opened, so it can run again
            lifecycle.add(retry.run("starting", StartupRetry::dependencyUnavailable, () -> starter.start(kafka, settings, registry, ops, lifecycle)));
            started.set(true);
            lifecycle.awaitShutdown();
        }
    }
}
