package dev.certflow.cli;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.service.ServiceRunner;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.SinkConfig;
import dev.certflow.streams.StreamsSettings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code certflow config}: checks the configuration (file, environment, flags) the way every command
 * would and prints the effective result, each secret as its reference ({@code ${VAR}} or
 * {@code file:...}), as YAML that {@code --config} loads unchanged. With no file it prints every
 * key with its default: the configuration reference.
 */
@Command(name = "config", mixinStandardHelpOptions = true,
        description = "Check the configuration and print the effective values (each secret as its environment or file: reference, "
                + "so the output loads again with --config); with no file, every key and its default.")
public final class ConfigCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Override
    public Integer call() {
        System.out.print(effective(options.load()));
        return 0;
    }

    /** The bound configuration of every section as YAML, secrets as their references. */
    static String effective(ConfigTree tree) {
        tree.requireOnlySections(ServiceRunner.SECTIONS);
        Map<String, Object> all = new LinkedHashMap<>();
        all.put("kafka", tree.bind("kafka", KafkaSettings.class));
        all.put("ops", tree.bind("ops", OpsSettings.class));
        all.put("owners", tree.bind("owners", OwnersConfig.class));
        all.put("ingest", tree.bind("ingest", IngestConfig.class));
        all.put("streams", tree.bind("streams", StreamsSettings.class));
        all.put("sink", tree.bind("sink", SinkConfig.class));
        return tree.printMasked(all);
    }
}
