package dev.certflow.ingest.source;

import dev.certflow.ingest.http.SourceException;

import java.time.Instant;

/** Reads one source instance completely, handing pages to the sink as they arrive. */
public interface SourceClient extends AutoCloseable {
    /**
     * @param now the poll's observation time (UTC)
     * @throws SourceException when the source could not be read; pages already handed over stay published
     */
    void poll(Instant now, PollSink sink) throws SourceException, PollSink.PollAbortedException, InterruptedException;

    /** Releases what the client holds between polls (threads); the default holds nothing. */
    @Override
    default void close() {
    }
}
