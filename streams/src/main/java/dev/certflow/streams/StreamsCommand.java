package dev.certflow.streams;

import dev.certflow.runtime.cli.ConfigOptions;
import dev.certflow.runtime.cli.Lifecycle;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.KafkaSettings;
import dev.certflow.runtime.config.OpsSettings;
import dev.certflow.runtime.kafka.TopicManager;
import dev.certflow.runtime.ops.OpsServer;
import dev.certflow.schemas.Topics;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.concurrent.Callable;

/** {@code certflow streams --config FILE}: runs the streams application until Ctrl-C / SIGTERM. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Run the Kafka Streams application: expiring certificates, failed renewals, alerts and the query API.")
public class StreamsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Override
    public Integer call() throws Exception {
        ConfigTree tree = config.load();
        KafkaSettings kafka = tree.bind("kafka", KafkaSettings.class);
        OpsSettings ops = tree.bind("ops", OpsSettings.class);
        StreamsSettings settings = tree.bind("streams", StreamsSettings.class);
        new TopicManager(kafka).ensure(List.of(Topics.CERTIFICATES, Topics.RENEWAL_ATTEMPTS, Topics.SOURCE_STATUS,
                Topics.CERTIFICATES_EXPIRING, Topics.RENEWALS_FAILED, Topics.CERTIFICATE_ALERTS, Topics.DLQ));
        boolean[] failed = {false};
        try (Lifecycle life = new Lifecycle()) {
            PrometheusMeterRegistry registry = OpsServer.newRegistry();
            OpsServer server = ops.port >= 0 ? life.add(OpsServer.start(ops.host, ops.port, registry)) : null;
            StreamsApp app = life.add(StreamsApp.start(kafka, settings, registry, server));
            // a client that shut itself down (see StreamsApp) ends the process with an error code
            app.onError(() -> {
                failed[0] = true;
                life.stop();
            });
            life.awaitShutdown();
        }
        return failed[0] ? 1 : 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamsCommand()).execute(args));
    }
}
