package dev.certflow.schemas.serde;

import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to instantiate or write specific classes outside trusted packages; add ours to
 * whatever is already trusted. Done in main code so every serde works, not only in tests.
 */
public final class TrustedPackages {
    private static boolean done;

    private TrustedPackages() {
    }

    /** Adds dev.certflow classes to Avro's trusted classes (idempotent). */
    public static synchronized void trustCertflowEvents() {
        if (done) {
            return;
        }
        ClassSecurityValidator.ClassSecurityPredicate current = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(current,
                c -> c.getName().startsWith("dev.certflow.")));
        done = true;
    }
}
