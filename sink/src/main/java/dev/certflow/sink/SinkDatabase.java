package dev.certflow.sink;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.certflow.runtime.config.ConfigException;
import org.flywaydb.core.Flyway;
import org.flywaydb.core.api.output.MigrateResult;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import javax.sql.DataSource;

/**
 * The views database: a pooled connection to the configured PostgreSQL ({@code certflow local}
 * hands it the URL of the embedded one it started), migrated with Flyway before anything reads or
 * writes it.
 */
public final class SinkDatabase implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(SinkDatabase.class);

    private final HikariDataSource dataSource;
    private final String jdbcUrl;

    private SinkDatabase(HikariDataSource dataSource, String jdbcUrl) {
        this.dataSource = dataSource;
        this.jdbcUrl = jdbcUrl;
    }

    /**
     * Connects and migrates.
     *
     * @throws ConfigException without a PostgreSQL JDBC URL, before anything connects
     */
    public static SinkDatabase open(SinkConfig config) {
        config.requireDatabase("sink.", null);
        String password = config.password == null ? null : config.password.reveal();
        HikariDataSource ds = dataSource(config.jdbcUrl, config.user, password, config.poolSize);
        try {
            migrate(ds);
        } catch (RuntimeException e) {
            ds.close();
            throw e;
        }
        return new SinkDatabase(ds, config.jdbcUrl);
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
    }
}
