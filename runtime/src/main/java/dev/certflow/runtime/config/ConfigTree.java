package dev.certflow.runtime.config;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
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
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.databind.node.MissingNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import com.fasterxml.jackson.dataformat.yaml.YAMLGenerator;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;

import java.io.IOException;
import java.time.Duration;
import java.time.ZoneId;
import java.util.Arrays;
import java.util.List;
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
        } catch (InvalidTypeIdException e) {
            throw typeIdProblem(join(path, pathOf(e)), e);
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
            if (cause instanceof BadValue bad) {
                // the deserializer sees only its own value: name the full key and where it came from here
                throw new ConfigException(bad.message("'" + key + "'" + from(key)));
            }
            if (cause instanceof ConfigException ce) {
                throw ce;
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
                throw new ConfigException("unknown configuration section '" + name + "'" + fromAnyUnder(name)
                        + "; known sections: " + String.join(", ", new java.util.TreeSet<>(known)));
            }
        });
    }

    /**
     * The configuration as YAML that loads back unchanged: every secret as its reference
     * ({@code ${VAR}} or {@code file:...}, never its value), polymorphic sections with their
     * {@code kind} key. For {@code certflow config}.
     */
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

    /** Where a section came from: its own origin, else that of the first key under it (a section set only by variables). */
    private String fromAnyUnder(String section) {
        String own = from(section);
        if (!own.isEmpty()) {
            return own;
        }
        return origins.entrySet().stream().filter(e -> e.getKey().startsWith(section + ".") || e.getKey().startsWith(section + "["))
                .map(e -> " (from " + e.getValue() + ")").sorted().findFirst().orElse("");
    }

    /** An unknown or missing {@code kind} (the type property of a polymorphic section such as a source). */
    private ConfigException typeIdProblem(String at, InvalidTypeIdException e) {
        Class<?> base = e.getBaseType() == null ? null : e.getBaseType().getRawClass();
        JsonTypeInfo info = base == null ? null : base.getAnnotation(JsonTypeInfo.class);
        JsonSubTypes subTypes = base == null ? null : base.getAnnotation(JsonSubTypes.class);
        String property = info == null || info.property().isEmpty() ? "kind" : info.property();
        List<String> valid = subTypes == null ? List.of()
                : Arrays.stream(subTypes.value()).map(JsonSubTypes.Type::name).sorted().toList();
        String key = at + "." + property;
        String kinds = valid.isEmpty() ? "" : "; valid " + property + "s: " + String.join(", ", valid);
        if (e.getTypeId() == null) {
            return new ConfigException("missing required configuration key '" + key + "'" + kinds);
        }
        return new ConfigException("bad value '" + e.getTypeId() + "' for configuration key '" + key + "'" + from(key)
                + ": unknown " + property + kinds + didYouMean(Suggestions.nearest(e.getTypeId(), valid)));
    }

    private static String didYouMean(List<String> nearest) {
        return nearest.isEmpty() ? "" : "; did you mean " + String.join(" or ", nearest) + "?";
    }

    /**
     * Thrown by this package's deserializers, which see only their own value: a message with
     * {@link #KEY} where {@link #bind} puts the full key and its origin. Never carries a secret.
     */
    static final class BadValue extends RuntimeException {
        static final String KEY = "{key}";

        BadValue(String message) {
            super(message, null, false, false);
        }

        String message(String keyAndOrigin) {
            return getMessage().replace(KEY, keyAndOrigin);
        }
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
                    throw new BadValue("bad value '" + text + "' for configuration key " + BadValue.KEY + ": " + e.getMessage());
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
                    List<String> nearest = Suggestions.nearestZones(text);
                    throw new BadValue("bad value '" + text + "' for configuration key " + BadValue.KEY + ": not an IANA time zone id"
                            + (nearest.isEmpty() ? " (for example Europe/Berlin, America/New_York or UTC)" : Suggestions.hint(nearest)));
                }
            }
        });
        module.addDeserializer(Secret.class, new JsonDeserializer<>() {
            @Override
            @SuppressWarnings("unchecked")
            public Secret deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
                Map<String, String> env = (Map<String, String>) ctxt.getAttribute(ENV_ATTRIBUTE);
                return Secret.resolve(p.getValueAsString(), env == null ? System.getenv() : env);
            }
        });
        module.addSerializer(Secret.class, new com.fasterxml.jackson.databind.JsonSerializer<>() {
            @Override
            public void serialize(Secret value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider serializers) throws IOException {
                gen.writeString(value.reference()); // ${VAR} or file:..., so the printed configuration loads back
            }
        });
        module.addSerializer(Duration.class, new com.fasterxml.jackson.databind.JsonSerializer<>() {
            @Override
            public void serialize(Duration value, com.fasterxml.jackson.core.JsonGenerator gen,
                                  com.fasterxml.jackson.databind.SerializerProvider serializers) throws IOException {
                gen.writeString(value.toString());
            }
        });
        // a source prints its type as a "kind:" key, as it is written, not as a YAML tag (!<leegality>) that loading rejects
        ObjectMapper mapper = new ObjectMapper(YAMLFactory.builder().disable(YAMLGenerator.Feature.USE_NATIVE_TYPE_ID).build());
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
