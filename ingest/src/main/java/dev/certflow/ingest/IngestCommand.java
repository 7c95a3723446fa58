package dev.certflow.ingest;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.service.ServiceRunner;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code certflow ingest --config FILE}: polls the configured sources and publishes to Kafka until stopped. */
@Command(name = "ingest", mixinStandardHelpOptions = true,
        description = "Poll the certificate APIs (leegality, smoxy, yeastar) and publish normalised Avro events")
public class IngestCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions configOptions;

    @Override
    public Integer call() throws Exception {
        ServiceRunner.run(configOptions, "ingest", IngestConfig.class, Ingest.TOPICS,
                (kafka, ingest, registry, ops, lifecycle) -> Ingest.start(kafka, ingest, registry, ops));
        return 0;
    }
}
