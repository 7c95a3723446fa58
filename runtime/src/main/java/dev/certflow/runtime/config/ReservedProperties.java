package dev.certflow.runtime.config;

import java.util.List;
import java.util.Map;

/**
 * Kafka client and Kafka Streams properties certflow sets itself because its guarantees (nothing
 * lost, nothing doubled, bad records dead-lettered) depend on them, or because a certflow key
 * already sets them. {@code kafka.properties} (and so {@code KAFKA_*} variables) and
 * {@code streams.properties} may not override them: the check fails at start naming the key,
 * where it came from and why. Every other property passes through.
 */
public final class ReservedProperties {
    private static final String HANDLERS = "certflow's handlers send a record that cannot be read, processed or written to "
            + "the dead-letter topic with its origin and go on; another handler would drop it or stop the application";
    /** Property name to the reason certflow owns it. */
    static final Map<String, String> WHY = Map.ofEntries(
            Map.entry("isolation.level", "certflow's consumers read only committed records (read_committed), so records of an "
                    + "aborted ingest or streams transaction never reach the tables or alerts"),
            Map.entry("enable.auto.commit", "certflow commits consumer offsets itself, the sink in the same database transaction "
                    + "as the rows; auto-commit would skip records after a crash"),
            Map.entry("enable.idempotence", "every certflow producer is idempotent, which transactions and exactly-once need"),
            Map.entry("acks", "certflow writes with acks=all, so an acknowledged record survives the loss of a broker"),
            Map.entry("transactional.id", "certflow gives each ingest source (and Kafka Streams each task) its own transactional id; "
                    + "a shared one would fence the other producers"),
            Map.entry("group.id", "each certflow consumer has its own group (sink.groupId, streams.applicationId); one group for all "
                    + "would split the partitions between the view writer, the alert delivery and streams"),
            Map.entry("application.id", "use streams.applicationId instead"),
            Map.entry("group.instance.id", "use streams.instanceId instead (static membership of Kafka Streams, auto by default); "
                    + "one id in kafka.properties would be shared by every consumer of a group, which fence each other"),
            Map.entry("processing.guarantee", "use streams.processingGuarantee instead (exactly_once_v2 by default)"),
            Map.entry("ssl.endpoint.identification.algorithm", "certflow always verifies that a broker's TLS certificate is "
                    + "valid for the host it connects to (https); without it any trusted certificate would do, for any host"),
            Map.entry("compression.type", "use kafka.compressionType instead, which applies to every producer, Kafka Streams' included"),
            Map.entry("deserialization.exception.handler", HANDLERS),
            Map.entry("default.deserialization.exception.handler", HANDLERS),
            Map.entry("processing.exception.handler", HANDLERS),
            Map.entry("processing.exception.handler.global.enabled", HANDLERS),
            Map.entry("production.exception.handler", HANDLERS),
            Map.entry("default.production.exception.handler", HANDLERS));
    /** Kafka Streams hands a property with one of these prefixes to the matching client, so the prefixed forms count too. */
    private static final List<String> CLIENT_PREFIXES = List.of("main.consumer.", "restore.consumer.", "global.consumer.",
            "consumer.", "producer.", "admin.");

    private ReservedProperties() {
    }

    /**
     * @param key   the dotted key of the map, for example {@code kafka.properties}
     * @param props the pass-through properties
     * @param tree  for the origin of each property (may be null)
     * @throws ConfigException for the first reserved property, naming it, its value and origin, and why
     */
    public static void check(String key, Map<String, String> props, ConfigTree tree) {
        if (props == null) {
            return;
        }
        for (Map.Entry<String, String> e : props.entrySet()) {
            String name = e.getKey();
            String why = WHY.get(unprefixed(name));
            if (why != null) {
                String full = key + "." + name;
                throw new ConfigException("configuration key '" + full + "'" + (tree == null ? "" : tree.from(full))
                        + " may not be set (value '" + e.getValue() + "'): certflow sets " + unprefixed(name) + " itself: " + why);
            }
        }
    }

    private static String unprefixed(String name) {
        for (String prefix : CLIENT_PREFIXES) {
            if (name.startsWith(prefix)) {
                return name.substring(prefix.length());
            }
        }
        return name;
    }
}
