package dev.certflow.streams;

import dev.certflow.runtime.config.ConfigException;
import org.apache.kafka.streams.StreamsConfig;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Pattern;

/**
 * Static group membership ({@code group.instance.id}) for Kafka Streams, from {@code streams.instanceId}.
 *
 * <p>Kafka Streams never leaves its consumer group on close, so a dynamic member that restarts (after a
 * {@code kill -9} or a clean stop alike) waits out the session timeout of the member it replaces,
 * 45 s by default, with its tasks unprocessed. A static member that comes back under the same id takes
 * its assignment back at once. {@code auto} keys the id to the state directory: it is generated once
 * and kept there, in {@value #FILE}, so it is as stable as the state it belongs to and unique for as
 * long as Kafka Streams' own lock keeps two instances off one state directory.
 */
final class StaticMembership {
    static final String AUTO = "auto";
    static final String NONE = "none";
    static final String FILE = "certflow-instance-id";
    /** What Kafka accepts in a group.instance.id (the legal characters and length of a topic name). */
    static final Pattern VALID = Pattern.compile("[a-zA-Z0-9._-]{1,249}");

    private StaticMembership() {
    }

    /**
     * @param props the Kafka Streams properties (their state directory and application id)
     * @return the group.instance.id to set (Kafka Streams appends each stream thread's index), or null for a dynamic member
     */
    static String groupInstanceId(StreamsSettings settings, Properties props) {
        String id = settings.instanceId;
        if (id == null || NONE.equals(id)) {
            return null;
        }
        if (!AUTO.equals(id)) {
            return id;
        }
        String stateDir = props.getProperty(StreamsConfig.STATE_DIR_CONFIG,
                (String) StreamsConfig.configDef().defaultValues().get(StreamsConfig.STATE_DIR_CONFIG));
        String appId = props.getProperty(StreamsConfig.APPLICATION_ID_CONFIG);
        String instance = appId + "-" + kept(Path.of(stateDir, appId).resolve(FILE));
        if (!VALID.matcher(instance).matches()) {
            throw new ConfigException("configuration key 'streams.instanceId' is auto, but '" + instance + "' (streams.applicationId "
                    + "and the id kept in the state directory) is not a valid group.instance.id: set streams.instanceId");
        }
        return instance;
    }

    /** The id in {@code file}, created (atomically, so a crash leaves none or a whole one) when there is none. */
    private static String kept(Path file) {
        try {
            if (Files.exists(file)) {
                String id = Files.readString(file, StandardCharsets.UTF_8).trim();
                try {
                    return UUID.fromString(id).toString();
                } catch (IllegalArgumentException e) {
                    // unreadable: not ours to guess; replaced below (the old member's tasks wait out its session timeout)
                }
            }
            Files.createDirectories(file.getParent());
            String id = UUID.randomUUID().toString();
            Path tmp = Files.createTempFile(file.getParent(), FILE, ".tmp");
            Files.writeString(tmp, id + "\n", StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return id;
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep the streams instance id in " + file, e);
        }
    }
}
