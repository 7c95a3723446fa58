package dev.certflow.runtime.config;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A credential from configuration. Written (in the file, an environment variable or a
 * {@code --set} flag) as {@code ${ENV_VAR}} (read from the environment) or {@code file:/path} (the
 * file's content, trailing newline removed); a value written inline is refused at start.
 * {@link #toString()} never shows the value, {@link #reference()} is what the configuration
 * said and prints back loadably, and every revealed value is registered with
 * {@link SecretRegistry} so log output masks it as defence in depth.
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

    /** A secret built in code (tests, generated values); configuration never makes one. It prints as {@link #MASK}. */
    public static Secret of(String value) {
        return new Secret(Objects.requireNonNull(value, "secret value"), null);
    }

    /**
     * Resolves a reference from configuration. Messages carry {@link ConfigTree.BadValue#KEY} where
     * the binder names the key; they never carry the value.
     */
    static Secret resolve(String text, Map<String, String> env) {
        if (text == null) {
            return null;
        }
        Matcher m = ENV_REF.matcher(text.trim());
        if (m.matches()) {
            String name = m.group(1);
            String v = env.get(name);
            if (v == null) {
                throw new ConfigTree.BadValue("secret " + ConfigTree.BadValue.KEY + " refers to environment variable " + name
                        + ", which is not set");
            }
            return new Secret(v, "${" + name + "}");
        }
        if (text.startsWith("file:")) {
            Path file = Path.of(text.substring("file:".length()));
            try {
                String v = Files.readString(file).replaceAll("\\r?\\n$", "");
                return new Secret(v, "file:" + file);
            } catch (IOException e) {
                throw new ConfigTree.BadValue("secret " + ConfigTree.BadValue.KEY + " refers to file " + file
                        + ", which cannot be read: " + e.getClass().getSimpleName());
            }
        }
        throw new ConfigTree.BadValue("configuration key " + ConfigTree.BadValue.KEY + " holds a secret written inline, and secrets "
                + "are never inline: write ${ENV_VAR} to read it from an environment variable or file:/path to read it from a file");
    }

    /** The secret's value; pass it only to the request that needs it. */
    public String reveal() {
        return value;
    }

    /**
     * What the configuration said ({@code ${VAR}} or {@code file:...}), safe to print and loadable
     * again; {@link #MASK} for a secret built in code.
     */
    public String reference() {
        return reference == null ? MASK : reference;
    }

    @Override
    public String toString() {
        return MASK;
    }
}
