package dev.certflow.cli;

import dev.certflow.ingest.IngestCommand;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.simulator.SimulateCommand;
import dev.certflow.sink.SinkCommand;
import dev.certflow.streams.StreamsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code certflow} command line. */
@Command(name = "certflow", mixinStandardHelpOptions = true, version = "certflow 0.1.0",
        description = "Event-driven Kafka pipeline for certificate lifecycle events.",
        subcommands = {LocalCommand.class, BrokerCommand.class, TopicsCommand.class, ConfigCommand.class, TailCommand.class, IngestCommand.class, StreamsCommand.class,
                SinkCommand.class, SimulateCommand.class, CommandLine.HelpCommand.class})
public final class Main {

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** Runs a command line and returns the exit code (2 for configuration errors). */
    public static int run(String... args) {
        CommandLine cli = new CommandLine(new Main());
        cli.setExecutionExceptionHandler((e, commandLine, parseResult) -> {
            if (e instanceof ConfigException) {
                commandLine.getErr().println("certflow: configuration error: " + e.getMessage());
                return 2;
            }
            commandLine.getErr().println("certflow: " + e.getMessage());
            return 1;
        });
        return cli.execute(args);
    }
}
