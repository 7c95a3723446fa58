package dev.certflow.testkit;

import dev.certflow.embedded.postgres.EmbeddedPostgresServer;

import java.util.UUID;

/**
 * One real PostgreSQL (embedded, zonky's PostgreSQL 17 binaries) shared by every test in a JVM.
 * Each test takes a fresh database.
 */
public final class TestPostgres {
    private static EmbeddedPostgresServer server;

    private TestPostgres() {
    }

    public static synchronized EmbeddedPostgresServer server() {
        if (server == null) {
            server = EmbeddedPostgresServer.start();
            Runtime.getRuntime().addShutdownHook(new Thread(server::close, "embedded-postgres-stop"));
        }
        return server;
    }

    /** A new, empty database; returns its JDBC URL (user and password: {@code postgres}). */
    public static String freshDatabase() {
        return server().createDatabase("t_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12));
    }
}
