package dev.certflow.sink;

import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.service.ServiceRunner;
import dev.certflow.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code certflow sink --config FILE}: keeps the PostgreSQL views current and delivers alerts. */
@Command(name = "sink", mixinStandardHelpOptions = true,
        description = "Deliver alerts to on-call tooling and keep materialized views in PostgreSQL (sink.jdbcUrl is required)")
public class SinkCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions = new ConfigOptions();

    @Override
    public Integer call() throws Exception {
        ServiceRunner.run(configOptions, "sink", SinkConfig.class, Topics.ALL, (sink, tree) -> {
                    sink.requireDatabase("sink.", tree);
                    sink.owners(tree.bind("owners", OwnersConfig.class)); // routes to the owners' channels
                },
                (kafka, sink, registry, ops, lifecycle) -> Sink.start(kafka, sink, registry, ops));
        return 0;
    }
}
