package dev.certflow.sink;

/**
 * Named points in the sink's commit paths where tests inject a crash (by throwing an
 * {@link Error}, which the workers treat as the process dying: no cleanup commit, no retry).
 */
@FunctionalInterface
public interface FaultHook {
    /** View writer: rows written, offsets not yet written, transaction open. */
    String VIEWS_AFTER_ROWS = "views.after-rows";
    /** View writer: database transaction committed, Kafka offsets not yet committed. */
    String VIEWS_AFTER_DB_COMMIT = "views.after-db-commit";
    /** Delivery: outcomes recorded, consumer offsets not yet committed. */
    String DELIVERY_BEFORE_COMMIT = "delivery.before-commit";

    FaultHook NONE = point -> { };

    void reached(String point);
}
