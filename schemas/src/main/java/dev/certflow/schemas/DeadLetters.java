package dev.certflow.schemas;

import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Headers;
import org.apache.kafka.common.header.internals.RecordHeaders;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

/**
 * The dead-letter record format of {@code certflow-dlq}: the original key and value bytes
 * untouched, and the origin in headers, so nothing is lost and an operator can replay it.
 *
 * <table>
 *   <caption>Headers</caption>
 *   <tr><td>{@code certflow.dlq.origin.topic}</td><td>topic the record was read from (or meant for)</td></tr>
 *   <tr><td>{@code certflow.dlq.origin.partition}</td><td>its partition, decimal; absent when not yet written</td></tr>
 *   <tr><td>{@code certflow.dlq.origin.offset}</td><td>its offset, decimal; absent when not yet written</td></tr>
 *   <tr><td>{@code certflow.dlq.stage}</td><td>deserialization, processing, production, ingest, delivery</td></tr>
 *   <tr><td>{@code certflow.dlq.application}</td><td>the component that gave up (application id or worker name)</td></tr>
 *   <tr><td>{@code certflow.dlq.error.class}</td><td>exception class name</td></tr>
 *   <tr><td>{@code certflow.dlq.error.message}</td><td>error message (never a secret), at most 1000 characters</td></tr>
 *   <tr><td>{@code certflow.dlq.timestamp}</td><td>when it was dead-lettered, ISO-8601 UTC</td></tr>
 * </table>
 */
public final class DeadLetters {
    public static final String ORIGIN_TOPIC = "certflow.dlq.origin.topic";
    public static final String ORIGIN_PARTITION = "certflow.dlq.origin.partition";
    public static final String ORIGIN_OFFSET = "certflow.dlq.origin.offset";
    public static final String STAGE = "certflow.dlq.stage";
    public static final String APPLICATION = "certflow.dlq.application";
    public static final String ERROR_CLASS = "certflow.dlq.error.class";
    public static final String ERROR_MESSAGE = "certflow.dlq.error.message";
    public static final String TIMESTAMP = "certflow.dlq.timestamp";

    private static final int MAX_MESSAGE = 1000;

    private DeadLetters() {
    }

    /** Origin headers; partition and offset below zero are left out. */
    public static Headers headers(String originTopic, int partition, long offset, String stage, String application,
                                  Throwable error, Instant now) {
        Headers headers = new RecordHeaders();
        add(headers, ORIGIN_TOPIC, originTopic);
        if (partition >= 0) {
            add(headers, ORIGIN_PARTITION, Integer.toString(partition));
        }
        if (offset >= 0) {
            add(headers, ORIGIN_OFFSET, Long.toString(offset));
        }
        add(headers, STAGE, stage);
        add(headers, APPLICATION, application);
        if (error != null) {
            add(headers, ERROR_CLASS, error.getClass().getName());
            String message = String.valueOf(error.getMessage());
            add(headers, ERROR_MESSAGE, message.length() > MAX_MESSAGE ? message.substring(0, MAX_MESSAGE) : message);
        }
        add(headers, TIMESTAMP, now.toString());
        return headers;
    }

    public static ProducerRecord<byte[], byte[]> record(String dlqTopic, byte[] key, byte[] value, Headers headers) {
        return new ProducerRecord<>(dlqTopic, null, key, value, headers);
    }

    /** The value of a header as text, or null. */
    public static String header(Headers headers, String name) {
        var h = headers.lastHeader(name);
        return h == null || h.value() == null ? null : new String(h.value(), StandardCharsets.UTF_8);
    }

    private static void add(Headers headers, String name, String value) {
        if (value != null) {
            headers.add(name, value.getBytes(StandardCharsets.UTF_8));
        }
    }
}
