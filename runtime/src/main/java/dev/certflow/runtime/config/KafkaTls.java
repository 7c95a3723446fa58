package dev.certflow.runtime.config;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;

/**
 * {@code kafka.tls}: the trust store that verifies the brokers' certificates (the JVM's when unset)
 * and, for mutual TLS, the client's key store. Host name verification is always on.
 */
public class KafkaTls {
    /** PKCS12 ({@code .p12}, {@code .pfx}), JKS ({@code .jks}) or PEM ({@code .pem}, {@code .crt}, {@code .cer}) file; null: the JVM's trust store. */
    public String trustStore;
    /** The trust store's password (not for PEM). */
    public Secret trustStorePassword;
    /** The client's certificate and key for mutual TLS (same formats); null: none. */
    public String keyStore;
    public Secret keyStorePassword;
    /** The key's own password when it differs from the store's. */
    public Secret keyPassword;

    boolean configured() {
        return trustStore != null || keyStore != null;
    }

    void validate(String prefix, ConfigTree tree) {
        checkFile(prefix + "trustStore", trustStore, tree);
        checkFile(prefix + "keyStore", keyStore, tree);
        if (trustStorePassword != null && trustStore == null) {
            throw new ConfigException("configuration key '" + prefix + "trustStorePassword'" + tree.from(prefix + "trustStorePassword")
                    + " is set but '" + prefix + "trustStore' is not");
        }
        if ((keyStorePassword != null || keyPassword != null) && keyStore == null) {
            throw new ConfigException("configuration key '" + prefix + (keyStorePassword != null ? "keyStorePassword" : "keyPassword") + "'"
                    + " is set but '" + prefix + "keyStore' is not");
        }
        if (trustStorePassword != null && "PEM".equals(type(trustStore))) {
            throw new ConfigException("configuration key '" + prefix + "trustStorePassword'" + tree.from(prefix + "trustStorePassword")
                    + " is set but " + trustStore + " is a PEM file, which has no password");
        }
    }

    private static void checkFile(String key, String path, ConfigTree tree) {
        if (path != null && !Files.isReadable(Path.of(path))) {
            throw new ConfigException("bad value '" + path + "' for configuration key '" + key + "'" + tree.from(key)
                    + ": no readable file there");
        }
    }

    /** The Kafka {@code ssl.*} client properties, passwords revealed. */
    void apply(Map<String, Object> props) {
        if (trustStore != null) {
            props.put("ssl.truststore.location", trustStore);
            props.put("ssl.truststore.type", type(trustStore));
            if (trustStorePassword != null) {
                props.put("ssl.truststore.password", trustStorePassword.reveal());
            }
        }
        if (keyStore != null) {
            props.put("ssl.keystore.location", keyStore);
            props.put("ssl.keystore.type", type(keyStore));
            if (keyStorePassword != null) {
                props.put("ssl.keystore.password", keyStorePassword.reveal());
            }
            if (keyPassword != null) {
                props.put("ssl.key.password", keyPassword.reveal());
            }
        }
    }

    static String type(String path) {
        String name = path.toLowerCase(Locale.ROOT);
        if (name.endsWith(".pem") || name.endsWith(".crt") || name.endsWith(".cer")) {
            return "PEM";
        }
        return name.endsWith(".jks") ? "JKS" : "PKCS12";
    }
}
