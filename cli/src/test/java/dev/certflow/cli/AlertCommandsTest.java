package dev.certflow.cli;

import dev.certflow.runtime.config.ConfigLoader;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AlertCommandsTest {
    @Test
    void matchersParseEveryOperator() {
        assertThat(SilenceCommand.matcher("kind=EXPIRING").toString()).isEqualTo("{\"name\":\"kind\",\"value\":\"EXPIRING\",\"op\":\"EQUAL\"}");
        assertThat(SilenceCommand.matcher("owner!=payments").path("op").asText()).isEqualTo("NOT_EQUAL");
        assertThat(SilenceCommand.matcher("tenant=~ac.*").path("op").asText()).isEqualTo("REGEX");
        assertThat(SilenceCommand.matcher("tenant=~ac.*").path("value").asText()).isEqualTo("ac.*");
        assertThat(SilenceCommand.matcher("source!~pbx-.*").path("op").asText()).isEqualTo("NOT_REGEX");
        assertThat(SilenceCommand.matcher("certificate=a=b").path("value").asText()).isEqualTo("a=b");
        assertThatThrownBy(() -> SilenceCommand.matcher("=x")).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'=x'");
    }

    @Test
    void theTokenAndUrlVariablesAreNotConfiguration() {
        // CERTFLOW_* without "__" names no key: loading with them set neither fails nor shows them
        String printed = ConfigCommand.effective(ConfigLoader.load(null,
                Map.of(ApiClient.TOKEN_ENV, "canary-token-value", ApiClient.URL_ENV, "http://x:1"), List.of()));
        assertThat(printed).doesNotContain("canary-token-value").doesNotContain("http://x:1");
    }

    @Test
    void theApiUrlComesFromTheOptionThenTheVariable() {
        ApiClient c = new ApiClient();
        c.env = Map.of(ApiClient.URL_ENV, "http://streams:8080/");
        assertThat(c.base()).isEqualTo("http://streams:8080");
        c.api = "http://other:9";
        assertThat(c.base()).isEqualTo("http://other:9");
        c.env = Map.of();
        c.api = null;
        assertThat(c.base()).isEqualTo("http://localhost:8080");
    }
}
