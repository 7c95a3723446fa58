package dev.certflow.runtime.config;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Every secret value this process has read, so the log layout can mask one that slips into a
 * message. The primary rule stays: code never logs a secret; this only limits the damage.
 */
public final class SecretRegistry {
    private static final int MIN_LENGTH = 4; // shorter values would mask ordinary words
    private static final Set<String> VALUES = ConcurrentHashMap.newKeySet();

    private SecretRegistry() {
    }

    public static void register(String value) {
        if (value != null && value.length() >= MIN_LENGTH) {
            VALUES.add(value);
        }
    }

    /** The text with every registered secret replaced by {@link Secret#MASK}. */
    public static String mask(String text) {
        if (text == null || VALUES.isEmpty()) {
            return text;
        }
        String out = text;
        for (String v : VALUES) {
            if (out.contains(v)) {
                out = out.replace(v, Secret.MASK);
            }
        }
        return out;
    }
}
