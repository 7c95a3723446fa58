package dev.certflow.schemas.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory schema registry with the Confluent registry's semantics: one global id per distinct
 * schema, versions per subject, a global and per-subject compatibility level (BACKWARD unless set),
 * soft and permanent deletes of versions and subjects. {@code mock://scope} URLs share one instance
 * per scope inside a JVM; the embedded HTTP registry serves an instance of this class.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    /** The compatibility levels, named as the Confluent API names them. */
    public enum Compatibility {
        NONE, BACKWARD, BACKWARD_TRANSITIVE, FORWARD, FORWARD_TRANSITIVE, FULL, FULL_TRANSITIVE;

        /** The level named {@code name} (case-insensitive); error 42203 for anything else. */
        public static Compatibility parse(String name) {
            try {
                return valueOf(String.valueOf(name).toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                throw new SchemaRegistryException(422, SchemaRegistryException.INVALID_COMPATIBILITY,
                        "Invalid compatibility level '" + name + "'. Valid values are none, backward, forward, full, "
                                + "backward_transitive, forward_transitive and full_transitive");
            }
        }

        boolean transitive() {
            return name().endsWith("_TRANSITIVE");
        }

        boolean backward() {
            return this != NONE && !name().startsWith("FORWARD");
        }

        boolean forward() {
            return this != NONE && !name().startsWith("BACKWARD");
        }
    }

    /** One version of a subject; soft-deleted versions keep their number and id until deleted permanently. */
    private static final class Version {
        final int number;
        final int id;
        boolean deleted;

        Version(int number, int id) {
            this.number = number;
            this.id = id;
        }
    }

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> idByCanonical = new HashMap<>();
    private final Map<String, List<Version>> subjects = new TreeMap<>();
    private final Map<String, Compatibility> subjectCompatibility = new HashMap<>();
    private Compatibility globalCompatibility = Compatibility.BACKWARD;
    private int nextId = 1;

    /** One stored version, soft-deleted or not: what a persistent registry writes and reads back. */
    public record StoredVersion(String subject, int version, int id, Schema schema, boolean deleted) {
    }

    /** Every stored version of a subject in version order, soft-deleted ones included; empty when there are none. */
    public synchronized List<StoredVersion> stored(String subject) {
        List<StoredVersion> out = new ArrayList<>();
        for (Version v : subjects.getOrDefault(subject, List.of())) {
            out.add(new StoredVersion(subject, v.number, v.id, byId.get(v.id), v.deleted));
        }
        return out;
    }

    /**
     * Puts a version back exactly as it was stored (reloading a persisted registry): its number,
     * its id and its deleted flag. Ids handed out later are above every id restored or
     * {@link #reserveIdsUpTo reserved}.
     */
    public synchronized void restore(StoredVersion stored) {
        Schema schema = new Schema.Parser().parse(stored.schema().toString());
        Schema previous = byId.putIfAbsent(stored.id(), schema);
        if (previous == null) {
            idByCanonical.putIfAbsent(canonical(schema), stored.id());
        }
        List<Version> all = subjects.computeIfAbsent(stored.subject(), s -> new ArrayList<>());
        all.removeIf(v -> v.number == stored.version());
        Version v = new Version(stored.version(), stored.id());
        v.deleted = stored.deleted();
        all.add(v);
        all.sort(java.util.Comparator.comparingInt(x -> x.number));
        reserveIdsUpTo(stored.id());
    }

    /** Never hands out an id at or below {@code id} (one used before a restart, since permanently deleted). */
    public synchronized void reserveIdsUpTo(int id) {
        nextId = Math.max(nextId, id + 1);
    }

    /** The registry shared by every {@code mock://scope} client in this JVM. */
    public static MockSchemaRegistry scope(String scope) {
        return SCOPES.computeIfAbsent(scope, s -> new MockSchemaRegistry());
    }

    /** Forgets a scope, so the next test starts empty. */
    public static void dropScope(String scope) {
        SCOPES.remove(scope);
    }

    @Override
    public synchronized int register(String subject, Schema schema) {
        String canonical = canonical(schema);
        Integer existing = idByCanonical.get(canonical);
        List<Version> live = live(subject);
        if (existing != null && live.stream().anyMatch(v -> v.id == existing)) {
            return existing;
        }
        String problem = incompatibility(subject, schema, live);
        if (problem != null) {
            throw new SchemaRegistryException(409, SchemaRegistryException.INCOMPATIBLE,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\": " + problem);
        }
        int id = existing != null ? existing : nextId++;
        if (existing == null) {
            byId.put(id, new Schema.Parser().parse(schema.toString()));
            idByCanonical.put(canonical, id);
        }
        List<Version> all = subjects.computeIfAbsent(subject, s -> new ArrayList<>());
        int number = all.isEmpty() ? 1 : all.get(all.size() - 1).number + 1;
        all.add(new Version(number, id));
        return id;
    }

    @Override
    public synchronized int lookup(String subject, Schema schema) {
        return lookupVersion(subject, schema).id();
    }

    /** The version under which a schema is registered in a subject; 40401 or 40403 when it is not. */
    public synchronized RegisteredSchema lookupVersion(String subject, Schema schema) {
        List<Version> live = requireLive(subject);
        Integer id = idByCanonical.get(canonical(schema));
        for (Version v : live) {
            if (id != null && v.id == id) {
                return new RegisteredSchema(subject, v.number, id, byId.get(id));
            }
        }
        throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema not found");
    }

    @Override
    public synchronized Schema getById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return schema;
    }

    /** Every (subject, version) that holds the schema with this id, soft-deleted ones left out. */
    public synchronized List<RegisteredSchema> versionsOfId(int id) {
        Schema schema = getById(id);
        List<RegisteredSchema> out = new ArrayList<>();
        subjects.forEach((subject, versions) -> versions.stream().filter(v -> !v.deleted && v.id == id)
                .forEach(v -> out.add(new RegisteredSchema(subject, v.number, id, schema))));
        return out;
    }

    @Override
    public synchronized List<String> subjects() {
        return subjects(false);
    }

    /** Subjects with a live version, or also those whose versions are all soft-deleted. */
    public synchronized List<String> subjects(boolean includeDeleted) {
        return subjects.entrySet().stream()
                .filter(e -> includeDeleted || e.getValue().stream().anyMatch(v -> !v.deleted))
                .map(Map.Entry::getKey).toList();
    }

    @Override
    public synchronized List<Integer> versions(String subject) {
        return versions(subject, false);
    }

    /** Version numbers of a subject, soft-deleted ones too when asked; 40401 when there are none. */
    public synchronized List<Integer> versions(String subject, boolean includeDeleted) {
        List<Version> all = includeDeleted ? subjects.getOrDefault(subject, List.of()) : live(subject);
        if (all.isEmpty()) {
            throw subjectNotFound(subject);
        }
        return all.stream().map(v -> v.number).toList();
    }

    @Override
    public synchronized RegisteredSchema version(String subject, int version) {
        Version v = find(subject, version);
        if (v.deleted) {
            throw versionNotFound(version);
        }
        return new RegisteredSchema(subject, v.number, v.id, byId.get(v.id));
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        return incompatibility(subject, schema, live(subject)) == null;
    }

    /** Whether the schema is compatible with one version of the subject, under the subject's level. */
    public synchronized boolean isCompatible(String subject, int version, Schema schema) {
        RegisteredSchema against = version(subject, version);
        return problem(compatibility(subject), schema, against.schema()) == null;
    }

    /** Soft-deletes (or, once soft-deleted, permanently deletes) a version; returns its number. */
    public synchronized int deleteVersion(String subject, int version, boolean permanent) {
        Version v = find(subject, version);
        if (!permanent) {
            if (v.deleted) {
                throw new SchemaRegistryException(404, SchemaRegistryException.VERSION_SOFT_DELETED,
                        "Subject '" + subject + "' Version " + v.number + " was soft deleted. Set permanent=true to delete permanently");
            }
            v.deleted = true;
            return v.number;
        }
        if (!v.deleted) {
            throw new SchemaRegistryException(404, SchemaRegistryException.VERSION_NOT_SOFT_DELETED,
                    "Subject '" + subject + "' Version " + v.number + " was not deleted first before being permanently deleted");
        }
        List<Version> all = subjects.get(subject);
        all.remove(v);
        if (all.isEmpty()) {
            subjects.remove(subject);
        }
        forgetUnreferenced(v.id);
        return v.number;
    }

    /** Soft-deletes a subject's versions (or, once soft-deleted, removes them); returns their numbers. */
    public synchronized List<Integer> deleteSubject(String subject, boolean permanent) {
        List<Version> all = subjects.get(subject);
        if (all == null) {
            throw subjectNotFound(subject);
        }
        List<Version> live = all.stream().filter(v -> !v.deleted).toList();
        if (!permanent) {
            if (live.isEmpty()) {
                throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_SOFT_DELETED,
                        "Subject '" + subject + "' was soft deleted. Set permanent=true to delete permanently");
            }
            live.forEach(v -> v.deleted = true);
            return live.stream().map(v -> v.number).toList();
        }
        if (!live.isEmpty()) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_SOFT_DELETED,
                    "Subject '" + subject + "' was not deleted first before being permanently deleted");
        }
        subjects.remove(subject);
        subjectCompatibility.remove(subject);
        all.forEach(v -> forgetUnreferenced(v.id));
        return all.stream().map(v -> v.number).toList();
    }

    public synchronized Compatibility globalCompatibility() {
        return globalCompatibility;
    }

    public synchronized void globalCompatibility(Compatibility level) {
        globalCompatibility = level;
    }

    /** The subject's own level, or null when it has none (the global level applies). */
    public synchronized Compatibility subjectCompatibility(String subject) {
        return subjectCompatibility.get(subject);
    }

    public synchronized void subjectCompatibility(String subject, Compatibility level) {
        subjectCompatibility.put(subject, level);
    }

    /** Drops the subject's own level and returns it; 40401 when it had none. */
    public synchronized Compatibility deleteSubjectCompatibility(String subject) {
        Compatibility previous = subjectCompatibility.remove(subject);
        if (previous == null) {
            throw subjectNotFound(subject);
        }
        return previous;
    }

    /** The level that applies to a subject: its own, else the global one. */
    public synchronized Compatibility compatibility(String subject) {
        return subjectCompatibility.getOrDefault(subject, globalCompatibility);
    }

    private String incompatibility(String subject, Schema schema, List<Version> live) {
        if (live.isEmpty()) {
            return null;
        }
        Compatibility level = compatibility(subject);
        List<Version> against = level.transitive() ? live : List.of(live.get(live.size() - 1));
        for (Version v : against) {
            String problem = problem(level, schema, byId.get(v.id));
            if (problem != null) {
                return "version " + v.number + ": " + problem;
            }
        }
        return null;
    }

    /** Why {@code candidate} may not follow {@code existing} under the level, or null when it may. */
    private static String problem(Compatibility level, Schema candidate, Schema existing) {
        if (level.backward()) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(candidate, existing);
            if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                return level + ": the new schema cannot read data written by the earlier one (" + result.getDescription() + ")";
            }
        }
        if (level.forward()) {
            var result = SchemaCompatibility.checkReaderWriterCompatibility(existing, candidate);
            if (result.getType() != SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE) {
                return level + ": the earlier schema cannot read data written by the new one (" + result.getDescription() + ")";
            }
        }
        return null;
    }

    private void forgetUnreferenced(int id) {
        boolean referenced = subjects.values().stream().flatMap(List::stream).anyMatch(v -> v.id == id);
        if (!referenced) {
            Schema schema = byId.remove(id);
            if (schema != null) {
                idByCanonical.remove(canonical(schema));
            }
        }
    }

    private Version find(String subject, int version) {
        List<Version> all = subjects.get(subject);
        if (all == null) {
            throw subjectNotFound(subject);
        }
        if (version == -1) {
            List<Version> live = live(subject);
            if (live.isEmpty()) {
                throw subjectNotFound(subject);
            }
            return live.get(live.size() - 1);
        }
        return all.stream().filter(v -> v.number == version).findFirst().orElseThrow(() -> versionNotFound(version));
    }

    private List<Version> live(String subject) {
        return subjects.getOrDefault(subject, List.of()).stream().filter(v -> !v.deleted).toList();
    }

    private List<Version> requireLive(String subject) {
        List<Version> live = live(subject);
        if (live.isEmpty()) {
            throw subjectNotFound(subject);
        }
        return live;
    }

    private static SchemaRegistryException subjectNotFound(String subject) {
        return new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
    }

    private static SchemaRegistryException versionNotFound(int version) {
        return new SchemaRegistryException(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + version + " not found.");
    }

    private static String canonical(Schema schema) {
        // Parsing Canonical Form drops docs and defaults; keep the full JSON so a new default is a new version
        return schema.toString();
    }
}
