package dev.certflow.ingest.config;

import dev.certflow.runtime.config.ConfigException;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Validated;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code ingest} configuration section: the bounded poll pool, retry limits shared by every
 * source, and the list of source instances ({@link SourceConfig} subtypes chosen by {@code kind}).
 */
public class IngestConfig implements Validated {
    /** Threads polling sources; each source is polled by at most one of them at a time. */
    public int pollThreads = 4;
    /** Connect timeout of the HTTP client (the per-request timeout is per source). */
    public Duration connectTimeout = Duration.ofSeconds(5);
    /** Retries of one request on connection errors, timeouts, 429 and 5xx before the poll fails. */
    public int maxRetries = 2;
    /** First retry backoff; doubles per retry, with jitter, up to {@link #maxBackoff}. */
    public Duration initialBackoff = Duration.ofMillis(500);
    /** Cap of one retry backoff inside a poll. */
    public Duration maxBackoff = Duration.ofSeconds(10);
    /** A Retry-After longer than this fails the poll instead of blocking a pool thread; the next poll honours it. */
    public Duration maxRetryAfter = Duration.ofSeconds(30);
    /** First delay before re-polling a source whose poll failed; doubles per failure (jittered) up to its pollInterval. */
    public Duration failureBackoff = Duration.ofSeconds(15);
    /** Certificates per Kafka transaction for sources that answer in one response (Leegality). */
    public int chunkSize = 500;
    /** Records per Kafka transaction: pages are buffered and committed together up to about this many (a page is never split). */
    public int transactionRecords = 5000;
    /**
     * A known certificate is removed (a tombstone on {@code certificates}) once this many complete listings of its
     * source in a row lacked it; 1 removes at the first. One listing that leaves certificates out (an upstream
     * hiccup) must not resolve their alerts and fire them again when they are back.
     */
    public int removeAfterListings = 2;
    public List<SourceConfig> sources = new ArrayList<>();

    @Override
    public void validate(String prefix, ConfigTree tree) {
        if (pollThreads < 1 || pollThreads > 256) {
            throw bad(prefix + "pollThreads", pollThreads, "must be 1 to 256", tree);
        }
        if (maxRetries < 0 || maxRetries > 10) {
            throw bad(prefix + "maxRetries", maxRetries, "must be 0 to 10", tree);
        }
        if (transactionRecords < 1) {
            throw bad(prefix + "transactionRecords", transactionRecords, "must be at least 1", tree);
        }
        if (removeAfterListings < 1 || removeAfterListings > 100) {
            throw bad(prefix + "removeAfterListings", removeAfterListings, "must be 1 to 100", tree);
        }
        if (chunkSize < 1) {
            throw bad(prefix + "chunkSize", chunkSize, "must be at least 1", tree);
        }
        positive(prefix + "connectTimeout", connectTimeout, tree);
        positive(prefix + "initialBackoff", initialBackoff, tree);
        positive(prefix + "maxBackoff", maxBackoff, tree);
        positive(prefix + "failureBackoff", failureBackoff, tree);
        if (maxRetryAfter == null || maxRetryAfter.isNegative()) {
            throw bad(prefix + "maxRetryAfter", maxRetryAfter, "must be 0 or more", tree);
        }
        if (sources == null) {
            sources = new ArrayList<>();
        }
        Set<String> names = new HashSet<>();
        for (int i = 0; i < sources.size(); i++) {
            SourceConfig s = sources.get(i);
            String p = prefix + "sources[" + i + "].";
            if (s == null) {
                throw new ConfigException("configuration key '" + prefix + "sources[" + i + "]' is empty");
            }
            s.validate(p, tree);
            if (!names.add(s.name)) {
                throw bad(p + "name", s.name, "source names must be unique", tree);
            }
        }
    }

    static void positive(String key, Duration d, ConfigTree tree) {
        if (d == null || d.isZero() || d.isNegative()) {
            throw bad(key, d, "must be a positive duration", tree);
        }
    }

    static ConfigException bad(String key, Object value, String why, ConfigTree tree) {
        return new ConfigException("bad value '" + value + "' for configuration key '" + key + "'"
                + (tree == null ? "" : tree.from(key)) + ": " + why);
    }

    static ConfigException missing(String key) {
        return new ConfigException("missing required configuration key '" + key + "'");
    }
}
