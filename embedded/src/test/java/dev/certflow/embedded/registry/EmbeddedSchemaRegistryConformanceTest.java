package dev.certflow.embedded.registry;

import dev.certflow.schemas.registry.RegistryConformance;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;

import java.io.IOException;

/** The conformance checks against our embedded registry (the one `certflow local` serves). */
class EmbeddedSchemaRegistryConformanceTest extends RegistryConformance {
    private static EmbeddedSchemaRegistry registry;

    @BeforeAll
    static void start() throws IOException {
        registry = EmbeddedSchemaRegistry.start(0);
    }

    @AfterAll
    static void stop() {
        registry.close();
    }

    @Override
    protected String url() {
        return registry.url();
    }
}
