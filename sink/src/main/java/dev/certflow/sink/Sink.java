package dev.certflow.sink;

import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.sink.delivery.AlertDelivery;
import dev.certflow.sink.digest.Digests;
import dev.certflow.sink.delivery.OwnerChannels;
import dev.certflow.sink.views.ViewWriter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.PrintStream;
import java.time.Clock;
import java.util.concurrent.CompletableFuture;

/**
 * The sink, embeddable: the PostgreSQL views (migrated, then kept current by the
 * {@link ViewWriter}) and the alert delivery to the configured channels. {@link #close()} stops
 * both and the database pool.
 */
public final class Sink implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sink.class);

    private final SinkDatabase database;
    private final ViewWriter views;
    private final AlertDelivery delivery;
    private final Digests digests;

    private Sink(SinkDatabase database, ViewWriter views, AlertDelivery delivery, Digests digests) {
        this.database = database;
        this.views = views;
        this.delivery = delivery;
        this.digests = digests;
    }

    /** Starts the sink; {@code ops} may be null (no health checks then). */
    public static Sink start(KafkaSettings kafka, SinkConfig config, MeterRegistry registry, OpsServer ops) {
        return start(kafka, config, registry, ops, FaultHook.NONE, System.out);
    }

    /** As {@link #start(KafkaSettings, SinkConfig, MeterRegistry, OpsServer)}, with a fault hook and console stream (tests). */
    public static Sink start(KafkaSettings kafka, SinkConfig config, MeterRegistry registry, OpsServer ops, FaultHook faults, PrintStream console) {
        return start(kafka, config, registry, ops, faults, console, Clock.systemUTC());
    }

    /** With the clock silences, escalations and digests are timed by (tests). */
    public static Sink start(KafkaSettings kafka, SinkConfig config, MeterRegistry registry, OpsServer ops, FaultHook faults, PrintStream console,
                             Clock clock) {
        config.validate("sink.", null); // programmatic callers get the same checks and defaults as the YAML path
        SinkDatabase db = SinkDatabase.open(config);
        ViewWriter views = null;
        AlertDelivery delivery = null;
        Digests digests = null;
        try {
            if (config.viewsEnabled) {
                views = new ViewWriter(kafka, config, db.dataSource(), registry, faults).start();
            }
            if (config.deliveryEnabled && (!config.channels.isEmpty() || !OwnerChannels.of(config).isEmpty())) {
                delivery = new AlertDelivery(kafka, config, db.dataSource(), registry, faults, console, clock).start();
            }
            if (config.deliveryEnabled && config.digestsEnabled) {
                Digests d = new Digests(config, db.dataSource(), clock);
                digests = d.isEmpty() ? null : d.start();
            }
        } catch (RuntimeException e) {
            if (delivery != null) {
                delivery.close();
            }
            if (views != null) {
                views.close();
            }
            db.close();
            throw e;
        }
        Sink sink = new Sink(db, views, delivery, digests);
        if (ops != null) {
            ops.addHealthCheck("sink", sink::isHealthy);
            ops.addReadyCheck("sink-postgres", db::isReachable);
        }
        LOG.info("Sink started: views {}, {} alert channels", views != null ? "on" : "off",
                delivery != null ? config.channels.size() + OwnerChannels.of(config).size() : 0);
        return sink;
    }

    /** False once a worker died. */
    public boolean isHealthy() {
        return (views == null || views.isHealthy()) && (delivery == null || delivery.isHealthy());
    }

    /** Completes once every consumer the sink runs (views, delivery) holds its partitions. */
    public CompletableFuture<Void> assigned() {
        return CompletableFuture.allOf(
                views == null ? CompletableFuture.completedFuture(null) : views.assigned(),
                delivery == null ? CompletableFuture.completedFuture(null) : delivery.assigned());
    }

    public SinkDatabase database() {
        return database;
    }

    @Override
    public void close() {
        if (digests != null) {
            digests.close();
        }
        if (delivery != null) {
            delivery.close();
        }
        if (views != null) {
            views.close();
        }
        database.close();
    }
}
