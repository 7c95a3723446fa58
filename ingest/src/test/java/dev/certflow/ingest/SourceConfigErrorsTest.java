package dev.certflow.ingest;

import dev.certflow.ingest.config.IngestConfig;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The source mistakes people make, each answered with the full key, the value, where it came from and what would be right. */
class SourceConfigErrorsTest {
    @TempDir
    Path dir;

    private Path file;

    private IngestConfig bind(String yaml, Map<String, String> env) throws Exception {
        file = dir.resolve("c.yaml");
        Files.writeString(file, yaml);
        return ConfigLoader.load(file, env, List.of()).bind("ingest", IngestConfig.class);
    }

    @Test
    void aMisspelledKindNamesTheKindKeyTheValueAndTheValidKinds() {
        String yaml = IngestConfigTest.YAML.replace("kind: smoxy", "kind: smoxi");
        assertThatThrownBy(() -> bind(yaml, IngestConfigTest.ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bad value 'smoxi' for configuration key 'ingest.sources[1].kind' (from file " + file
                        + "): unknown kind; valid kinds: leegality, smoxy, yeastar; did you mean smoxy?");
        String noKind = IngestConfigTest.YAML.replace("    - kind: smoxy\n      name: smoxy-acme", "    - name: smoxy-acme");
        assertThatThrownBy(() -> bind(noKind, IngestConfigTest.ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessage("missing required configuration key 'ingest.sources[1].kind'; valid kinds: leegality, smoxy, yeastar");
    }

    @Test
    void aZoneThatIsNotAnIanaIdSuggestsTheNearest() {
        String yaml = IngestConfigTest.YAML.replace("zone: Europe/Berlin", "zone: America/NewYork");
        assertThatThrownBy(() -> bind(yaml, IngestConfigTest.ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessage("bad value 'America/NewYork' for configuration key 'ingest.sources[2].zone' (from file " + file
                        + "): not an IANA time zone id; nearest: America/New_York");
    }

    @Test
    void anInlineSecretIsRefusedNamingTheKeyButNotTheValue() {
        String yaml = IngestConfigTest.YAML.replace("token: ${SMOXY_TOKEN}", "token: st-inline-CANARY");
        assertThatThrownBy(() -> bind(yaml, IngestConfigTest.ENV))
                .isInstanceOf(ConfigException.class)
                .hasMessageStartingWith("configuration key 'ingest.sources[1].token' (from file " + file + ") holds a secret written inline")
                .hasMessageContaining("${ENV_VAR}").hasMessageContaining("file:/path")
                .message().doesNotContain("CANARY");
    }

    @Test
    void secretErrorsSpellTheKeyAsEveryOtherErrorDoes() {
        Map<String, String> env = new HashMap<>(IngestConfigTest.ENV);
        env.remove("PBX_BERLIN_CLIENT_SECRET");
        assertThatThrownBy(() -> bind(IngestConfigTest.YAML, env))
                .isInstanceOf(ConfigException.class)
                .hasMessage("secret 'ingest.sources[2].clientSecret' (from file " + file
                        + ") refers to environment variable PBX_BERLIN_CLIENT_SECRET, which is not set");
    }
}
