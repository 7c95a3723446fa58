package dev.certflow.runtime.config;

/** A configuration problem found at start; the message names the key, where it came from and the value. */
public class ConfigException extends RuntimeException {
    public ConfigException(String message) {
        super(message);
    }

    public ConfigException(String message, Throwable cause) {
        super(message, cause);
    }
}
