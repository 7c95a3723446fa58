package dev.certflow.runtime.config;

import java.time.Duration;

/**
 * The {@code ops} section: the HTTP endpoint for {@code /health}, {@code /ready} and {@code /metrics},
 * and how long a service waits at start for the brokers and PostgreSQL to answer.
 */
public class OpsSettings implements Validated {
    public String host = "0.0.0.0";
    /** 0 picks a free port; -1 turns the endpoint off. */
    public int port = 8080;
    /** How long start-up retries an unreachable broker or database before the command exits with the last error. */
    public Duration startupTimeout = Duration.ofMinutes(10);

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (port < -1 || port > 65535) {
            throw new ConfigException("bad value '" + port + "' for configuration key '" + prefix + "port'" + tree.from(prefix + "port") + ": must be -1 to 65535");
        }
        if (startupTimeout == null || startupTimeout.isNegative() || startupTimeout.isZero()) {
            throw new ConfigException("bad value '" + startupTimeout + "' for configuration key '" + prefix + "startupTimeout'"
                    + tree.from(prefix + "startupTimeout") + ": must be a positive duration (e.g. 10m)");
        }
    }
}
