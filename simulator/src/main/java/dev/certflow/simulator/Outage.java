package dev.certflow.simulator;

import java.time.Instant;

/**
 * A scripted outage of one source, in simulated time: from {@code from} the source answers HTTP 503
 * with an HTML page; from {@code droppingFrom} it closes connections without answering; from
 * {@code until} it is healthy again.
 */
public record Outage(String sourceName, Instant from, Instant droppingFrom, Instant until) {

    /** True while the source is down at {@code t}. */
    public boolean downAt(Instant t) {
        return !t.isBefore(from) && t.isBefore(until);
    }

    /** True while the source drops connections at {@code t}. */
    public boolean droppingAt(Instant t) {
        return !t.isBefore(droppingFrom) && t.isBefore(until);
    }
}
