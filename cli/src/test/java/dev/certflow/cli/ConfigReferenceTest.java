package dev.certflow.cli;

import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** The README's configuration reference is what {@code certflow config} prints with no file: every key and its default. */
class ConfigReferenceTest {

    static String reference() {
        return "```yaml\n" + ConfigCommand.effective(ConfigLoader.load(null, Map.of(), List.of())).replaceFirst("^---\n", "") + "```\n";
    }

    @Test
    void readmeListsEveryKeyWithItsDefault() throws Exception {
        String readme = Files.readString(Path.of("..", "README.md"));
        String begin = "<!-- config-reference:begin -->\n";
        String end = "<!-- config-reference:end -->";
        String block = readme.substring(readme.indexOf(begin) + begin.length(), readme.indexOf(end));
        assertThat(block).as("README.md config reference; regenerate with ./certflow config").isEqualTo(reference());
    }
}
