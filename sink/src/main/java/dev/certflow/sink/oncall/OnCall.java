package dev.certflow.sink.oncall;

import dev.certflow.events.Acknowledgement;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Severity;
import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.Jdbc;
import dev.certflow.sink.delivery.AlertFields;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Silences, acknowledgements and escalation, applied by the delivery and recorded in PostgreSQL
 * ({@code alert_notifications}, {@code oncall_incidents}, {@code escalations}) before anything is
 * sent, so a restart (or another sink instance) neither notifies twice nor forgets what it held.
 *
 * <ul>
 *   <li>A FIRING that an active silence matches is held (SILENCED) and not notified; its RESOLVED,
 *       while it is still held, is not notified either (it fired and resolved inside the silence).
 *       When no active silence matches it any more (ended, expired, changed), it is released once:
 *       the guarded update SILENCED to RELEASING is the claim, RELEASED once every channel has it.</li>
 *   <li>An acknowledgement holds for its incident (every step) from the incident's opening until it
 *       resolves (a RESOLVED that is not an escalation closes it). Acknowledged FIRINGs are not
 *       notified; RESOLVED ones are (PagerDuty resolves, Alertmanager ends the alert). Applying an
 *       acknowledgement is claimed on the incident row, so PagerDuty's acknowledge event goes once.</li>
 *   <li>A notified CRITICAL FIRING gets {@code escalate_at} = fired (or released) + the owner's
 *       {@code escalation.after} (the default owner's when the owner has none); an acknowledgement or
 *       a resolve clears it. When it is due, the row in {@code escalations} (unique incident and step,
 *       INSERT ... ON CONFLICT DO NOTHING, same transaction as clearing escalate_at) is the claim.</li>
 * </ul>
 * Time comes from the injected clock.
 */
public final class OnCall {
    private static final Logger LOG = LoggerFactory.getLogger(OnCall.class);
    private static final int MAX_PER_TICK = 500;

    private final DataSource dataSource;
    private final OnCallState feed;
    private final OwnersConfig owners;
    private final Clock clock;

    public OnCall(DataSource dataSource, OnCallState feed, OwnersConfig owners, Clock clock) {
        this.dataSource = dataSource;
        this.feed = feed;
        this.owners = owners == null ? new OwnersConfig() : owners;
        this.clock = clock;
    }

    /** An escalation policy: after how long, and to whom. */
    public record Escalation(Duration after, String targetName, OwnersConfig.Contacts target) {
    }

    /** The escalation for alerts of {@code owner} (null = unowned: the default owner's); null when there is none. */
    public Escalation escalationFor(String owner) {
        OwnersConfig.Team team = owners.team(owner != null ? owner : owners.defaultOwner);
        OwnersConfig.Escalation e = team != null && team.escalation != null ? team.escalation : null;
        if (e == null) {
            OwnersConfig.Team d = owners.team(owners.defaultOwner);
            e = d == null ? null : d.escalation;
        }
        if (e == null) {
            return null;
        }
        if (e.to != null) {
            OwnersConfig.Team to = owners.team(e.to);
            return to == null ? null : new Escalation(e.after, to.name, to);
        }
        return new Escalation(e.after, "escalation-of-" + (team != null && team.escalation != null ? team.name : owners.defaultOwner), e);
    }

    /**
     * Decides, records and returns for each alert whether the channels notify it, in one transaction
     * (a transition decided before, say before a crash, keeps its decision). The poll's earlier
     * decisions are read in one query and its FIRING rows written in batches, so a burst of alerts
     * costs a few round trips rather than four per alert.
     */
    public List<Boolean> decide(List<Alert> alerts) throws SQLException {
        Instant now = clock.instant();
        return Jdbc.transaction(dataSource, c -> {
            Decisions d = new Decisions(c, alerts);
            List<Boolean> out = new ArrayList<>(alerts.size());
            for (Alert a : alerts) {
                out.add(decide(d, a, now));
            }
            d.flush();
            return out;
        });
    }

    private boolean decide(Decisions d, Alert a, Instant now) throws SQLException {
        Connection c = d.connection;
        String existing = d.state(a.getAlertId(), a.getStatus().name(), a.getFiredAt());
        if (existing != null) {
            return existing.equals("NOTIFIED"); // a redelivery: the same decision (released ones went out by the release)
        }
        String incident = AlertFields.incidentId(a);
        if (a.getStatus() == AlertStatus.FIRING) {
            Acknowledgement ack = null;
            if (feed.acknowledgement(incident) == null) {
                d.openIncident(incident, a.getFiredAt()); // when it opened matters only to an acknowledgement
            } else {
                d.flush();
                ack = ackFor(incident, openIncident(c, incident, a.getFiredAt()));
            }
            SilenceRules silence = silencing(a, now);
            String state = silence != null ? "SILENCED" : ack != null ? "ACKNOWLEDGED" : "NOTIFIED";
            Instant escalateAt = state.equals("NOTIFIED") ? escalateAt(a, a.getFiredAt()) : null;
            d.insert(a, state, silence == null ? null : silence.id(), ack, escalateAt, now);
            if (silence != null) {
                LOG.info("Alert {} silenced by {}", a.getAlertId(), silence.id());
            }
            return state.equals("NOTIFIED");
        }
        // RESOLVED: rarer, and it updates rows this poll may have queued: those are written first
        d.flush();
        String firingState = d.state(a.getAlertId(), "FIRING", a.getFiredAt());
        String silencedBy = null;
        String state = "NOTIFIED";
        if ("SILENCED".equals(firingState)) {
            silencedBy = d.silencedBy(a.getAlertId(), a.getFiredAt());
            state = "RESOLVED_IN_SILENCE";
            try (PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications SET state = 'RESOLVED_IN_SILENCE', escalate_at = NULL "
                    + "WHERE alert_id = ? AND status = 'FIRING' AND fired_at = ?")) {
                ps.setString(1, a.getAlertId());
                ps.setObject(2, ts(a.getFiredAt()));
                ps.executeUpdate();
            }
            d.known(a.getAlertId(), "FIRING", a.getFiredAt(), "RESOLVED_IN_SILENCE", silencedBy);
        }
        Acknowledgement ack = ackFor(incident, openedAt(c, incident));
        d.insert(a, state, silencedBy, ack, null, now);
        d.flush();
        try (PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications SET escalate_at = NULL "
                + "WHERE alert_id = ? AND status = 'FIRING' AND fired_at = ? AND escalate_at IS NOT NULL")) {
            ps.setString(1, a.getAlertId());
            ps.setObject(2, ts(a.getFiredAt()));
            ps.executeUpdate(); // a resolve before the escalation cancels it
        }
        if (!AlertFields.isEscalatedAway(a)) {
            try (PreparedStatement ps = c.prepareStatement("UPDATE oncall_incidents SET closed_at = ? WHERE incident_id = ? AND closed_at IS NULL")) {
                ps.setObject(1, ts(now));
                ps.setString(2, incident);
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications SET escalate_at = NULL WHERE incident_id = ? AND escalate_at IS NOT NULL")) {
                ps.setString(1, incident);
                ps.executeUpdate();
            }
        }
        return state.equals("NOTIFIED");
    }

    /**
     * One poll's decisions within its transaction: the decisions already recorded for its alerts
     * (read once), those made so far in this poll, and the incident openings and notification rows
     * not yet written. {@link #flush} writes those in order (incidents first) and runs before any
     * statement that reads or updates them.
     */
    private static final class Decisions {
        private record Key(String alertId, String status, Instant firedAt) {
        }

        private record Known(String state, String silencedBy) {
        }

        private record Opening(String incident, Instant firedAt) {
        }

        private record Row(Alert alert, String state, String silencedBy, Acknowledgement ack, Instant escalateAt, Instant now) {
        }

        final Connection connection;
        private final Map<Key, Known> known = new HashMap<>();
        // one per incident: a later opening of an incident already open in this batch changes nothing, and a
        // batched INSERT ... ON CONFLICT DO UPDATE must not name one row twice
        private final Map<String, Opening> openings = new LinkedHashMap<>();
        private final List<Row> rows = new ArrayList<>();

        Decisions(Connection c, List<Alert> alerts) throws SQLException {
            this.connection = c;
            String[] ids = alerts.stream().map(Alert::getAlertId).distinct().toArray(String[]::new);
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT alert_id, status, fired_at, state, silenced_by FROM alert_notifications WHERE alert_id = ANY (?)")) {
                ps.setArray(1, c.createArrayOf("text", ids));
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        known(rs.getString(1), rs.getString(2), rs.getObject(3, OffsetDateTime.class).toInstant(), rs.getString(4), rs.getString(5));
                    }
                }
            }
        }

        void known(String alertId, String status, Instant firedAt, String state, String silencedBy) {
            known.put(new Key(alertId, status, firedAt), new Known(state, silencedBy));
        }

        String state(String alertId, String status, Instant firedAt) {
            Known k = known.get(new Key(alertId, status, firedAt));
            return k == null ? null : k.state();
        }

        String silencedBy(String alertId, Instant firedAt) {
            Known k = known.get(new Key(alertId, "FIRING", firedAt));
            return k == null ? null : k.silencedBy();
        }

        void openIncident(String incident, Instant firedAt) {
            openings.putIfAbsent(incident, new Opening(incident, firedAt));
        }

        void insert(Alert a, String state, String silencedBy, Acknowledgement ack, Instant escalateAt, Instant now) {
            rows.add(new Row(a, state, silencedBy, ack, escalateAt, now));
            known(a.getAlertId(), a.getStatus().name(), a.getFiredAt(), state, silencedBy);
        }

        void flush() throws SQLException {
            if (!openings.isEmpty()) {
                try (PreparedStatement ps = connection.prepareStatement(OPEN_INCIDENT)) {
                    for (Opening o : openings.values()) {
                        ps.setString(1, o.incident());
                        ps.setObject(2, ts(o.firedAt()));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                openings.clear();
            }
            if (!rows.isEmpty()) {
                try (PreparedStatement ps = connection.prepareStatement(INSERT_NOTIFICATION)) {
                    for (Row r : rows) {
                        bind(ps, r.alert(), r.state(), r.silencedBy(), r.ack(), r.escalateAt(), r.now());
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                rows.clear();
            }
        }
    }

    /** The active silence matching the alert (the one ending last), or null. */
    SilenceRules silencing(Alert a, Instant now) {
        return feed.silences().stream().filter(s -> s.activeAt(now) && s.matches(a))
                .max(Comparator.comparing((SilenceRules s) -> s.silence().getEndsAt()).thenComparing(SilenceRules::id)).orElse(null);
    }

    private Acknowledgement ackFor(String incident, Instant openedAt) {
        Acknowledgement ack = feed.acknowledgement(incident);
        return ack != null && openedAt != null && !ack.getAcknowledgedAt().isBefore(openedAt) ? ack : null;
    }

    private Instant escalateAt(Alert a, Instant from) {
        if (a.getSeverity() != Severity.CRITICAL || a.getStatus() != AlertStatus.FIRING) {
            return null;
        }
        Escalation e = escalationFor(a.getOwner());
        return e == null ? null : from.plus(e.after());
    }

    private static final String OPEN_INCIDENT = "INSERT INTO oncall_incidents (incident_id, opened_at) VALUES (?, ?) "
            + "ON CONFLICT (incident_id) DO UPDATE SET opened_at = EXCLUDED.opened_at, closed_at = NULL, acknowledged_by = NULL, "
            + "acknowledged_at = NULL, ack_notified_at = NULL WHERE oncall_incidents.closed_at IS NOT NULL";

    /** Opens the incident (again, once closed) at {@code firedAt}; returns when the open episode began. */
    private static Instant openIncident(Connection c, String incident, Instant firedAt) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(OPEN_INCIDENT)) {
            ps.setString(1, incident);
            ps.setObject(2, ts(firedAt));
            ps.executeUpdate();
        }
        return openedAt(c, incident);
    }

    private static Instant openedAt(Connection c, String incident) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT opened_at FROM oncall_incidents WHERE incident_id = ?")) {
            ps.setString(1, incident);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getObject(1, OffsetDateTime.class).toInstant() : null;
            }
        }
    }

    private static final String INSERT_NOTIFICATION = "INSERT INTO alert_notifications (alert_id, status, fired_at, incident_id, incident_step, "
            + "severity, owner, state, silenced_by, acknowledged, acknowledged_by, acknowledged_at, escalate_at, alert, decided_at) "
            + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";

    private static void bind(PreparedStatement ps, Alert a, String state, String silencedBy, Acknowledgement ack, Instant escalateAt, Instant now)
            throws SQLException {
        int i = 1;
        ps.setString(i++, a.getAlertId());
        ps.setString(i++, a.getStatus().name());
        ps.setObject(i++, ts(a.getFiredAt()));
        ps.setString(i++, AlertFields.incidentId(a));
        ps.setInt(i++, Math.max(1, a.getIncidentStep()));
        ps.setString(i++, a.getSeverity().name());
        ps.setString(i++, a.getOwner());
        ps.setString(i++, state);
        ps.setString(i++, silencedBy);
        ps.setBoolean(i++, ack != null);
        ps.setString(i++, ack == null ? null : ack.getAcknowledgedBy());
        ps.setObject(i++, ack == null ? null : ts(ack.getAcknowledgedAt()));
        ps.setObject(i++, ts(escalateAt));
        ps.setBytes(i++, a.getStatus() == AlertStatus.FIRING ? encode(a) : null);
        ps.setObject(i, ts(now));
    }

    /**
     * The work that runs on time and on the feed: acknowledgements read since the last tick, held
     * alerts whose silences no longer hold, escalations that are due. Each step claims in PostgreSQL
     * before it asks the notifier to send.
     */
    public void tick(Notifier notifier) throws SQLException {
        Instant now = clock.instant();
        for (Acknowledgement ack : feed.drainNewAcknowledgements()) {
            applyAcknowledgement(ack, notifier);
        }
        releaseHeld(now, notifier);
        escalateDue(now, notifier);
    }

    private record Applied(boolean claimed, Alert latest) {
    }

    private void applyAcknowledgement(Acknowledgement ack, Notifier notifier) throws SQLException {
        Applied applied = Jdbc.transaction(dataSource, c -> {
            try (PreparedStatement ps = c.prepareStatement("UPDATE oncall_incidents SET acknowledged_by = ?, acknowledged_at = ?, "
                    + "ack_notified_at = ? WHERE incident_id = ? AND closed_at IS NULL AND opened_at <= ? AND acknowledged_at IS NULL")) {
                ps.setString(1, ack.getAcknowledgedBy());
                ps.setObject(2, ts(ack.getAcknowledgedAt()));
                ps.setObject(3, ts(clock.instant()));
                ps.setString(4, ack.getIncidentId());
                ps.setObject(5, ts(ack.getAcknowledgedAt()));
                if (ps.executeUpdate() != 1) {
                    return new Applied(false, null); // not open, not yet seen, or applied before (a restart re-reading the topic)
                }
            }
            try (PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications n SET acknowledged = true, acknowledged_by = ?, "
                    + "acknowledged_at = ?, escalate_at = NULL FROM oncall_incidents i WHERE i.incident_id = n.incident_id "
                    + "AND n.incident_id = ? AND n.fired_at >= i.opened_at")) {
                ps.setString(1, ack.getAcknowledgedBy());
                ps.setObject(2, ts(ack.getAcknowledgedAt()));
                ps.setString(3, ack.getIncidentId());
                ps.executeUpdate();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT alert FROM alert_notifications WHERE incident_id = ? AND status = 'FIRING' "
                    + "AND state IN ('NOTIFIED', 'RELEASING', 'RELEASED') AND alert IS NOT NULL ORDER BY incident_step DESC, fired_at DESC LIMIT 1")) {
                ps.setString(1, ack.getIncidentId());
                try (ResultSet rs = ps.executeQuery()) {
                    return new Applied(true, rs.next() ? decode(rs.getBytes(1)) : null);
                }
            }
        });
        if (applied.claimed()) {
            LOG.info("Incident {} acknowledged (alert {})", ack.getIncidentId(), ack.getAlertId());
        }
        notifier.acknowledged(ack.getIncidentId(), applied.latest(), applied.claimed() && applied.latest() != null);
    }

    private record Held(String alertId, Instant firedAt, String silencedBy, Alert alert) {
    }

    private void releaseHeld(Instant now, Notifier notifier) throws SQLException {
        List<Held> held = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "SELECT alert_id, fired_at, silenced_by, alert FROM alert_notifications WHERE state = 'SILENCED' AND status = 'FIRING' LIMIT " + MAX_PER_TICK)) {
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    held.add(new Held(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getString(3), decode(rs.getBytes(4))));
                }
            }
        }
        for (Held h : held) {
            SilenceRules still = silencing(h.alert(), now);
            if (still != null) {
                if (!still.id().equals(h.silencedBy())) {
                    update(h, "SILENCED", still.id(), null, "SILENCED"); // an overlapping silence holds it on
                }
                continue;
            }
            String incident = AlertFields.incidentId(h.alert());
            Acknowledgement ack;
            try (Connection c = dataSource.getConnection()) {
                ack = ackFor(incident, openedAt(c, incident));
            }
            if (ack != null) {
                update(h, "ACKNOWLEDGED", h.silencedBy(), null, "SILENCED"); // someone is on it: nothing to tell
                continue;
            }
            if (update(h, "RELEASING", h.silencedBy(), escalateAt(h.alert(), now), "SILENCED")) {
                LOG.info("Alert {} released: silence {} no longer holds it", h.alertId(), h.silencedBy());
                notifier.release(h.alert(), () -> markReleased(h));
            }
        }
    }

    /** Moves a held row from {@code from} to {@code to}; true when this call made the change (the claim). */
    private boolean update(Held h, String to, String silencedBy, Instant escalateAt, String from) throws SQLException {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications SET state = ?, "
                + "silenced_by = ?, escalate_at = ? WHERE alert_id = ? AND status = 'FIRING' AND fired_at = ? AND state = ?")) {
            ps.setString(1, to);
            ps.setString(2, silencedBy);
            ps.setObject(3, ts(escalateAt));
            ps.setString(4, h.alertId());
            ps.setObject(5, ts(h.firedAt()));
            ps.setString(6, from);
            return ps.executeUpdate() == 1;
        }
    }

    private void markReleased(Held h) {
        try {
            update(h, "RELEASED", h.silencedBy(), null, "RELEASING");
        } catch (SQLException e) {
            LOG.warn("Cannot record the release of alert {} ({}); it is sent again after a restart", h.alertId(), e.getClass().getSimpleName());
        }
    }

    private void escalateDue(Instant now, Notifier notifier) throws SQLException {
        record Due(String alertId, Instant firedAt, String incident, int step, String owner, Alert alert) {
        }
        List<Due> due = new ArrayList<>();
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("SELECT alert_id, fired_at, incident_id, incident_step, "
                + "owner, alert FROM alert_notifications WHERE escalate_at <= ? AND status = 'FIRING' ORDER BY escalate_at LIMIT " + MAX_PER_TICK)) {
            ps.setObject(1, ts(now));
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    due.add(new Due(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getString(3), rs.getInt(4),
                            rs.getString(5), decode(rs.getBytes(6))));
                }
            }
        }
        for (Due d : due) {
            Escalation e = escalationFor(d.owner());
            boolean claimed = Jdbc.transaction(dataSource, c -> {
                try (PreparedStatement ps = c.prepareStatement("UPDATE alert_notifications SET escalate_at = NULL "
                        + "WHERE alert_id = ? AND status = 'FIRING' AND fired_at = ? AND escalate_at IS NOT NULL")) {
                    ps.setString(1, d.alertId());
                    ps.setObject(2, ts(d.firedAt()));
                    if (ps.executeUpdate() == 0) {
                        return false; // another instance cleared it, or it was acknowledged or resolved meanwhile
                    }
                }
                if (e == null || ackFor(d.incident(), openedAt(c, d.incident())) != null) {
                    return false;
                }
                try (PreparedStatement ps = c.prepareStatement("INSERT INTO escalations (incident_id, incident_step, alert_id, owner, target, "
                        + "claimed_at) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (incident_id, incident_step) DO NOTHING")) {
                    ps.setString(1, d.incident());
                    ps.setInt(2, d.step());
                    ps.setString(3, d.alertId());
                    ps.setString(4, d.owner());
                    ps.setString(5, e.targetName());
                    ps.setObject(6, ts(now));
                    return ps.executeUpdate() == 1;
                }
            });
            if (claimed) {
                LOG.info("Incident {} step {} escalates to {}: not acknowledged within {}", d.incident(), d.step(), e.targetName(), e.after());
                sendEscalation(d.incident(), d.step(), d.alert(), e, notifier);
            }
        }
    }

    private void sendEscalation(String incident, int step, Alert alert, Escalation e, Notifier notifier) {
        boolean any = notifier.escalate(alert, e.targetName(), e.after(), () -> markEscalated(incident, step));
        if (!any) {
            LOG.warn("Escalation target {} of incident {} has no channel (no pagerDutyRoutingKey, slackWebhook or webhook)", e.targetName(), incident);
            markEscalated(incident, step);
        }
    }

    private void markEscalated(String incident, int step) {
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(
                "UPDATE escalations SET delivered_at = ? WHERE incident_id = ? AND incident_step = ?")) {
            ps.setObject(1, ts(clock.instant()));
            ps.setString(2, incident);
            ps.setInt(3, step);
            ps.executeUpdate();
        } catch (SQLException e) {
            LOG.warn("Cannot record the escalation of incident {} ({})", incident, e.getClass().getSimpleName());
        }
    }

    /**
     * After a restart: what was claimed but not finished (released alerts not yet RELEASED,
     * escalations without delivered_at) is sent again; the receivers dedupe by their keys.
     */
    public void resumeUnfinished(Notifier notifier) throws SQLException {
        List<Held> releasing = new ArrayList<>();
        record Esc(String incident, int step, String owner, Alert alert) {
        }
        List<Esc> escalating = new ArrayList<>();
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT alert_id, fired_at, silenced_by, alert FROM alert_notifications WHERE state = 'RELEASING'");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    releasing.add(new Held(rs.getString(1), rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getString(3), decode(rs.getBytes(4))));
                }
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT DISTINCT ON (e.incident_id, e.incident_step) e.incident_id, e.incident_step, e.owner, n.alert "
                    + "FROM escalations e JOIN alert_notifications n ON n.alert_id = e.alert_id AND n.status = 'FIRING' AND n.incident_id = e.incident_id "
                    + "WHERE e.delivered_at IS NULL AND n.alert IS NOT NULL ORDER BY e.incident_id, e.incident_step, n.fired_at DESC");
                 ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    escalating.add(new Esc(rs.getString(1), rs.getInt(2), rs.getString(3), decode(rs.getBytes(4))));
                }
            }
        }
        for (Held h : releasing) {
            notifier.release(h.alert(), () -> markReleased(h));
        }
        for (Esc e : escalating) {
            Escalation policy = escalationFor(e.owner());
            if (policy != null) {
                sendEscalation(e.incident(), e.step(), e.alert(), policy, notifier);
            }
        }
        if (!releasing.isEmpty() || !escalating.isEmpty()) {
            LOG.info("Resumed {} releases and {} escalations claimed before the restart", releasing.size(), escalating.size());
        }
    }

    static byte[] encode(Alert a) {
        try {
            ByteBuffer b = a.toByteBuffer();
            byte[] out = new byte[b.remaining()];
            b.get(out);
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode alert " + a.getAlertId(), e);
        }
    }

    static Alert decode(byte[] bytes) {
        try {
            return Alert.fromByteBuffer(ByteBuffer.wrap(bytes));
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode a stored alert", e);
        }
    }

    private static OffsetDateTime ts(Instant i) {
        return i == null ? null : OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }
}
