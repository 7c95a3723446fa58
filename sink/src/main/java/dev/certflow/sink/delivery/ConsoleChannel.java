package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;

import java.io.PrintStream;

/** One readable line per alert on standard output (the one-JVM mode's default channel). */
public final class ConsoleChannel implements Channel {
    private final String name;
    private final PrintStream out;

    public ConsoleChannel(String name, PrintStream out) {
        this.name = name;
        this.out = out;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public ChannelConfig.Type type() {
        return ChannelConfig.Type.CONSOLE;
    }

    @Override
    public Attempt send(Alert alert) {
        out.println(Payloads.consoleLine(alert));
        out.flush();
        return Attempt.ok(null);
    }
}
