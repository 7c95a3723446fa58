package dev.certflow.sink.oncall;

import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertResolution;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.Fixtures;
import dev.certflow.sink.SinkDatabase;
import dev.certflow.testkit.MutableClock;
import dev.certflow.testkit.TestPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Silences (start, end, overlap, expiry, resolved inside), acknowledgements and escalation timing,
 * decided and claimed in a real PostgreSQL, with an injected clock; "a restart" is a new
 * {@link OnCall} on the same database.
 */
class OnCallIntegrationTest {
    private static final Instant T0 = Instant.parse("2026-11-22T10:00:00Z");

    private HikariDataSource ds;
    private MutableClock clock;
    private Silences state;
    private OwnersConfig owners;
    private Recorder notifier;

    /** What the on-call logic asked the delivery to send. */
    static class Recorder implements Notifier {
        final List<String> released = new CopyOnWriteArrayList<>();
        final List<String> escalated = new CopyOnWriteArrayList<>();
        final List<String> acknowledged = new CopyOnWriteArrayList<>();

        @Override
        public void release(Alert alert, Runnable done) {
            released.add(alert.getAlertId());
            done.run();
        }

        @Override
        public boolean escalate(Alert alert, String targetName, Duration after, Runnable done) {
            escalated.add(alert.getAlertId() + "->" + targetName + "/" + after);
            done.run();
            return true;
        }

        @Override
        public void acknowledged(String incidentId, Alert latest, boolean notify) {
            acknowledged.add(incidentId + (notify ? " notify " + latest.getAlertId() : " quiet"));
        }
    }

