package dev.certflow.sink.oncall;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.sink.Fixtures;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.time.Instant;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

/** Silence matchers with Alertmanager's semantics, and the silence's time window. */
class SilenceRulesTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private static Alert alert() {
        Alert a = Fixtures.alert("a-1", AlertStatus.FIRING, Severity.CRITICAL);
        return Alert.newBuilder(a).setOwner("payments").setIncidentId("inc-7")
                .setLabels(Map.of("department", "ops-team", "certificate", "c-a-1.pem", "env", "prod-eu")).build();
    }

    private static boolean matches(String... matchers) {
        return SilenceRules.of(Silences.silence("s", T0, T0.plusSeconds(3600), matchers)).matches(alert());
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', value = {
            "kind=EXPIRING|true", "kind=expiring|true", "kind=EXPIRED|false", "kind!=EXPIRED|true",
            "severity=critical|true", "severity=~crit.*|true", "severity=~CRIT|false",
            "owner=payments|true", "owner=Payments|false", "owner!=payments|false",
            "tenant=acme|true", "source=pbx-berlin|true", "source_kind=yeastar|true", "source_kind=SMOXY|false",
            "certificate_key=yeastar/pbx-berlin/acme/c-a-1|true", "incident=inc-7|true", "alertname=CertflowExpiring|true",
            "env=~prod-.*|true", "env=~prod|false", "env=~.*eu|true", "env!~prod-.*|false", "env!~dev-.*|true",
            "department=ops-team|true",
            // an alert without the label has the empty value
            "missing=|true", "missing!=x|true", "missing=x|false", "missing=~.*|true", "missing=~.+|false"})
    void oneMatcher(String matcher, boolean expected) {
        assertThat(matches(matcher)).as(matcher).isEqualTo(expected);
    }

    @Test
    void everyMatcherMustHold() {
        assertThat(matches("kind=EXPIRING", "owner=payments", "tenant=acme")).isTrue();
        assertThat(matches("kind=EXPIRING", "owner=payments", "tenant=other")).isFalse();
    }

    @Test
    void anInvalidRegularExpressionOrNoMatcherSilencesNothing() {
        SilenceRules bad = SilenceRules.of(Silences.silence("bad", T0, T0.plusSeconds(60), "env=~prod-(eu"));
        assertThat(bad.invalid()).contains("env").contains("invalid regular expression");
        assertThat(bad.matches(alert())).isFalse();
        SilenceRules none = SilenceRules.of(Silences.silence("none", T0, T0.plusSeconds(60)));
        assertThat(none.invalid()).contains("no matchers");
        assertThat(none.matches(alert())).isFalse();
    }

    @Test
    void inForceFromStartToEndExclusive() {
        SilenceRules s = SilenceRules.of(Silences.silence("w", T0, T0.plusSeconds(3600), "kind=EXPIRING"));
        assertThat(s.activeAt(T0.minusMillis(1))).isFalse();
        assertThat(s.activeAt(T0)).isTrue();
        assertThat(s.activeAt(T0.plusSeconds(3599))).isTrue();
        assertThat(s.activeAt(T0.plusSeconds(3600))).isFalse();
    }

    @Test
    void aRenewalKindMatchesByItsName() {
        Alert a = Alert.newBuilder(alert()).setKind(AlertKind.RENEWAL_OVERDUE).build();
        assertThat(SilenceRules.of(Silences.silence("k", T0, T0.plusSeconds(1), "kind=~renewal_.*")).matches(a)).isTrue();
    }
}
