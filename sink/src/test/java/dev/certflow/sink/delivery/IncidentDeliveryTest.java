package dev.certflow.sink.delivery;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertResolution;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.Secret;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.SinkConfig;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** One problem, one incident: the steps on every channel, routing by owner and the owners' own channels. */
class IncidentDeliveryTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Step {@code step} of incident inc-1 (alert id st-N, escalated from st-(N-1)). */
    private static Alert step(int step, AlertStatus status, Severity severity, AlertResolution resolution) {
        Alert base = Fixtures.alert("st-" + step, status, severity);
        return Alert.newBuilder(base).setIncidentId("inc-1").setIncidentStep(step).setEscalatedFrom(step > 1 ? "st-" + (step - 1) : null)
                .setResolution(resolution).setOwner("payments").build();
    }

    @Test
    void pagerDutyKeepsOneDedupKeyPerIncidentAndTheSeverityRises() throws Exception {
        JsonNode first = JSON.readTree(Payloads.pagerDuty(step(1, AlertStatus.FIRING, Severity.WARNING, null), "rk"));
        JsonNode second = JSON.readTree(Payloads.pagerDuty(step(2, AlertStatus.FIRING, Severity.CRITICAL, null), "rk"));
        JsonNode cleared = JSON.readTree(Payloads.pagerDuty(step(2, AlertStatus.RESOLVED, Severity.CRITICAL, AlertResolution.CLEARED), "rk"));
        assertThat(List.of(first, second, cleared)).extracting(e -> e.path("dedup_key").asText()).containsOnly("inc-1");
        assertThat(second.at("/payload/severity").asText()).isEqualTo("critical");
        assertThat(second.at("/payload/summary").asText()).endsWith("(escalation of inc-1, step 2 (from st-1))");
        assertThat(first.at("/payload/summary").asText()).doesNotContain("escalation");
        assertThat(cleared.path("event_action").asText()).isEqualTo("resolve");
    }

    @Test
    void consoleWebhookAndSlackShowTheStepAsAnEscalation() throws Exception {
        Alert second = step(2, AlertStatus.FIRING, Severity.CRITICAL, null);
        assertThat(Payloads.consoleLine(second)).endsWith("(alert st-2, escalation of inc-1, step 2 (from st-1))");
        assertThat(Payloads.consoleLine(step(1, AlertStatus.FIRING, Severity.WARNING, null))).endsWith("(alert st-1)");
        JsonNode doc = JSON.readTree(Payloads.webhook(second));
        assertThat(doc.path("incidentId").asText()).isEqualTo("inc-1");
        assertThat(doc.path("incidentStep").asInt()).isEqualTo(2);
        assertThat(doc.path("escalatedFrom").asText()).isEqualTo("st-1");
        assertThat(doc.path("escalation").asText()).isEqualTo("escalation of inc-1, step 2 (from st-1)");
        assertThat(doc.path("owner").asText()).isEqualTo("payments");
        assertThat(JSON.readTree(Payloads.webhook(step(1, AlertStatus.RESOLVED, Severity.WARNING, AlertResolution.ESCALATED)))
                .path("resolution").asText()).isEqualTo("ESCALATED");
        assertThat(Payloads.slackText(second)).contains("escalation of inc-1, step 2");
        var labels = Payloads.alertmanagerLabels(second);
        assertThat(labels).containsEntry("incident", "inc-1").containsEntry("step", "2").containsEntry("owner", "payments");
    }

    private static ChannelWorker worker(Channel channel) {
        return new ChannelWorker(new ChannelConfig(), channel, null, (t, c, e) -> { }, 1, 1, Duration.ofMillis(1), Duration.ofMillis(1),
                new SimpleMeterRegistry());
    }

    private static Channel channel(ChannelConfig.Type type, boolean resends) {
        return new Channel() {
            public String name() {
                return type.id();
            }

            public ChannelConfig.Type type() {
                return type;
            }

            public Attempt send(Alert alert) {
                return Attempt.ok(200);
            }

            public boolean resendsFiring() {
                return resends;
            }
        };
    }

    @Test
    void theResolveOfAnEscalatedStepIsNoRecoveryOnlyAlertmanagerHearsOfIt() {
        Alert escalatedAway = step(1, AlertStatus.RESOLVED, Severity.WARNING, AlertResolution.ESCALATED);
        Alert cleared = step(2, AlertStatus.RESOLVED, Severity.CRITICAL, AlertResolution.CLEARED);
        Alert legacyResolve = Fixtures.alert("old", AlertStatus.RESOLVED, Severity.ERROR); // no resolution: read as CLEARED
        for (ChannelConfig.Type t : List.of(ChannelConfig.Type.PAGERDUTY, ChannelConfig.Type.SLACK, ChannelConfig.Type.WEBHOOK, ChannelConfig.Type.CONSOLE)) {
            ChannelWorker w = worker(channel(t, false));
            assertThat(w.accepts(escalatedAway)).as(t + " gets no recovery for an escalation").isFalse();
            assertThat(w.accepts(cleared)).as(t + " gets the incident's real resolve").isTrue();
            assertThat(w.accepts(legacyResolve)).isTrue();
        }
        assertThat(worker(channel(ChannelConfig.Type.ALERTMANAGER, true)).accepts(escalatedAway)).as("Alertmanager ends that step's alert").isTrue();
    }

    @Test
    void aRouteOnOwnersMatchesTheOwnerAndDashMatchesUnowned() {
        Route r = new Route();
        r.owners = List.of("payments", Route.UNOWNED);
        assertThat(r.matches(step(1, AlertStatus.FIRING, Severity.CRITICAL, null))).isTrue();
        assertThat(r.matches(Fixtures.alert("none", AlertStatus.FIRING, Severity.CRITICAL))).as("unowned").isTrue();
        Alert other = Alert.newBuilder(Fixtures.alert("o", AlertStatus.FIRING, Severity.CRITICAL)).setOwner("platform").build();
        assertThat(r.matches(other)).isFalse();
    }

    private static SinkConfig withOwners() {
        OwnersConfig owners = new OwnersConfig();
        OwnersConfig.Team payments = new OwnersConfig.Team();
        payments.name = "payments";
        payments.pagerDutyRoutingKey = Secret.of("pd-key-CANARY");
        payments.slackWebhook = Secret.of("https://hooks.slack.com/services/T0/B0/CANARY");
        OwnersConfig.Team platform = new OwnersConfig.Team();
        platform.name = "platform";
        platform.webhook = new OwnersConfig.Webhook();
        platform.webhook.url = "https://hooks.example.com/platform";
        platform.webhook.secret = Secret.of("hmac");
        owners.teams = List.of(payments, platform);
        owners.defaultOwner = "platform";
        SinkConfig sink = new SinkConfig();
        sink.validate("sink.", null);
        return sink.owners(owners);
    }

    @Test
    void eachOwnersContactsBecomeChannelsRoutedToItsAlertsUnderTheSeverityPolicy() {
        List<ChannelConfig> channels = OwnerChannels.of(withOwners());
        assertThat(channels).extracting(c -> c.name).containsExactly("owner-payments-pagerduty", "owner-payments-slack", "owner-platform-webhook");
        ChannelConfig pd = channels.get(0);
        Alert critical = step(1, AlertStatus.FIRING, Severity.CRITICAL, null);
        Alert warning = step(1, AlertStatus.FIRING, Severity.WARNING, null);
        Alert info = step(1, AlertStatus.FIRING, Severity.INFO, null);
        assertThat(pd.accepts(critical)).as("critical pages").isTrue();
        assertThat(pd.accepts(warning)).as("warning does not page").isFalse();
        assertThat(channels.get(1).accepts(warning)).as("warning goes to Slack at once").isTrue();
        assertThat(channels.get(1).accepts(info)).as("info only in the digest").isFalse();
        Alert unowned = Fixtures.alert("u", AlertStatus.FIRING, Severity.ERROR);
        assertThat(channels.get(2).accepts(unowned)).as("the default owner takes the unowned").isTrue();
        assertThat(channels.get(1).accepts(unowned)).isFalse();
        assertThat(channels.get(2).accepts(warning)).as("not platform's").isFalse();

        SinkConfig off = withOwners();
        off.ownerChannels = false;
        assertThat(OwnerChannels.of(off)).isEmpty();
    }

    @Test
    void anOwnersWebhookWithoutSecretIsRefusedNamingTheKey() {
        SinkConfig sink = withOwners();
        sink.owners().teams.get(1).webhook.secret = null;
        assertThatThrownBy(() -> OwnerChannels.of(sink)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("owners.teams[1].webhook.secret");
    }

    @Test
    void theSeverityPolicyAndTheConcurrencyAreChecked() {
        SinkConfig bad = new SinkConfig();
        bad.notify.paging = List.of("LOUD");
        assertThatThrownBy(() -> bad.validate("sink.", null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("'LOUD'").hasMessageContaining("sink.notify.paging[0]");
        SinkConfig none = new SinkConfig();
        none.deliveryConcurrency = 0;
        assertThatThrownBy(() -> none.validate("sink.", null)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("sink.deliveryConcurrency");
    }
}
