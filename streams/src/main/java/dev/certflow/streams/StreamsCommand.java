package dev.certflow.streams;

import dev.certflow.runtime.service.ConfigOptions;
import dev.certflow.runtime.service.ServiceRunner;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.schemas.Topics;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.Callable;

/** {@code certflow streams --config FILE}: runs the streams application until Ctrl-C / SIGTERM. */
@Command(name = "streams", mixinStandardHelpOptions = true,
        description = "Run the Kafka Streams application: expiring certificates, failed renewals, alerts and the query API.")
public class StreamsCommand implements Callable<Integer> {
    @Mixin
    ConfigOptions config = new ConfigOptions();

    @Override
    public Integer call() throws Exception {
        AtomicBoolean failed = new AtomicBoolean();
        ServiceRunner.run(config, "streams", StreamsSettings.class, List.of(Topics.CERTIFICATES, Topics.RENEWAL_ATTEMPTS,
                Topics.SOURCE_STATUS, Topics.CERTIFICATES_EXPIRING, Topics.RENEWALS_FAILED, Topics.CERTIFICATE_RENEWALS, Topics.CERTIFICATE_ALERTS,
                Topics.CERTIFICATE_NAMES, Topics.CERTIFICATE_NAME_MATCHES, Topics.ALERT_SILENCES, Topics.ALERT_ACKNOWLEDGEMENTS, Topics.DLQ),
                (settings, tree) -> settings.withOwners(tree.bind("owners", OwnersConfig.class)),
                (kafka, settings, registry, ops, lifecycle) -> {
                    StreamsApp app = StreamsApp.start(kafka, settings, registry, ops);
                    // a client that shut itself down (see StreamsApp) ends the process with an error code
                    app.onError(() -> {
                        failed.set(true);
                        lifecycle.stop();
                    });
                    return app;
                });
        return failed.get() ? 1 : 0;
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new StreamsCommand()).execute(args));
    }
}
