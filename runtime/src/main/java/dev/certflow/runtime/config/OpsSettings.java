package dev.certflow.runtime.config;

import java.time.Duration;

/**
 * The {@code ops} section: the HTTP endpoint for {@code /health}, {@code /ready} and {@code /metrics},
 * how long a service waits at start for the brokers and PostgreSQL to answer, and how {@code /ready}
 * checks that the brokers still answer.
 */
public class OpsSettings implements Validated {
    public String host = "0.0.0.0";
    /** 0 picks a free port; -1 turns the endpoint off. */
    public int port = 8080;
    /** How long start-up retries an unreachable broker or database before the command exits with the last error. */
    public Duration startupTimeout = Duration.ofMinutes(10);
    /**
     * How often {@code /ready} asks the brokers whether they answer (each check waits at most this
     * long); 0 turns the check off.
     */
    public Duration brokerCheckInterval = Duration.ofSeconds(5);
    /** Checks in a row the brokers must leave unanswered before {@code /ready} reports DOWN (the first answer makes it UP again). */
    public int brokerCheckFailures = 2;

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (port < -1 || port > 65535) {
            throw new ConfigException("bad value '" + port + "' for configuration key '" + prefix + "port'" + tree.from(prefix + "port") + ": must be -1 to 65535");
        }
        if (startupTimeout == null || startupTimeout.isNegative() || startupTimeout.isZero()) {
            throw new ConfigException("bad value '" + startupTimeout + "' for configuration key '" + prefix + "startupTimeout'"
                    + tree.from(prefix + "startupTimeout") + ": must be a positive duration (e.g. 10m)");
        }
        if (brokerCheckInterval == null || brokerCheckInterval.isNegative()
                || (!brokerCheckInterval.isZero() && brokerCheckInterval.compareTo(Duration.ofMillis(100)) < 0)) {
            throw new ConfigException("bad value '" + brokerCheckInterval + "' for configuration key '" + prefix + "brokerCheckInterval'"
                    + tree.from(prefix + "brokerCheckInterval") + ": must be 0 (off) or at least 100ms (e.g. 5s)");
        }
        if (brokerCheckFailures < 1) {
            throw new ConfigException("bad value '" + brokerCheckFailures + "' for configuration key '" + prefix + "brokerCheckFailures'"
                    + tree.from(prefix + "brokerCheckFailures") + ": must be 1 or more");
        }
    }
}
