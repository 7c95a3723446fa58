package dev.certflow.ingest.source;

import java.util.List;
import java.util.function.BiPredicate;

/** Where a source client hands what it reads, page by page, while it reads. */
public interface PollSink {
    /** The stored state of a certificate key (string form), or null if never published. */
    CertState state(String certificateKey);

    /** Publishes one page atomically: its changed certificates, new attempts, checkpoints and dead letters. */
    void page(List<Observation> observations, List<ItemError> errors) throws PollAbortedException;

    /**
     * Declares a listing complete: every stored certificate of this source for which
     * {@code wouldInclude(key, state)} holds and which this poll did not see gets a tombstone at the
     * end of the poll.
     */
    void listingComplete(BiPredicate<String, CertState> wouldInclude);

    /** A page could not be published (Kafka); the poll stops. */
    class PollAbortedException extends Exception {
        public PollAbortedException(String message, Throwable cause) {
            super(message, cause);
        }
    }
}
