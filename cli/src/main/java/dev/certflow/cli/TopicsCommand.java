package dev.certflow.cli;

import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.schemas.TopicSpec;
import dev.certflow.schemas.Topics;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.io.PrintStream;
import java.util.concurrent.Callable;

/** {@code certflow topics}: prints the declared topics, and with {@code --create} creates or checks them. */
@Command(name = "topics", mixinStandardHelpOptions = true, description = "Print certflow's topics; with --create, create missing ones and check existing ones.")
public final class TopicsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions options;

    @Option(names = "--create", description = "Create missing topics and check the cleanup policy of existing ones on the configured cluster")
    boolean create;

    @Override
    public Integer call() {
        ConfigTree tree = options.load();
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        print(System.out, kafka.topicPrefix);
        if (create) {
            for (TopicManager.TopicState state : new TopicManager(kafka).ensure(Topics.ALL)) {
                System.out.printf("%-40s %s (%d partitions, cleanup.policy=%s)%n", state.name(),
                        state.created() ? "created" : "ok", state.partitions(), state.cleanupPolicy());
            }
        }
        return 0;
    }

    static void print(PrintStream out, String prefix) {
        out.printf("%-32s %-30s %-20s %-8s %-10s %-9s %s%n", "topic", "key", "value", "cleanup", "retention", "producer", "consumers");
        for (TopicSpec spec : Topics.ALL) {
            out.printf("%-32s %-30s %-20s %-8s %-10s %-9s %s%n", spec.name(prefix), spec.keyDescription(), spec.valueSchemaName(),
                    spec.cleanup().policy(), spec.retention() == null ? "-" : spec.retention().toDays() + "d", spec.producer(), spec.consumers());
        }
    }
}
