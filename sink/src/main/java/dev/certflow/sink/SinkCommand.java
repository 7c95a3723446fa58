package dev.certflow.sink;

import dev.certflow.runtime.cli.ConfigOptions;
import dev.certflow.runtime.cli.Lifecycle;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code certflow sink --config FILE}: keeps the PostgreSQL views current and delivers alerts. */
@Command(name = "sink", mixinStandardHelpOptions = true,
        description = "Deliver alerts to on-call tooling and keep materialized views in PostgreSQL "
                + "(with no sink.jdbcUrl an embedded PostgreSQL is started and its URL printed)")
public class SinkCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions = new ConfigOptions();

    @Override
    public Integer call() throws Exception {
        ConfigTree tree = configOptions.load();
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        OpsSettings opsSettings = tree.bind("ops", OpsSettings.class);
        SinkConfig sink = tree.bind("sink", SinkConfig.class);
        new TopicManager(kafka).ensure(Topics.ALL);
        try (Lifecycle lifecycle = new Lifecycle()) {
            var registry = OpsServer.newRegistry();
            OpsServer ops = opsSettings.port < 0 ? null : lifecycle.add(OpsServer.start(opsSettings.host, opsSettings.port, registry));
            lifecycle.add(Sink.start(kafka, sink, registry, ops));
            lifecycle.awaitShutdown();
        }
        return 0;
    }
}
