package dev.certflow.ingest.source;

/** Counts item-level problems (the errors meter); implemented by the metrics. */
public interface ItemCounter {
    ItemCounter NONE = new ItemCounter() {
        @Override
        public void itemError(String source, String field, String message) {
        }

        @Override
        public void itemWarning(String source, String field) {
        }
    };

    /** An item that could not be published. */
    void itemError(String source, String field, String message);

    /** An item published with a degraded field (an unparseable expiry). */
    void itemWarning(String source, String field);
}
