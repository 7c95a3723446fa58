package dev.certflow.runtime.config;

import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Loads configuration in layers, each overriding the one before: the typed classes' defaults, the
 * YAML file, the environment, then {@code --set key=value} flags.
 *
 * <ul>
 *   <li>Environment: {@code CERTFLOW_<SECTION>__<KEY>} with {@code __} between levels and the key in
 *       upper snake case, for example {@code CERTFLOW_KAFKA__BOOTSTRAP_SERVERS} for
 *       {@code kafka.bootstrapServers} and {@code CERTFLOW_INGEST__SOURCES__0__BASE_URL} for
 *       {@code ingest.sources[0].baseUrl}. A {@code CERTFLOW_*} variable without {@code __} names no
 *       key and is not configuration ({@code CERTFLOW_LOG_LEVEL}, {@code CERTFLOW_CONFIG}).</li>
 *   <li>{@code KAFKA_*} variables pass straight to the Kafka clients ({@code kafka.properties}):
 *       {@code KAFKA_SECURITY_PROTOCOL=SASL_SSL} sets {@code security.protocol}. Launcher variables
 *       ({@code KAFKA_HEAP_OPTS}, {@code KAFKA_OPTS}, ...) are left alone.</li>
 *   <li>A key given twice in one layer (a duplicate YAML key, two variables for one key, a repeated
 *       flag) is an error.</li>
 * </ul>
 */
public final class ConfigLoader {
    public static final String ENV_PREFIX = "CERTFLOW_";
    private static final Set<String> RESERVED_ENV = Set.of("CERTFLOW_CONFIG", "CERTFLOW_OPTS", "CERTFLOW_HOME", "CERTFLOW_JAVA_OPTS");
    private static final Set<String> KAFKA_LAUNCHER_ENV = Set.of("KAFKA_HOME", "KAFKA_DEBUG", "KAFKA_LOG_DIR",
            "KAFKA_HEAP_OPTS", "KAFKA_OPTS", "KAFKA_JVM_PERFORMANCE_OPTS", "KAFKA_GC_LOG_OPTS", "KAFKA_LOG4J_OPTS",
            "KAFKA_JMX_OPTS", "KAFKA_CLUSTER_ID", "KAFKA_VERSION");
    /** Maps whose keys are Kafka property names, which contain dots: the rest of a path under one is one key. */
    private static final List<String> PROPERTY_MAPS = List.of("kafka.properties.", "streams.properties.");

    private ConfigLoader() {
    }

    /** Loads with the process environment. */
    public static ConfigTree load(Path file, List<String> sets) {
        return load(file, System.getenv(), sets);
    }

    /**
     * @param file YAML file, or null for none
     * @param env  the environment (a map, so tests can pass their own)
     * @param sets {@code key=value} overrides with dotted keys, for example {@code ops.port=9090}
     */
    public static ConfigTree load(Path file, Map<String, String> env, List<String> sets) {
        ObjectMapper mapper = ConfigTree.mapper();
        ObjectNode root = mapper.createObjectNode();
        Map<String, String> origins = new HashMap<>();
        if (file != null) {
            JsonNode parsed;
            try {
                parsed = mapper.readTree(Files.readString(file));
            } catch (JsonParseException e) {
                throw new ConfigException("configuration file " + file + ": " + e.getOriginalMessage()
                        + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr()));
            } catch (IOException e) {
                throw new ConfigException("cannot read configuration file " + file + ": " + e.getMessage(), e);
            }
            if (parsed != null && !parsed.isMissingNode() && !parsed.isNull()) {
                if (!parsed.isObject()) {
                    throw new ConfigException("configuration file " + file + " must hold a mapping at the top");
                }
                root.setAll((ObjectNode) parsed);
                recordOrigins(root, "", "file " + file, origins);
            }
        }

        Map<String, String> envLayer = new TreeMap<>();
        Map<String, String> envOrigin = new HashMap<>();
        for (Map.Entry<String, String> e : new TreeMap<>(env).entrySet()) {
            String name = e.getKey();
            String path = null;
            // CERTFLOW_<SECTION>__<KEY>: without a level separator a variable is the launcher's or logging's, not a key
            if (name.startsWith(ENV_PREFIX) && name.contains("__") && !RESERVED_ENV.contains(name)) {
                path = envPath(name.substring(ENV_PREFIX.length()));
            } else if (name.startsWith("KAFKA_") && !KAFKA_LAUNCHER_ENV.contains(name) && !name.endsWith("_OPTS")) {
                path = "kafka.properties." + name.substring("KAFKA_".length()).toLowerCase(Locale.ROOT).replace('_', '.');
            }
            if (path == null) {
                continue;
            }
            String previous = envOrigin.put(path, name);
            if (previous != null) {
                throw new ConfigException("configuration key '" + path + "' is given twice in the environment: "
                        + previous + " and " + name);
            }
            envLayer.put(path, e.getValue());
        }
        envLayer.forEach((path, value) -> {
            set(root, path, value);
            origins.put(bracketed(path), "environment variable " + envOrigin.get(path));
        });

