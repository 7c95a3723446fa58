package dev.certflow.runtime.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A credential from configuration. Written in YAML as {@code ${ENV_VAR}} (read from the
 * environment), {@code file:/path} (the file's content, trailing newline removed) or, for tests
 * only, a literal. {@link #toString()} never shows the value, and every revealed value is
 * registered with {@link SecretRegistry} so log output masks it as defence in depth.
 */
public final class Secret {
    private static final Pattern ENV_REF = Pattern.compile("^\\$\\{([A-Za-z_][A-Za-z0-9_]*)}$");
    public static final String MASK = "******";

    private final String value;
    private final String reference;

    private Secret(String value, String reference) {
        this.value = value;
        this.reference = reference;
        SecretRegistry.register(value);
    }

    /** A literal secret (tests, generated values). */
    public static Secret of(String value) {
        return new Secret(Objects.requireNonNull(value, "secret value"), "literal");
    }

    /**
     * Resolves a reference. {@code path} names the config key for error messages; the value itself
     * is never put in an error.
     */
    public static Secret resolve(String text, Map<String, String> env, String path) {
        if (text == null) {
            return null;
        }
        Matcher m = ENV_REF.matcher(text.trim());
        if (m.matches()) {
            String name = m.group(1);
            String v = env.get(name);
            if (v == null) {
                throw new ConfigException("secret '" + path + "' refers to environment variable " + name + ", which is not set");
            }
            return new Secret(v, "${" + name + "}");
        }
        if (text.startsWith("file:")) {
            Path file = Path.of(text.substring("file:".length()));
            try {
                String v = Files.readString(file).replaceAll("\\r?\\n$", "");
                return new Secret(v, "file:" + file);
            } catch (IOException e) {
                throw new ConfigException("secret '" + path + "' refers to file " + file + ", which cannot be read: " + e.getClass().getSimpleName());
            }
        }
        return new Secret(text, "literal");
    }

    /** The secret's value; pass it only to the request that needs it. */
    public String reveal() {
        return value;
    }

    /** Where the value came from ({@code ${VAR}}, {@code file:...} or {@code literal}), safe to print. */
    public String reference() {
        return reference;
    }

    @Override
    public String toString() {
        return MASK;
    }
}
