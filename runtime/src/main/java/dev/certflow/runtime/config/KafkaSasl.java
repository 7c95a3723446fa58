package dev.certflow.runtime.config;

import java.util.List;
import java.util.Map;

/** {@code kafka.sasl}: the user certflow logs in to the brokers as, with SCRAM (SCRAM-SHA-512 by default). */
public class KafkaSasl {
    public static final List<String> MECHANISMS = List.of("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN");

    /** SCRAM-SHA-512, SCRAM-SHA-256, or PLAIN (only over SASL_SSL: it sends the password itself). */
    public String mechanism = "SCRAM-SHA-512";
    public String username;
    public Secret password;

    boolean configured() {
        return username != null || password != null;
    }

    void validate(String prefix, ConfigTree tree, String protocol) {
        if (!MECHANISMS.contains(mechanism)) {
            throw new ConfigException("bad value '" + mechanism + "' for configuration key '" + prefix + "mechanism'" + tree.from(prefix + "mechanism")
                    + ": must be one of " + String.join(", ", MECHANISMS));
        }
        if (username == null || username.isBlank()) {
            throw new ConfigException("missing required configuration key '" + prefix + "username'"
                    + (password != null ? " (" + prefix + "password is set)" : " (kafka.securityProtocol is " + protocol + ")"));
        }
        if (password == null) {
            throw new ConfigException("missing required configuration key '" + prefix + "password' (" + prefix + "username is set); "
                    + "write it as ${ENV_VAR} or file:/path");
        }
        if ("PLAIN".equals(mechanism) && !"SASL_SSL".equals(protocol)) {
            throw new ConfigException("configuration key '" + prefix + "mechanism'" + tree.from(prefix + "mechanism")
                    + " is PLAIN, which sends the password itself: it needs kafka.securityProtocol SASL_SSL, not " + protocol);
        }
    }

    /** {@code sasl.mechanism} and {@code sasl.jaas.config}, the password revealed. */
    void apply(Map<String, Object> props) {
        String module = mechanism.equals("PLAIN") ? "org.apache.kafka.common.security.plain.PlainLoginModule"
                : "org.apache.kafka.common.security.scram.ScramLoginModule";
        props.put("sasl.mechanism", mechanism);
        props.put("sasl.jaas.config", module + " required username=" + quote(username) + " password=" + quote(password.reveal()) + ";");
    }

    /** A JAAS option value: quoted, with backslash and quote escaped (Kafka's parser reads them as a Java string). */
    private static String quote(String value) {
        return "\"" + value.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
    }
}
