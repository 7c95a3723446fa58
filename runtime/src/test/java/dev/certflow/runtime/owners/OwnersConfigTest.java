package dev.certflow.runtime.owners;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigLoader;
import dev.certflow.runtime.config.ConfigTree;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.LocalTime;
import java.time.ZoneId;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class OwnersConfigTest {
    @TempDir
    Path dir;

    private static final String YAML = """
            owners:
              default: platform
              teams:
                - name: platform
                  email: [platform@example.com]
                - name: payments
                  zone: Europe/Berlin
                  email: [pay-oncall@example.com]
                  slackWebhook: ${PAY_SLACK}
                  pagerDutyRoutingKey: ${PAY_PD}
                  webhook: {url: "https://hooks.example.com/pay", secret: "${PAY_HOOK}"}
                  digest: {at: "08:30", every: 7d, sendEmpty: true, horizon: 14d}
                  escalation: {after: 45m, to: platform}
              rules:
                - owner: payments
                  sourceKinds: [smoxy]
                  names: ["*.pay.example.com", "pay-*"]
                - owner: platform
                  tenants: [acme]
                - owner: payments
                  sources: [pbx-berlin]
            """;

    private OwnersConfig load(String yaml, Map<String, String> env) throws Exception {
        Path file = dir.resolve("certflow.yaml");
        Files.writeString(file, yaml);
        ConfigTree tree = ConfigLoader.load(file, env, List.of());
        return tree.bind("owners", OwnersConfig.class);
    }

    private OwnersConfig sample() throws Exception {
        return load(YAML, Map.of("PAY_SLACK", "https://hooks.slack.example/T1", "PAY_PD", "pd-key-1", "PAY_HOOK", "hook-secret"));
    }

    @Test
    void bindsTeamsWithSecretsDigestAndEscalation() throws Exception {
        OwnersConfig owners = sample();
        assertThat(owners.defaultOwner).isEqualTo("platform");
        OwnersConfig.Team pay = owners.team("payments");
        assertThat(pay.zone).isEqualTo(ZoneId.of("Europe/Berlin"));
        assertThat(pay.email).containsExactly("pay-oncall@example.com");
        assertThat(pay.slackWebhook.reveal()).isEqualTo("https://hooks.slack.example/T1");
        assertThat(pay.slackWebhook.toString()).doesNotContain("hooks.slack");
        assertThat(pay.pagerDutyRoutingKey.reference()).isEqualTo("${PAY_PD}");
        assertThat(pay.webhook.secret.reveal()).isEqualTo("hook-secret");
        assertThat(pay.digest.at).isEqualTo(LocalTime.of(8, 30));
        assertThat(pay.digest.every).isEqualTo(Duration.ofDays(7));
        assertThat(pay.digest.sendEmpty).isTrue();
        assertThat(pay.escalation.after).isEqualTo(Duration.ofMinutes(45));
        assertThat(pay.escalation.to).isEqualTo("platform");
        OwnersConfig.Team platform = owners.team("platform");
        assertThat(platform.zone).isEqualTo(ZoneId.of("UTC"));
        assertThat(platform.digest.at).isEqualTo(LocalTime.of(9, 0));
        assertThat(platform.escalation).isNull();
    }

    @Test
    void firstMatchingRuleWinsAndEveryGivenFieldMustMatch() throws Exception {
        OwnerRules rules = sample().rules();
        // rule 0 needs smoxy AND a matching name
        assertThat(rules.ownerOf("SMOXY", "smoxy-prod", "acme", List.of("api.pay.example.com"))).isEqualTo("payments");
        assertThat(rules.ownerOf("leegality", "leg", "acme", List.of("api.pay.example.com"))).isEqualTo("platform");
        // a SAN matches as well as the common name; globs are case-insensitive and * crosses dots
        assertThat(rules.ownerOf("smoxy", "s", null, java.util.Arrays.asList(null, "www.example.com", "A.B.PAY.example.com")))
                .isEqualTo("payments");
        assertThat(rules.ownerOf("smoxy", "s", null, List.of("pay-gateway"))).isEqualTo("payments");
        assertThat(rules.ownerOf("smoxy", "s", null, List.of("gateway-pay"))).isNull();
        // the whole name must match, not a part of it
        assertThat(rules.ownerOf("smoxy", "s", null, List.of("api.pay.example.com.evil.org"))).isNull();
        assertThat(rules.ownerOf("yeastar", "pbx-berlin", null, List.of())).isEqualTo("payments");
        assertThat(rules.ownerOf("yeastar", "pbx-paris", null, List.of())).isNull();
    }

    @Test
    void sourceOwnerComesOnlyFromRulesWithoutTenantOrNameConditions() throws Exception {
        OwnerRules rules = sample().rules();
        assertThat(rules.ownerOfSource("yeastar", "pbx-berlin")).isEqualTo("payments");
        assertThat(rules.ownerOfSource("smoxy", "smoxy-prod")).isNull();
        assertThat(OwnerRules.none().ownerOf("smoxy", "s", "t", List.of("x"))).isNull();
    }

    @Test
    void globTreatsRegexCharactersLiterally() {
        assertThat(OwnerRules.glob("a.b?c*").matcher("a.bXc-anything").matches()).isTrue();
        assertThat(OwnerRules.glob("a.b").matcher("aXb").matches()).isFalse();
        assertThat(OwnerRules.glob("(x)+").matcher("(x)+").matches()).isTrue();
    }

    @Test
    void defaultsToNoTeamsAndNoRules() throws Exception {
        OwnersConfig owners = load("kafka: {}\n", Map.of());
        assertThat(owners.defaultOwner).isNull();
        assertThat(owners.teams).isEmpty();
        assertThat(owners.rules().ownerOf("smoxy", "s", null, List.of("a"))).isNull();
    }

    @Test
    void refusesARuleForAnUnknownTeamNamingTheKey() {
        assertThatThrownBy(() -> load("""
                owners:
                  teams: [{name: payments}]
                  rules: [{owner: paymnets, names: ["*"]}]
                """, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("owners.rules[0].owner").hasMessageContaining("paymnets").hasMessageContaining("payments");
    }

    @Test
    void refusesUnknownDefaultEscalationTargetSourceKindAndDuplicateTeam() {
        assertThatThrownBy(() -> load("owners: {default: ops, teams: [{name: payments}]}\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("owners.default").hasMessageContaining("'ops'");
        assertThatThrownBy(() -> load("owners: {teams: [{name: a, escalation: {to: b}}]}\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("owners.teams[0].escalation.to");
        assertThatThrownBy(() -> load("owners: {teams: [{name: a}], rules: [{owner: a, sourceKinds: [smoky]}]}\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("owners.rules[0].sourceKinds").hasMessageContaining("smoky");
        assertThatThrownBy(() -> load("owners: {teams: [{name: a}, {name: a}]}\n", Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("owners.teams[1].name");
    }

    @Test
    void refusesAnInlineSecretWithoutShowingIt() {
        assertThatThrownBy(() -> load("owners: {teams: [{name: a, pagerDutyRoutingKey: canary-pd-0xdeadbeef}]}\n", Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("owners.teams[0].pagerDutyRoutingKey")
                .hasMessageNotContaining("canary-pd-0xdeadbeef");
    }
}
