package dev.certflow.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.postgres.EmbeddedPostgresServer;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;

/**
 * The views database: a pooled connection to the configured PostgreSQL (or an embedded one for
 * {@code jdbcUrl: embedded}, which only {@code certflow local} sets), migrated with Flyway before
 * anything reads or writes it.
 */
public final class SinkDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkDatabase.class);

    private final HikariDataSource dataSource;
    private final EmbeddedPostgresServer embedded;
    private final String jdbcUrl;

    private SinkDatabase(HikariDataSource dataSource, EmbeddedPostgresServer embedded, String jdbcUrl) {
        this.dataSource = dataSource;
        this.embedded = embedded;
        this.jdbcUrl = jdbcUrl;
    }

    /**
     * Connects (starting an embedded PostgreSQL for {@link SinkConfig#EMBEDDED}) and migrates.
     *
     * @throws ConfigException without a JDBC URL, before anything starts
     */
    public static SinkDatabase open(SinkConfig config) {
        EmbeddedPostgresServer embedded = null;
        String url = config.jdbcUrl;
        String user = config.user;
        String password = config.password == null ? null : config.password.reveal();
        if (url == null || url.isBlank()) {
            config.requireDatabase("sink.", null);
        }
        if (SinkConfig.EMBEDDED.equals(url)) {
            embedded = EmbeddedPostgresServer.start(config.embeddedPostgresPort);
            url = embedded.jdbcUrl("postgres");
            user = EmbeddedPostgresServer.USER;
            password = EmbeddedPostgresServer.PASSWORD;
            // printed on purpose: analysts need these to psql in (no secret: the embedded server's fixed credentials)
            System.out.println("certflow sink: embedded PostgreSQL at " + url + " (user " + user + ", password " + password + ")");
            System.out.println("certflow sink: connect with: " + embedded.psqlCommand("postgres"));
        }
        try {
            HikariDataSource ds = dataSource(url, user, password, config.poolSize);
            migrate(ds);
            return new SinkDatabase(ds, embedded, url);
        } catch (RuntimeException e) {
            if (embedded != null) {
                embedded.close();
            }
            throw e;
        }
    }

    /** A pool on the given database; batched inserts are rewritten into multi-row statements by the driver. */
    public static HikariDataSource dataSource(String url, String user, String password, int poolSize) {
        HikariConfig hc = new HikariConfig();
        hc.setJdbcUrl(url);
        hc.setUsername(user);
        if (password != null) {
            hc.setPassword(password);
        }
        hc.setMaximumPoolSize(poolSize);
        hc.setPoolName("certflow-sink");
        hc.addDataSourceProperty("reWriteBatchedInserts", "true");
        hc.setConnectionInitSql("SET TIME ZONE 'UTC'");
        return new HikariDataSource(hc);
    }

    /** Applies the migrations in {@code db/migration}; a no-op on an up-to-date database. */
    public static MigrateResult migrate(DataSource ds) {
        MigrateResult result = Flyway.configure().dataSource(ds).locations("classpath:db/migration").load().migrate();
        LOG.info("Views database schema at version {} ({} migrations applied)", result.targetSchemaVersion, result.migrationsExecuted);
        return result;
    }

    public DataSource dataSource() {
        return dataSource;
    }

    /** The JDBC URL in use (carries no credentials). */
    public String jdbcUrl() {
        return jdbcUrl;
    }

    /** Whether a connection answers within a second, for {@code /ready}. */
    public boolean isReachable() {
        try (var c = dataSource.getConnection()) {
            return c.isValid(1);
        } catch (Exception e) {
            return false;
        }
    }

    @Override
    public void close() {
        dataSource.close();
        if (embedded != null) {
            embedded.close();
        }
    }
}
