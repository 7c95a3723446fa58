package dev.certflow.local;

import dev.certflow.cli.Main;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** On local's class path (the one-JVM build) certflow finds local and broker through the ServiceLoader, and keeps the services. */
class LocalCommandsTest {
    @Test
    void theOneJvmBuildAddsLocalAndBrokerToTheServiceCommands() {
        assertThat(Main.commandLine().getSubcommands().keySet())
                .containsExactly("local", "broker", "topics", "config", "tail", "ingest", "streams", "sink", "simulate", "silence", "ack", "help");
        Object local = Main.commandLine().getSubcommands().get("local").getCommand();
        assertThat(local).isInstanceOf(LocalCommand.class);
    }
}
