package dev.certflow.cli;

import java.util.List;

/**
 * Commands another module adds to {@code certflow} when it is on the class path, found with
 * {@link java.util.ServiceLoader} ({@code META-INF/services/dev.certflow.cli.CommandProvider}). The
 * one-JVM build adds {@code local} and {@code broker} this way, so the service commands and the
 * container image carry no embedded broker or database.
 */
public interface CommandProvider {
    /** Instances of picocli {@code @Command} classes, in the order the help lists them. */
    List<Object> commands();
}
