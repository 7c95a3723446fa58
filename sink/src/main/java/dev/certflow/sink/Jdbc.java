package dev.certflow.sink;

import javax.sql.DataSource;
import java.sql.Connection;
import java.sql.SQLException;

/** One database transaction around some work: committed when it returns, rolled back when it throws. */
public final class Jdbc {
    private Jdbc() {
    }

    /** Work on a connection inside a transaction. */
    @FunctionalInterface
    public interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    public static <T> T transaction(DataSource ds, Work<T> work) throws SQLException {
        try (Connection c = ds.getConnection()) {
            return transaction(c, work);
        }
    }

    /** On a connection the caller holds (left in auto-commit mode afterwards). */
    public static <T> T transaction(Connection c, Work<T> work) throws SQLException {
        c.setAutoCommit(false);
        try {
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(true);
        }
    }
}
