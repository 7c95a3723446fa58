package dev.certflow.runtime.config;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Map;
import java.util.stream.Collectors;

/**
 * The merged configuration (defaults, then file, then environment, then flags) as a tree, with the
 * origin of every value. Modules bind their own section to a typed class with {@link #bind};
 * an unknown key or a bad value fails there with a message that names the key and its origin.
 */
public final class ConfigTree {
    static final String ENV_ATTRIBUTE = "certflow.env";

    private final ObjectNode root;
    private final Map<String, String> origins;
    private final Map<String, String> env;
    private final ObjectMapper mapper;

    ConfigTree(ObjectNode root, Map<String, String> origins, Map<String, String> env) {
        this.root = root;
        this.origins = origins;
        this.env = env;
        this.mapper = mapper();
    }

    /** The raw tree (read-only by convention). */
    public ObjectNode root() {
        return root;
    }

    /** The environment the configuration was loaded with (for {@code ${VAR}} secrets). */
    public Map<String, String> env() {
        return env;
    }

    /** Where the value at a dotted path came from, for messages; null when it is a default. */
    public String origin(String path) {
        return origins.get(path);
    }

    /**
     * Binds the section at a dotted path ({@code ""} for the root) to {@code type}. A missing
     * section binds to the type's defaults. If the type implements {@link Validated}, its
     * {@code validate} runs too.
     */
    public <T> T bind(String path, Class<T> type) {
        JsonNode node = path.isEmpty() ? root : root.at("/" + path.replace('.', '/'));
        if (node instanceof MissingNode || node.isNull()) {
            node = mapper.createObjectNode();
        }
        T value;
        try {
            value = mapper.readerFor(type).withAttribute(ENV_ATTRIBUTE, env).readValue(node);
        } catch (UnrecognizedPropertyException e) {
            String key = join(path, pathOf(e));
            throw new ConfigException("unknown configuration key '" + key + "'" + from(key)
                    + "; known keys here: " + e.getKnownPropertyIds().stream().map(Object::toString).sorted().collect(Collectors.joining(", ")));
        } catch (InvalidFormatException e) {
            String key = join(path, pathOf(e));
            throw new ConfigException("bad value '" + e.getValue() + "' for configuration key '" + key + "'" + from(key)
                    + ": expected " + e.getTargetType().getSimpleName() + rootCause(e));
        } catch (MismatchedInputException e) {
            String key = join(path, pathOf(e));
            throw new ConfigException("bad value for configuration key '" + key + "'" + from(key)
                    + ": expected " + (e.getTargetType() == null ? "another type" : e.getTargetType().getSimpleName()) + rootCause(e));
        } catch (JsonMappingException e) {
            String key = join(path, pathOf(e));
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            if (cause instanceof ConfigException ce) {
                // the deserializer knows only the path inside this section: name the full key
                String inner = pathOf(e);
                throw new ConfigException(inner.isEmpty() ? ce.getMessage() : ce.getMessage().replace("'" + inner + "'", "'" + key + "'"));
            }
            throw new ConfigException("bad value for configuration key '" + key + "'" + from(key) + ": " + cause.getMessage());
        } catch (IOException e) {
            throw new ConfigException("cannot read configuration section '" + path + "': " + e.getMessage(), e);
        }
        if (value instanceof Validated v) {
            v.validate(path.isEmpty() ? "" : path + ".", this);
        }
        return value;
    }

    /** Fails when the file or environment has a top-level section none of {@code known} is. */
    public void requireOnlySections(java.util.Collection<String> known) {
        root.fieldNames().forEachRemaining(name -> {
            if (!known.contains(name)) {
                throw new ConfigException("unknown configuration section '" + name + "'" + from(name)
                        + "; known sections: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
        });
    }

    /** The configuration as YAML with every secret masked, for {@code --print-config}. */
    public String printMasked(Object bound) {
        try {
            return mapper.copy().enable(SerializationFeature.INDENT_OUTPUT).writeValueAsString(bound);
        } catch (JsonProcessingException e) {
            throw new ConfigException("cannot print configuration: " + e.getMessage(), e);
        }
    }

    /** A message suffix naming where the key came from. */
    public String from(String key) {
        String origin = origins.get(key);
        return origin == null ? "" : " (from " + origin + ")";
    }

    private static String rootCause(Throwable e) {
        Throwable c = e;
        while (c.getCause() != null) {
            c = c.getCause();
        }
        return c == e ? "" : " (" + c.getMessage() + ")";
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder sb = new StringBuilder();
        for (JsonMappingException.Reference ref : e.getPath()) {
            if (ref.getFieldName() != null) {
                if (sb.length() > 0) {
                    sb.append('.');
                }
                sb.append(ref.getFieldName());
            } else if (ref.getIndex() >= 0) {
                sb.append('[').append(ref.getIndex()).append(']');
            }
        }
        return sb.toString();
    }

    private static String join(String a, String b) {
        if (a.isEmpty()) {
            return b;
        }
        return b.isEmpty() ? a : a + "." + b;
    }

    static ObjectMapper mapper() {
        SimpleModule module = new SimpleModule("certflow-config");
        module.addDeserializer(Duration.class, new JsonDeserializer<>() {
            @Override
            public Duration deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                if (p.currentToken().isNumeric()) {
                    return Duration.ofSeconds(p.getLongValue());
                }
                String text = p.getValueAsString();
                try {
                    return Durations.parse(text);
                } catch (IllegalArgumentException e) {
                    throw InvalidFormatException.from(p, e.getMessage(), text, Duration.class);
                }
            }
        });
        module.addDeserializer(ZoneId.class, new JsonDeserializer<>() {
            @Override
            public ZoneId deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                String text = p.getValueAsString();
                try {
                    return ZoneId.of(text);
                } catch (RuntimeException e) {
                    throw InvalidFormatException.from(p, "'" + text + "' is not a time zone id (for example Europe/Berlin or UTC)", text, ZoneId.class);
                }
            }
        });
        module.addDeserializer(Secret.class, new JsonDeserializer<>() {
            @Override
            @SuppressWarnings("unchecked")
            public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                Map<String, String> env = (Map<String, String>) ctxt.getAttribute(ENV_ATTRIBUTE);
                String path = p.getParsingContext().pathAsPointer().toString().replace('/', '.');
                return Secret.resolve(p.getValueAsString(), env == null ? System.getenv() : env, path.startsWith(".") ? path.substring(1) : path);
            }
        });
        module.addSerializer(Secret.class, new com.fasterxml.jackson.databind.JsonSerializer<>() {
            @Override
            public void serialize(Secret value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider serializers) throws IOException {
                gen.writeString(Secret.MASK + " (" + value.reference() + ")");
            }
        });
        module.addSerializer(Duration.class, new com.fasterxml.jackson.databind.JsonSerializer<>() {
            @Override
            public void serialize(Duration value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider serializers) throws IOException {
                gen.writeString(value.toString());
            }
        });
        ObjectMapper mapper = new ObjectMapper(new YAMLFactory());
        mapper.registerModule(new JavaTimeModule());
        mapper.registerModule(module);
        mapper.enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
        mapper.enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES);
        mapper.enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);
        mapper.enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        mapper.disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS);
        return mapper;
    }
}
