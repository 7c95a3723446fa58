package dev.certflow.cli;

import dev.certflow.ingest.IngestCommand;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.simulator.SimulateCommand;
import dev.certflow.sink.SinkCommand;
import dev.certflow.streams.StreamsCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

import java.util.List;
import java.util.ServiceLoader;

/**
 * The {@code certflow} command line: the service commands, and whatever a {@link CommandProvider}
 * on the class path adds ({@code local} and {@code broker} in the one-JVM build).
 */
@Command(name = "certflow", mixinStandardHelpOptions = true, version = "certflow 0.1.0",
        description = "Event-driven Kafka pipeline for certificate lifecycle events.")
public final class Main {
    /** Commands only the one-JVM build has; asked for here, they get a hint instead of "unmatched argument". */
    private static final List<String> ONE_JVM_COMMANDS = List.of("local", "broker");

    public static void main(String[] args) {
        System.exit(run(args));
    }

    /** The command line with every command this build has: the providers' first, then the services', then help. */
    public static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new Main());
        for (CommandProvider provider : ServiceLoader.load(CommandProvider.class)) {
            provider.commands().forEach(cli::addSubcommand);
        }
        for (Object command : List.of(new TopicsCommand(), new ConfigCommand(), new TailCommand(), new IngestCommand(),
                new StreamsCommand(), new SinkCommand(), new SimulateCommand(), new SilenceCommand(), new AckCommand())) {
            cli.addSubcommand(command);
        }
        cli.addSubcommand(new CommandLine.HelpCommand());
        return cli;
    }

    /** Runs a command line and returns the exit code (2 for configuration errors). */
    public static int run(String... args) {
        CommandLine cli = commandLine();
        if (args.length > 0 && ONE_JVM_COMMANDS.contains(args[0]) && !cli.getSubcommands().containsKey(args[0])) {
            cli.getErr().println("certflow: '" + args[0] + "' is a command of the one-JVM build (./certflow in a checkout, module local);"
                    + " this build has the service commands only: " + String.join(", ", cli.getSubcommands().keySet()));
            return 2;
        }
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
