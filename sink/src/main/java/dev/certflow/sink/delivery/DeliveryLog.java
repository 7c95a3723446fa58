package dev.certflow.sink.delivery;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Types;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Writes every delivery attempt to {@code delivery_attempts}. */
public final class DeliveryLog {
    /** Outcomes as stored (the table's CHECK constraint lists the same words). */
    public enum Outcome { DELIVERED, RETRYING, FAILED, DEAD_LETTERED }

    private final DataSource dataSource;

    public DeliveryLog(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public void record(String alertId, String alertStatus, String channel, String channelType, int attempt, Outcome outcome,
                       Integer httpStatus, String error, boolean resend, long durationMs, Instant at) throws SQLException {
        try (Connection c = dataSource.getConnection();
             PreparedStatement ps = c.prepareStatement("INSERT INTO delivery_attempts (alert_id, alert_status, channel, channel_type, attempt, "
                     + "outcome, http_status, error, resend, duration_ms, attempted_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
            ps.setString(1, alertId);
            ps.setString(2, alertStatus);
            ps.setString(3, channel);
            ps.setString(4, channelType);
            ps.setInt(5, attempt);
            ps.setString(6, outcome.name());
            if (httpStatus == null) {
                ps.setNull(7, Types.INTEGER);
            } else {
                ps.setInt(7, httpStatus);
            }
            ps.setString(8, error);
            ps.setBoolean(9, resend);
            ps.setLong(10, Math.max(0, durationMs));
            ps.setObject(11, OffsetDateTime.ofInstant(at, ZoneOffset.UTC));
            ps.executeUpdate();
        }
    }
}
