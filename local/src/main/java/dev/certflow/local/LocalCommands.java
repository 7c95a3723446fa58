package dev.certflow.local;

import dev.certflow.cli.CommandProvider;

import java.util.List;

/** The one-JVM build's commands: {@code certflow local} and {@code certflow broker}. */
public final class LocalCommands implements CommandProvider {
    @Override
    public List<Object> commands() {
        return List.of(new LocalCommand(), new BrokerCommand());
    }
}
