package dev.certflow.schemas.registry;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The conformance checks against Apicurio Registry 3.0.9, a real Confluent-compatible registry
 * nobody here wrote, in its own process. It runs with BACKWARD and canonical-form dedupe, the two
 * Confluent defaults Apicurio does not share. Where it still answers otherwise than Confluent
 * documents, the shared checks rely on neither answer: it says 200 {@code is_compatible: true} for
 * an unknown subject (Confluent 40401), 40402 for a malformed version (42202), 500 for an unknown
 * compatibility level (42203), its {@code GET /config/{s}} without a subject level answers NONE
 * (Confluent 40408), a subject-level NONE does not override the global level, errors are
 * {@code application/json} whatever was asked, and ids have gaps.
 */
class ApicurioRegistryIntegrationTest extends RegistryConformance {
    private static ApicurioRegistry apicurio;

    @BeforeAll
    static void start() {
        apicurio = ApicurioRegistry.named("schemas-conformance").canonicalHash(true).globalCompatibility("BACKWARD").start();
    }

    /** Stopped by its PID: after close() the process is gone, not left running beside the build. */
    @AfterAll
    static void stop() {
        if (apicurio != null) {
            long pid = apicurio.pid();
            apicurio.close();
            assertThat(ProcessHandle.of(pid).filter(ProcessHandle::isAlive)).as("Apicurio pid " + pid + " after close()").isEmpty();
        }
    }

    @Override
    protected String url() {
        return apicurio.ccompatUrl();
    }

    @Test
    void runsInItsOwnProcessWithItsOutputInALogFile() {
        assertThat(apicurio.pid()).isNotEqualTo(ProcessHandle.current().pid());
        assertThat(ProcessHandle.of(apicurio.pid())).get().matches(ProcessHandle::isAlive);
        assertThat(ProcessHandle.of(apicurio.pid()).flatMap(h -> h.info().commandLine()).orElse(""))
                .contains("apicurio-registry-app-3.0.9-runner.jar");
        assertThat(apicurio.log()).content().contains("path=\"/apis/ccompat/v7/subjects\" response_code=\"200\"");
    }
}
