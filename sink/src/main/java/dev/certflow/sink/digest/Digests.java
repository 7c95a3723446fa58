package dev.certflow.sink.digest;

import dev.certflow.runtime.owners.OwnersConfig;
import dev.certflow.sink.Jdbc;
import dev.certflow.sink.SinkConfig;
import dev.certflow.sink.delivery.Channel;
import dev.certflow.sink.delivery.ChannelConfig;
import dev.certflow.sink.delivery.HttpChannel;
import dev.certflow.sink.delivery.OwnerChannels;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;
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
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Sends each owner one digest per period, exactly once: when a team's period starts (its
 * {@link DigestSchedule}), the digest is computed from the views and claimed in PostgreSQL
 * ({@code digests}, id = {@link DigestReport#id}(owner, period start), INSERT ... ON CONFLICT DO
 * NOTHING) together with one {@code digest_deliveries} row per channel (e-mail, Slack, webhook), so
 * a restart or a second sink instance never computes or claims it again. Each delivery row is then
 * claimed per attempt (attempts + 1 and a lease on next_attempt_at) and marked delivered; one that
 * failed is retried with backoff up to {@code sink.maxAttempts}. What a crash interrupts after the
 * send and before the mark is sent again with the same Idempotency-Key / Message-ID. Nothing to
 * report: claimed as skipped, sent nowhere, unless the team's {@code digest.sendEmpty}.
 */
public final class Digests implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Digests.class);

    private record Team(OwnersConfig.Team team, DigestSchedule schedule, boolean isDefault, Map<String, HttpChannel> http) {
    }

    private final SinkConfig config;
    private final DataSource dataSource;
    private final Clock clock;
    private final MailSender mail;
    private final Map<String, Team> teams = new LinkedHashMap<>();
    private final Map<String, Instant> handled = new HashMap<>();
    private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "sink-digests");
        t.setDaemon(true);
        return t;
    });

    public Digests(SinkConfig config, DataSource dataSource, Clock clock) {
        this.config = config;
        this.dataSource = dataSource;
        this.clock = clock;
        this.mail = config.smtp.host == null ? null : new MailSender(config.smtp);
        OwnersConfig owners = config.owners();
        for (int i = 0; i < owners.teams.size(); i++) {
            OwnersConfig.Team t = owners.teams.get(i);
            if (t.digest == null || !t.digest.enabled) {
                continue;
            }
            String key = "owners.teams[" + i + "].";
            Map<String, HttpChannel> http = new LinkedHashMap<>();
            OwnersConfig.Contacts contacts = new OwnersConfig.Contacts();
            contacts.slackWebhook = t.slackWebhook;
            contacts.webhook = t.webhook;
            for (ChannelConfig cc : OwnerChannels.contacts("digest-" + t.name, contacts, key, config)) {
                http.put(cc.type().id(), new HttpChannel(cc, config));
            }
            if (mail == null && t.email != null && !t.email.isEmpty()) {
                LOG.warn("Team {} has e-mail addresses but sink.smtp.host is not set: its digests are not mailed", t.name);
            }
            teams.put(t.name, new Team(t, DigestSchedule.of(t, key), t.name.equals(owners.defaultOwner), http));
        }
    }

    /** Whether any team gets digests. */
    public boolean isEmpty() {
        return teams.isEmpty();
    }

    public Digests start() {
        long every = config.pollTimeout.toMillis();
        timer.scheduleWithFixedDelay(this::runSafely, 0, every, TimeUnit.MILLISECONDS);
        return this;
    }

    private void runSafely() {
        try {
            runOnce();
        } catch (SQLException | RuntimeException e) {
            LOG.warn("Digests not checked this round ({}); retrying", e.getClass().getSimpleName());
        }
    }

    /** Claims every digest whose period has started and sends what is pending (the timer calls it; tests too). */
    public synchronized void runOnce() throws SQLException {
        Instant now = clock.instant();
        for (Team t : teams.values()) {
            Instant start = t.schedule().periodStart(now);
            if (!start.equals(handled.get(t.team().name))) {
                claim(t, start, now);
                handled.put(t.team().name, start);
            }
        }
        sendPending(now);
    }

    private List<String> channels(Team t) {
        List<String> out = new ArrayList<>();
        if (mail != null && t.team().email != null && !t.team().email.isEmpty()) {
            out.add("email");
        }
        out.addAll(t.http().keySet());
        return out;
    }

    private void claim(Team t, Instant start, Instant now) throws SQLException {
        String owner = t.team().name;
        String id = DigestReport.id(owner, start);
        try (Connection c = dataSource.getConnection()) {
            try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM digests WHERE digest_id = ?")) {
                ps.setString(1, id);
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next()) {
                        return; // claimed before (a restart, another instance)
                    }
                }
            }
            Instant since = t.schedule().previous(start);
            try (PreparedStatement ps = c.prepareStatement("SELECT max(period_start) FROM digests WHERE owner = ? AND period_start < ?")) {
                ps.setString(1, owner);
                ps.setObject(2, ts(start));
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && rs.getObject(1) != null) {
                        since = rs.getObject(1, OffsetDateTime.class).toInstant(); // since the last digest, however long ago
                    }
                }
            }
            DigestReport report = DigestReport.compute(c, owner, t.isDefault(), start, since, t.team().digest.horizon, t.schedule().zone());
            boolean skipped = report.total() == 0 && !t.team().digest.sendEmpty;
            List<String> channels = skipped ? List.of() : channels(t);
            Instant from = since;
            boolean claimed = Jdbc.transaction(c, tx -> {
                try (PreparedStatement ps = tx.prepareStatement("INSERT INTO digests (digest_id, owner, period_start, since, items, skipped, subject, "
                        + "text_body, json_body, claimed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING")) {
                    ps.setString(1, id);
                    ps.setString(2, owner);
                    ps.setObject(3, ts(start));
                    ps.setObject(4, ts(from));
                    ps.setInt(5, report.total());
                    ps.setBoolean(6, skipped);
                    ps.setString(7, report.subject());
                    ps.setString(8, report.text());
                    ps.setString(9, report.json());
                    ps.setObject(10, ts(now));
                    if (ps.executeUpdate() != 1) {
                        return false; // another instance claimed it meanwhile
                    }
                }
                try (PreparedStatement ps = tx.prepareStatement("INSERT INTO digest_deliveries (digest_id, channel, next_attempt_at) VALUES (?, ?, ?)")) {
                    for (String ch : channels) {
                        ps.setString(1, id);
                        ps.setString(2, ch);
                        ps.setObject(3, ts(now));
                        ps.addBatch();
                    }
                    ps.executeBatch();
                }
                return true;
            });
            if (claimed) {
                LOG.info("Digest {} for {} (period from {}): {} items, {}", id, owner, start, report.total(),
                        skipped ? "nothing to report, not sent" : channels.isEmpty() ? "no channel" : "to " + String.join(", ", channels));
            }
        }
    }

    private record Pending(String digestId, String channel, int attempts, String owner, String subject, String text, String json,
                           Instant periodStart) {
    }

    private void sendPending(Instant now) throws SQLException {
        List<Pending> pending = new ArrayList<>();
        Duration lease = config.requestTimeout.plus(config.smtp.timeout).multipliedBy(2);
        try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement("UPDATE digest_deliveries d "
                + "SET attempts = d.attempts + 1, next_attempt_at = ? FROM digests g WHERE g.digest_id = d.digest_id "
                + "AND d.delivered_at IS NULL AND d.next_attempt_at <= ? AND d.attempts < ? "
                + "RETURNING d.digest_id, d.channel, d.attempts, g.owner, g.subject, g.text_body, g.json_body, g.period_start")) {
            ps.setObject(1, ts(now.plus(lease))); // the claim of this attempt: no other instance takes it meanwhile
            ps.setObject(2, ts(now));
            ps.setInt(3, config.maxAttempts);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    pending.add(new Pending(rs.getString(1), rs.getString(2), rs.getInt(3), rs.getString(4), rs.getString(5), rs.getString(6),
                            rs.getString(7), rs.getObject(8, OffsetDateTime.class).toInstant()));
                }
            }
        }
        for (Pending p : pending) {
            Team t = teams.get(p.owner());
            String error = t == null ? "team " + p.owner() + " is no longer configured" : send(t, p);
            try (Connection c = dataSource.getConnection(); PreparedStatement ps = c.prepareStatement(error == null
                    ? "UPDATE digest_deliveries SET delivered_at = ?, error = NULL WHERE digest_id = ? AND channel = ?"
                    : "UPDATE digest_deliveries SET next_attempt_at = ?, error = ? WHERE digest_id = ? AND channel = ?")) {
                int i = 1;
                if (error == null) {
                    ps.setObject(i++, ts(clock.instant()));
                } else {
                    ps.setObject(i++, ts(clock.instant().plus(backoff(p.attempts()))));
                    ps.setString(i++, error);
                }
                ps.setString(i++, p.digestId());
                ps.setString(i, p.channel());
                ps.executeUpdate();
            }
            if (error == null) {
                LOG.info("Digest {} for {} delivered by {}", p.digestId(), p.owner(), p.channel());
            } else {
                LOG.warn("Digest {} for {}: {} attempt {}/{} failed ({})", p.digestId(), p.owner(), p.channel(), p.attempts(), config.maxAttempts, error);
            }
        }
    }

    /** Sends one digest on one channel; null when delivered, else why not (never a secret). */
    private String send(Team t, Pending p) {
        if (p.channel().equals("email")) {
            if (mail == null) {
                return "sink.smtp.host is not set";
            }
            return mail.send(t.team().email, p.subject(), p.text(), p.digestId(), p.periodStart());
        }
        HttpChannel ch = t.http().get(p.channel());
        if (ch == null) {
            return "the team has no " + p.channel() + " any more";
        }
        Channel.Attempt a = ch.sendDocument(DigestReport.slack(p.subject(), p.text()), p.json(), p.digestId());
        return a.delivered() ? null : a.error() == null || a.error().isBlank() ? "failed" : a.error();
    }

    private Duration backoff(int attempts) {
        long ms = config.initialBackoff.toMillis() * (1L << Math.min(attempts - 1, 20));
        return Duration.ofMillis(Math.min(ms, config.maxBackoff.toMillis()));
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    @Override
    public void close() {
        timer.shutdownNow();
        try {
            timer.awaitTermination(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        teams.values().forEach(t -> t.http().values().forEach(HttpChannel::close));
    }
}
