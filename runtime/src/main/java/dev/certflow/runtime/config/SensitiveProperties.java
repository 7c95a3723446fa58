package dev.certflow.runtime.config;

import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.producer.ProducerConfig;
import org.apache.kafka.common.config.ConfigDef;

import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Pass-through client properties that hold a credential: Kafka's own password-typed ones
 * ({@code sasl.jaas.config}, {@code ssl.*.password}, {@code ssl.keystore.key}, ...) and the
 * registry's user info. Like every {@link Secret} they are written as {@code ${ENV_VAR}} or
 * {@code file:/path}; a {@code KAFKA_*} variable is its own reference. {@code certflow config}
 * prints the reference, the clients get the value.
 */
final class SensitiveProperties {
    private static final Set<String> PASSWORDS = passwords();
    private static final List<String> PREFIXES = List.of("main.consumer.", "restore.consumer.", "global.consumer.",
            "consumer.", "producer.", "admin.", "schema.registry.");

    private SensitiveProperties() {
    }

    static boolean isSensitive(String name) {
        String n = name.toLowerCase(Locale.ROOT);
        for (String prefix : PREFIXES) {
            if (n.startsWith(prefix)) {
                n = n.substring(prefix.length());
            }
        }
        return PASSWORDS.contains(n) || n.endsWith("password") || n.endsWith("jaas.config") || n.endsWith("user.info")
                || n.endsWith("secret") || n.endsWith("token");
    }

    /**
     * Resolves the sensitive entries of {@code properties} (under the dotted {@code key}): each is
     * replaced there by its reference, and its value is returned.
     */
    static Map<String, Secret> resolve(String key, Map<String, String> properties, ConfigTree tree) {
        Map<String, Secret> out = new java.util.HashMap<>();
        for (Map.Entry<String, String> e : properties.entrySet()) {
            if (!isSensitive(e.getKey())) {
                continue;
            }
            String full = key + "." + e.getKey();
            String var = "KAFKA_" + e.getKey().toUpperCase(Locale.ROOT).replace('.', '_');
            String origin = tree == null ? null : tree.origin(full);
            Secret secret;
            if (("environment variable " + var).equals(origin)) {
                secret = Secret.resolve("${" + var + "}", tree.env()); // KAFKA_* pass-through: the variable is the reference
            } else {
                try {
                    secret = Secret.resolve(e.getValue(), tree == null ? System.getenv() : tree.env());
                } catch (ConfigTree.BadValue bad) {
                    throw new ConfigException(bad.message("'" + full + "'" + (tree == null ? "" : tree.from(full))));
                }
            }
            out.put(e.getKey(), secret);
            e.setValue(secret.reference());
        }
        return out;
    }

    private static Set<String> passwords() {
        Set<String> names = new HashSet<>();
        for (ConfigDef def : List.of(ProducerConfig.configDef(), ConsumerConfig.configDef(), AdminClientConfig.configDef())) {
            def.configKeys().forEach((name, k) -> {
                if (k.type == ConfigDef.Type.PASSWORD) {
                    names.add(name);
                }
            });
        }
        return names;
    }
}
