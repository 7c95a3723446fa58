package dev.certflow.runtime.ops;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class QueryStringsTest {
    @Test
    void decodesPairsKeepsFirstOfARepeatedKeyAndTakesBareKeys() {
        assertThat(QueryStrings.parse("days=30&tenant=a%20b&days=7&local")).containsExactly(
                java.util.Map.entry("days", "30"), java.util.Map.entry("tenant", "a b"), java.util.Map.entry("local", ""));
        assertThat(QueryStrings.parse(null)).isEmpty();
        assertThat(QueryStrings.parse("")).isEmpty();
    }
}
