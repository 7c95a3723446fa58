package dev.certflow.testkit;

import org.junit.jupiter.api.Test;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Tests that stamp rows with the JVM's clock and query them with PostgreSQL's {@code now()} rely on
 * both reading one clock. Under {@code .ci/clock-ahead} (which sets
 * {@code CLOCK_AHEAD_SECONDS} and the real start {@code CLOCK_AHEAD_REAL_START})
 * both must also read the moved clock, or that run proves nothing about next year.
 */
class ClockIntegrationTest {

    @Test
    void theJvmAndTheEmbeddedPostgresReadTheSameClock() throws Exception {
        Instant jvm = Instant.now();
        Instant db;
        try (Connection c = DriverManager.getConnection(TestPostgres.freshDatabase(), "postgres", "postgres");
             Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT now()")) {
            rs.next();
            db = rs.getObject(1, OffsetDateTime.class).toInstant();
        }
        assertThat(Duration.between(jvm, db).abs()).as("PostgreSQL now() %s vs the JVM's %s", db, jvm).isLessThan(Duration.ofMinutes(1));

        String ahead = System.getenv("CLOCK_AHEAD_SECONDS");
        String realStart = System.getenv("CLOCK_AHEAD_REAL_START");
        if (ahead != null && realStart != null) {
            // the real clock has moved on since the script started, by at most the length of the run
            Instant earliest = Instant.ofEpochSecond(Long.parseLong(realStart) + Long.parseLong(ahead)).minusSeconds(60);
            Instant latest = earliest.plus(Duration.ofHours(3));
            assertThat(jvm).as("the JVM's clock under clock-ahead (%s s ahead)", ahead).isBetween(earliest, latest);
            assertThat(db).as("PostgreSQL's now() under clock-ahead (%s s ahead)", ahead).isBetween(earliest, latest);
        }
    }
}