    @BeforeEach
    void setUp() {
        ds = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 4);
        SinkDatabase.migrate(ds);
        clock = new MutableClock(T0);
        state = new Silences();
        owners = new OwnersConfig();
        owners.defaultOwner = "platform";
        OwnersConfig.Team payments = new OwnersConfig.Team();
        payments.name = "payments";
        payments.escalation = new OwnersConfig.Escalation();
        payments.escalation.after = Duration.ofMinutes(30);
        payments.escalation.to = "platform";
        OwnersConfig.Team platform = new OwnersConfig.Team();
        platform.name = "platform";
        platform.escalation = new OwnersConfig.Escalation();
        platform.escalation.after = Duration.ofHours(1);
        OwnersConfig.Team ops = new OwnersConfig.Team();
        ops.name = "ops";
        owners.teams.addAll(List.of(payments, platform, ops));
        owners.validate("owners.", null);
        notifier = new Recorder();
    }

    @AfterEach
    void tearDown() {
        ds.close();
    }

    private OnCall oncall() {
        return new OnCall(ds, state, owners, clock);
    }

    private void at(Duration since) {
        clock.set(T0.plus(since));
    }

    private static Alert alert(String id, AlertStatus status, Severity severity, String owner, String incident, int step, Duration firedAfter) {
        Alert base = Fixtures.alert(id, status, severity);
        return Alert.newBuilder(base).setOwner(owner).setIncidentId(incident).setIncidentStep(step).setFiredAt(T0.plus(firedAfter))
                .setResolvedAt(status == AlertStatus.RESOLVED ? T0.plus(firedAfter).plusSeconds(60) : null)
                .setResolution(status == AlertStatus.RESOLVED ? AlertResolution.CLEARED : null).build();
    }

    private static Alert resolved(Alert firing, AlertResolution resolution) {
        return Alert.newBuilder(firing).setStatus(AlertStatus.RESOLVED).setResolvedAt(firing.getFiredAt().plusSeconds(60)).setResolution(resolution).build();
    }

    private boolean decide(OnCall o, Alert a) throws Exception {
        return o.decide(List.of(a)).get(0);
    }

    /** A row as the view writer writes it (on its own consumer, before or after the decision). */
    private void history(Alert a, long offset) throws Exception {
        try (Connection c = ds.getConnection(); PreparedStatement ps = c.prepareStatement("INSERT INTO alert_history (alert_id, kind, status, severity, "
                + "summary, fired_at, resolved_at, kafka_topic, kafka_partition, kafka_offset) VALUES (?, 'EXPIRING', ?, ?, 's', ?, ?, 't', 0, ?)")) {
            ps.setString(1, a.getAlertId());
            ps.setString(2, a.getStatus().name());
            ps.setString(3, a.getSeverity().name());
            ps.setObject(4, OffsetDateTime.ofInstant(a.getFiredAt(), ZoneOffset.UTC));
            ps.setObject(5, a.getResolvedAt() == null ? null : OffsetDateTime.ofInstant(a.getResolvedAt(), ZoneOffset.UTC));
            ps.setLong(6, offset);
            ps.executeUpdate();
        }
    }

    private String notificationState(String alertId, String status) throws Exception {
        return Fixtures.string(ds, "SELECT state || '/' || coalesce(silenced_by, '-') FROM alert_notifications WHERE alert_id = '" + alertId
                + "' AND status = '" + status + "'");
    }

    @Test
    void aSilencedAlertIsHeldAndNotifiedOnceWhenTheSilenceEndsAcrossARestart() throws Exception {
        state.put(Silences.silence("s1", T0, T0.plus(Duration.ofHours(1)), "kind=EXPIRING", "owner=payments"));
        OnCall first = oncall();
        Alert held = alert("a1", AlertStatus.FIRING, Severity.WARNING, "payments", "inc-a1", 1, Duration.ofMinutes(5));
        Alert other = alert("a2", AlertStatus.FIRING, Severity.WARNING, "ops", "inc-a2", 1, Duration.ofMinutes(5));
        history(held, 1); // the view writer first
        at(Duration.ofMinutes(5));
        assertThat(first.decide(List.of(held, other))).containsExactly(false, true);
        history(other, 2);
        assertThat(notificationState("a1", "FIRING")).isEqualTo("SILENCED/s1");
        assertThat(Fixtures.string(ds, "SELECT silenced_by FROM alert_history WHERE alert_id = 'a1'")).isEqualTo("s1");
        assertThat(Fixtures.string(ds, "SELECT coalesce(silenced_by, '-') FROM alert_history WHERE alert_id = 'a2'")).isEqualTo("-");

        at(Duration.ofMinutes(59));
        first.tick(notifier);
        assertThat(notifier.released).isEmpty();
        assertThat(decide(first, held)).as("a redelivery keeps its decision").isFalse();

        at(Duration.ofHours(1)); // endsAt is exclusive
        OnCall restarted = oncall();
        restarted.tick(notifier);
        restarted.tick(notifier);
        first.tick(notifier);
        assertThat(notifier.released).containsExactly("a1");
        assertThat(notificationState("a1", "FIRING")).isEqualTo("RELEASED/s1");
        assertThat(decide(oncall(), held)).as("released: the redelivery does not notify again").isFalse();
    }

    @Test
    void anAlertThatFiredAndResolvedInsideTheSilenceIsNeverNotified() throws Exception {
        state.put(Silences.silence("s1", T0, T0.plus(Duration.ofHours(1)), "tenant=acme"));
        OnCall o = oncall();
        Alert a = alert("b1", AlertStatus.FIRING, Severity.ERROR, "payments", "inc-b1", 1, Duration.ofMinutes(1));
        at(Duration.ofMinutes(1));
        assertThat(decide(o, a)).isFalse();
        at(Duration.ofMinutes(20));
        Alert r = resolved(a, AlertResolution.CLEARED);
        history(r, 5);
        assertThat(decide(o, r)).isFalse();
        at(Duration.ofHours(2));
        o.tick(notifier);
        assertThat(notifier.released).isEmpty();
        assertThat(notificationState("b1", "FIRING")).isEqualTo("RESOLVED_IN_SILENCE/s1");
        assertThat(notificationState("b1", "RESOLVED")).isEqualTo("RESOLVED_IN_SILENCE/s1");
        assertThat(Fixtures.string(ds, "SELECT silenced_by FROM alert_history WHERE alert_id = 'b1' AND status = 'RESOLVED'")).isEqualTo("s1");
    }

    @Test
    void overlappingSilencesHoldUntilTheLastEndsAndOnesNotStartedYetHoldNothing() throws Exception {
        state.put(Silences.silence("early", T0, T0.plus(Duration.ofHours(1)), "kind=EXPIRING"));
        state.put(Silences.silence("late", T0.plus(Duration.ofMinutes(30)), T0.plus(Duration.ofHours(2)), "severity=~warning|error"));
        OnCall o = oncall();
        at(Duration.ofMinutes(10));
        Alert a = alert("c1", AlertStatus.FIRING, Severity.WARNING, "payments", "inc-c1", 1, Duration.ofMinutes(10));
        Alert critical = alert("c2", AlertStatus.FIRING, Severity.CRITICAL, "ops", "inc-c2", 1, Duration.ofMinutes(10));
        assertThat(o.decide(List.of(a))).containsExactly(false);
        assertThat(notificationState("c1", "FIRING")).isEqualTo("SILENCED/early");
        at(Duration.ofHours(1));
        o.tick(notifier);
        assertThat(notifier.released).isEmpty();
        assertThat(notificationState("c1", "FIRING")).isEqualTo("SILENCED/late");
        at(Duration.ofHours(2));
        o.tick(notifier);
        assertThat(notifier.released).containsExactly("c1");
        // a silence that starts later holds nothing now: the critical one is notified
        state.put(Silences.silence("future", T0.plus(Duration.ofHours(5)), T0.plus(Duration.ofHours(6)), "kind=EXPIRING"));
        assertThat(decide(o, critical)).isTrue();
    }

    @Test
    void expiringASilenceReleasesWhatItHeldAtOnce() throws Exception {
        state.put(Silences.silence("s8h", T0, T0.plus(Duration.ofHours(8)), "owner=payments"));
        OnCall o = oncall();
        at(Duration.ofMinutes(3));
        assertThat(decide(o, alert("d1", AlertStatus.FIRING, Severity.WARNING, "payments", "inc-d1", 1, Duration.ofMinutes(3)))).isFalse();
        at(Duration.ofMinutes(20));
        o.tick(notifier);
        assertThat(notifier.released).isEmpty();
        // expire = the record written again with endsAt = now
        state.put(Silences.silence("s8h", T0, T0.plus(Duration.ofMinutes(20)), "owner=payments"));
        o.tick(notifier);
        assertThat(notifier.released).containsExactly("d1");
    }

    @Test
    void anAcknowledgementCoversEveryStepUntilTheIncidentResolvesAndIsNotifiedOnce() throws Exception {
        OnCall o = oncall();
        Alert step1 = alert("e1", AlertStatus.FIRING, Severity.ERROR, "payments", "inc-e", 1, Duration.ZERO);
        assertThat(decide(o, step1)).isTrue();
        history(step1, 1);
        at(Duration.ofMinutes(5));
        state.put(Silences.ack("inc-e", "e1", T0.plus(Duration.ofMinutes(5))));
        o.tick(notifier);
        assertThat(notifier.acknowledged).containsExactly("inc-e notify e1");
        assertThat(Fixtures.string(ds, "SELECT acknowledged || '/' || acknowledged_by FROM alert_history WHERE alert_id = 'e1'")).isEqualTo("true/alice");

        // the escalation step of an acknowledged incident is not paged
        at(Duration.ofMinutes(10));
        Alert step2 = Alert.newBuilder(alert("e2", AlertStatus.FIRING, Severity.CRITICAL, "payments", "inc-e", 2, Duration.ofMinutes(10)))
                .setEscalatedFrom("e1").build();
        assertThat(o.decide(List.of(resolved(step1, AlertResolution.ESCALATED), step2))).containsExactly(true, false);
        history(step2, 2);
        assertThat(Fixtures.string(ds, "SELECT acknowledged || '/' || to_char(acknowledged_at AT TIME ZONE 'UTC', 'HH24:MI') FROM alert_history "
                + "WHERE alert_id = 'e2'")).isEqualTo("true/10:05");
        at(Duration.ofHours(3));
        o.tick(notifier);
        assertThat(notifier.escalated).as("acknowledged: no escalation").isEmpty();

        // a restart reads the acknowledgement again: nothing is sent twice
        state.put(Silences.ack("inc-e", "e1", T0.plus(Duration.ofMinutes(5))));
        oncall().tick(notifier);
        assertThat(notifier.acknowledged).containsExactly("inc-e notify e1", "inc-e quiet");

        // resolved (cleared): the incident is over; its next episode is not acknowledged
        assertThat(decide(o, resolved(step2, AlertResolution.CLEARED))).isTrue();
        at(Duration.ofHours(5));
        assertThat(decide(o, alert("e1", AlertStatus.FIRING, Severity.ERROR, "payments", "inc-e", 1, Duration.ofHours(5)))).isTrue();
    }

    @Test
    void aCriticalAlertEscalatesOnceAfterTheOwnersDelayUnlessResolvedFirst() throws Exception {
        OnCall o = oncall();
        Alert critical = alert("f1", AlertStatus.FIRING, Severity.CRITICAL, "payments", "inc-f1", 1, Duration.ZERO);
        Alert warning = alert("f2", AlertStatus.FIRING, Severity.WARNING, "payments", "inc-f2", 1, Duration.ZERO);
        Alert resolvedEarly = alert("f3", AlertStatus.FIRING, Severity.CRITICAL, "payments", "inc-f3", 1, Duration.ZERO);
        Alert unowned = alert("f4", AlertStatus.FIRING, Severity.CRITICAL, null, "inc-f4", 1, Duration.ZERO);
        Alert opsOwned = alert("f5", AlertStatus.FIRING, Severity.CRITICAL, "ops", "inc-f5", 1, Duration.ZERO);
        assertThat(o.decide(List.of(critical, warning, resolvedEarly, unowned, opsOwned))).containsOnly(true);
        at(Duration.ofMinutes(10));
        assertThat(decide(o, resolved(resolvedEarly, AlertResolution.CLEARED))).isTrue();

        at(Duration.ofMinutes(29).plusSeconds(59));
        o.tick(notifier);
        assertThat(notifier.escalated).isEmpty();

        at(Duration.ofMinutes(30));
        OnCall second = oncall(); // another sink instance on the same database
        CompletableFuture<Void> a = CompletableFuture.runAsync(() -> tickQuietly(o));
        CompletableFuture<Void> b = CompletableFuture.runAsync(() -> tickQuietly(second));
        CompletableFuture.allOf(a, b).join();
        assertThat(notifier.escalated).containsExactly("f1->platform/PT30M");

        // the unowned one and the one of a team without escalation: the default owner's (1h, inline contacts)
        at(Duration.ofHours(1));
        oncall().tick(notifier);
        o.tick(notifier);
        assertThat(notifier.escalated).containsExactlyInAnyOrder("f1->platform/PT30M", "f4->escalation-of-platform/PT1H",
                "f5->escalation-of-platform/PT1H");
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM escalations WHERE delivered_at IS NOT NULL")).isEqualTo(3);
        assertThat(Fixtures.count(ds, "SELECT count(*) FROM escalations WHERE incident_id IN ('inc-f2', 'inc-f3')")).isZero();
    }

    private void tickQuietly(OnCall o) {
        try {
            o.tick(notifier);
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    @Test
    void anEscalationClaimedButNotDeliveredBeforeACrashIsSentAgainAtStart() throws Exception {
        OnCall o = oncall();
        Alert critical = alert("g1", AlertStatus.FIRING, Severity.CRITICAL, "payments", "inc-g1", 1, Duration.ZERO);
        assertThat(decide(o, critical)).isTrue();
        at(Duration.ofMinutes(31));
        Recorder crashing = new Recorder() {
            @Override
            public boolean escalate(Alert alert, String targetName, Duration after, Runnable done) {
                escalated.add(alert.getAlertId());
                return true; // never done: the process died before the channels had it
            }
        };
        o.tick(crashing);
        assertThat(crashing.escalated).containsExactly("g1");
        OnCall restarted = oncall();
        restarted.tick(notifier);
        assertThat(notifier.escalated).as("claimed: a tick does not claim again").isEmpty();
        restarted.resumeUnfinished(notifier);
        assertThat(notifier.escalated).containsExactly("g1->platform/PT30M");
        oncall().resumeUnfinished(notifier);
        assertThat(notifier.escalated).hasSize(1);
    }

    @Test
    void onePollsDecisionsAreThoseOfTheSameAlertsDecidedOneAtATime() throws Exception {
        state.put(Silences.silence("s1", T0, T0.plus(Duration.ofHours(1)), "owner=payments"));
        state.put(Silences.ack("inc-k", "k1", T0.plus(Duration.ofMinutes(5))));
        Alert f1 = alert("f1", AlertStatus.FIRING, Severity.WARNING, "payments", "inc-f", 1, Duration.ofMinutes(1));
        Alert g1 = alert("g1", AlertStatus.FIRING, Severity.CRITICAL, "ops", "inc-g", 1, Duration.ofMinutes(1));
        Alert g1Again = alert("g1", AlertStatus.FIRING, Severity.CRITICAL, "ops", "inc-g", 1, Duration.ofMinutes(8));
        Alert k1 = alert("k1", AlertStatus.FIRING, Severity.ERROR, "ops", "inc-k", 1, Duration.ofMinutes(1));
        Alert h1 = alert("h1", AlertStatus.FIRING, Severity.CRITICAL, "ops", "inc-h", 1, Duration.ofMinutes(2));
        Alert h2 = alert("h2", AlertStatus.FIRING, Severity.WARNING, "ops", "inc-h", 2, Duration.ofMinutes(3));
        List<Alert> poll = List.of(f1, g1, g1, resolved(f1, AlertResolution.CLEARED), resolved(g1, AlertResolution.CLEARED), g1Again, k1, h1, h2,
                resolved(h1, AlertResolution.ESCALATED));
        at(Duration.ofMinutes(10));
        List<Boolean> batched = oncall().decide(poll);
        String notifications = "SELECT string_agg(row_to_json(n)::text, E'\\n' ORDER BY alert_id, status, fired_at) FROM alert_notifications n";
        String incidents = "SELECT string_agg(row_to_json(i)::text, E'\\n' ORDER BY incident_id) FROM oncall_incidents i";
        String batchedNotifications = Fixtures.string(ds, notifications);
        String batchedIncidents = Fixtures.string(ds, incidents);

        try (HikariDataSource single = SinkDatabase.dataSource(TestPostgres.freshDatabase(), "postgres", "postgres", 2)) {
            SinkDatabase.migrate(single);
            OnCall o = new OnCall(single, state, owners, clock);
            List<Boolean> oneByOne = new java.util.ArrayList<>();
            for (Alert a : poll) {
                oneByOne.add(o.decide(List.of(a)).get(0));
            }
            assertThat(batched).isEqualTo(oneByOne).containsExactly(false, true, true, false, true, true, false, true, true, true);
            assertThat(batchedNotifications).isEqualTo(Fixtures.string(single, notifications)).contains("RESOLVED_IN_SILENCE", "ACKNOWLEDGED");
            assertThat(batchedIncidents).isEqualTo(Fixtures.string(single, incidents));
        }
        assertThat(notificationState("f1", "FIRING")).isEqualTo("RESOLVED_IN_SILENCE/s1");
        assertThat(Fixtures.string(ds, "SELECT count(*) FROM alert_notifications WHERE alert_id = 'g1'")).isEqualTo("3");
        assertThat(Fixtures.string(ds, "SELECT coalesce(closed_at::text, 'open') FROM oncall_incidents WHERE incident_id = 'inc-g'"))
                .as("closed by the RESOLVED, opened again by the later FIRING").isEqualTo("open");
        assertThat(Fixtures.string(ds, "SELECT to_char(opened_at AT TIME ZONE 'UTC', 'HH24:MI') FROM oncall_incidents WHERE incident_id = 'inc-g'"))
                .isEqualTo("10:08");
    }
}