        Map<String, String> flagLayer = new LinkedHashMap<>();
        for (String s : sets == null ? List.<String>of() : sets) {
            int eq = s.indexOf('=');
            if (eq <= 0) {
                throw new ConfigException("flag --set '" + s + "' is not key=value");
            }
            String path = s.substring(0, eq).trim();
            if (flagLayer.put(path, s.substring(eq + 1)) != null) {
                throw new ConfigException("configuration key '" + path + "' is given twice with --set");
            }
        }
        flagLayer.forEach((path, value) -> {
            set(root, path, value);
            origins.put(bracketed(path), "flag --set " + path);
        });
        return new ConfigTree(root, origins, Map.copyOf(env));
    }

    /**
     * A configuration built in code (the one-JVM mode generates its sources), bound and checked
     * exactly like a file.
     */
    public static ConfigTree fromTree(ObjectNode root, Map<String, String> env) {
        Map<String, String> origins = new HashMap<>();
        recordOrigins(root, "", "generated configuration", origins);
        return new ConfigTree(root, origins, Map.copyOf(env));
    }

    /** {@code a.0.b} to {@code a[0].b}, the form binding errors use. */
    private static String bracketed(String path) {
        return propertyMap(path) != null ? path : path.replaceAll("\\.(\\d+)(?=\\.|$)", "[$1]");
    }

    private static String propertyMap(String path) {
        return PROPERTY_MAPS.stream().filter(m -> path.startsWith(m) && path.length() > m.length()).findFirst().orElse(null);
    }

    /** {@code KAFKA__BOOTSTRAP_SERVERS} to {@code kafka.bootstrapServers}. */
    static String envPath(String rest) {
        List<String> segments = new ArrayList<>();
        for (String part : rest.split("__")) {
            segments.add(camel(part));
        }
        return String.join(".", segments);
    }

    private static String camel(String upperSnake) {
        StringBuilder sb = new StringBuilder();
        boolean upper = false;
        for (char c : upperSnake.toLowerCase(Locale.ROOT).toCharArray()) {
            if (c == '_') {
                upper = true;
            } else {
                sb.append(upper ? Character.toUpperCase(c) : c);
                upper = false;
            }
        }
        return sb.toString();
    }

    /**
     * Sets a dotted path to a text value, creating objects on the way. A numeric segment indexes an
     * array. Under {@code kafka.properties} and {@code streams.properties} the rest of the path is
     * one key, since Kafka's own keys contain dots.
     */
    static void set(ObjectNode root, String path, String value) {
        String[] parts = splitPath(path);
        JsonNode node = root;
        for (int i = 0; i < parts.length - 1; i++) {
            String part = parts[i];
            boolean nextIsIndex = parts[i + 1].matches("\\d+");
            JsonNode child = child(node, part);
            if (child == null || !(child.isObject() || child.isArray())) {
                child = nextIsIndex ? root.arrayNode() : root.objectNode();
                put(node, part, child);
            }
            node = child;
        }
        put(node, parts[parts.length - 1], TextNode.valueOf(value));
    }

    private static String[] splitPath(String path) {
        String normalised = path.replaceAll("\\[(\\d+)]", ".$1");
        String map = propertyMap(normalised);
        if (map != null) {
            String[] parts = map.split("\\.");
            return new String[]{parts[0], parts[1], normalised.substring(map.length())};
        }
        return normalised.split("\\.");
    }

    private static JsonNode child(JsonNode node, String part) {
        if (node.isArray()) {
            int i = Integer.parseInt(part);
            return i < node.size() ? node.get(i) : null;
        }
        return node.get(part);
    }

    private static void put(JsonNode node, String part, JsonNode value) {
        if (node.isArray()) {
            ArrayNode array = (ArrayNode) node;
            int i = Integer.parseInt(part);
            while (array.size() <= i) {
                array.add(array.objectNode());
            }
            array.set(i, value);
        } else {
            ((ObjectNode) node).set(part, value);
        }
    }

    private static void recordOrigins(JsonNode node, String path, String origin, Map<String, String> origins) {
        if (node.isObject()) {
            Iterator<Map.Entry<String, JsonNode>> it = node.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                recordOrigins(e.getValue(), path.isEmpty() ? e.getKey() : path + "." + e.getKey(), origin, origins);
            }
        } else if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                recordOrigins(node.get(i), path + "[" + i + "]", origin, origins);
            }
        }
        if (!path.isEmpty()) {
            origins.put(path, origin);
        }
    }
}
