package dev.certflow.runtime.config;

/** The {@code ops} section: the HTTP endpoint for {@code /health}, {@code /ready} and {@code /metrics}. */
public class OpsSettings implements Validated {
    public String host = "0.0.0.0";
    /** 0 picks a free port; -1 turns the endpoint off. */
    public int port = 8080;

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (port < -1 || port > 65535) {
            throw new ConfigException("bad value '" + port + "' for configuration key '" + prefix + "port'" + tree.from(prefix + "port") + ": must be -1 to 65535");
        }
    }
}
