package dev.certflow.schemas.registry;

import org.apache.avro.Schema;
import org.apache.avro.SchemaCompatibility;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * An in-memory schema registry with the Confluent registry's semantics: one global id per distinct
 * schema, versions per subject, BACKWARD compatibility checked against the latest version.
 * {@code mock://scope} URLs share one instance per scope inside a JVM; the embedded HTTP registry
 * serves an instance of this class.
 */
public final class MockSchemaRegistry implements SchemaRegistryClient {
    private static final Map<String, MockSchemaRegistry> SCOPES = new ConcurrentHashMap<>();

    private final Map<Integer, Schema> byId = new HashMap<>();
    private final Map<String, Integer> idByCanonical = new HashMap<>();
    private final Map<String, List<Integer>> subjects = new TreeMap<>();
    private int nextId = 1;

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
        List<Integer> versions = subjects.get(subject);
        Integer existing = idByCanonical.get(canonical);
        if (versions != null && existing != null && versions.contains(existing)) {
            return existing;
        }
        if (versions != null && !versions.isEmpty() && !compatibleWithLatest(versions, schema)) {
            throw new SchemaRegistryException(409, SchemaRegistryException.INCOMPATIBLE,
                    "Schema being registered is incompatible with an earlier schema for subject \"" + subject + "\"");
        }
        int id = existing != null ? existing : nextId++;
        if (existing == null) {
            byId.put(id, new Schema.Parser().parse(schema.toString()));
            idByCanonical.put(canonical, id);
        }
        subjects.computeIfAbsent(subject, s -> new ArrayList<>()).add(id);
        return id;
    }

    @Override
    public synchronized int lookup(String subject, Schema schema) {
        List<Integer> versions = requireSubject(subject);
        Integer id = idByCanonical.get(canonical(schema));
        if (id == null || !versions.contains(id)) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema not found");
        }
        return id;
    }

    /** The version number a schema id has under a subject (1-based). */
    public synchronized int versionOf(String subject, int id) {
        return requireSubject(subject).indexOf(id) + 1;
    }

    @Override
    public synchronized Schema getById(int id) {
        Schema schema = byId.get(id);
        if (schema == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SCHEMA_NOT_FOUND, "Schema " + id + " not found");
        }
        return schema;
    }

    @Override
    public synchronized List<String> subjects() {
        return List.copyOf(subjects.keySet());
    }

    @Override
    public synchronized List<Integer> versions(String subject) {
        int n = requireSubject(subject).size();
        List<Integer> out = new ArrayList<>(n);
        for (int i = 1; i <= n; i++) {
            out.add(i);
        }
        return out;
    }

    @Override
    public synchronized RegisteredSchema version(String subject, int version) {
        List<Integer> versions = requireSubject(subject);
        int v = version == -1 ? versions.size() : version;
        if (v < 1 || v > versions.size()) {
            throw new SchemaRegistryException(404, SchemaRegistryException.VERSION_NOT_FOUND, "Version " + version + " not found.");
        }
        int id = versions.get(v - 1);
        return new RegisteredSchema(subject, v, id, byId.get(id));
    }

    @Override
    public synchronized boolean isCompatible(String subject, Schema schema) {
        List<Integer> versions = subjects.get(subject);
        return versions == null || versions.isEmpty() || compatibleWithLatest(versions, schema);
    }

    private boolean compatibleWithLatest(List<Integer> versions, Schema schema) {
        Schema latest = byId.get(versions.get(versions.size() - 1));
        return SchemaCompatibility.checkReaderWriterCompatibility(schema, latest).getType()
                == SchemaCompatibility.SchemaCompatibilityType.COMPATIBLE;
    }

    private List<Integer> requireSubject(String subject) {
        List<Integer> versions = subjects.get(subject);
        if (versions == null) {
            throw new SchemaRegistryException(404, SchemaRegistryException.SUBJECT_NOT_FOUND, "Subject '" + subject + "' not found.");
        }
        return versions;
    }

    private static String canonical(Schema schema) {
        // Parsing Canonical Form drops docs and defaults; keep the full JSON so a new default is a new version
        return schema.toString();
    }
}
