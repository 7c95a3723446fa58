package dev.certflow.schemas.registry;

import org.apache.avro.Schema;

import java.util.List;

/**
 * The part of a Confluent-compatible Schema Registry that certflow's serde and tools use.
 * Implementations: {@link HttpSchemaRegistryClient} ({@code http(s)://}) and
 * {@link MockSchemaRegistry} ({@code mock://scope}).
 */
public interface SchemaRegistryClient {

    /** Registers the schema under the subject (idempotent) and returns its global id. */
    int register(String subject, Schema schema);

    /** The id of a schema already registered under the subject; error 40403 when it is not. */
    int lookup(String subject, Schema schema);

    /** The schema with this global id; error 40403 when there is none. */
    Schema getById(int id);

    List<String> subjects();

    List<Integer> versions(String subject);

    /** A version of a subject; {@code version} -1 means latest. */
    RegisteredSchema version(String subject, int version);

    /** Whether the schema may be registered under the subject as its next version. */
    boolean isCompatible(String subject, Schema schema);

    /** A schema as registered: subject, version, global id and the schema itself. */
    record RegisteredSchema(String subject, int version, int id, Schema schema) {
    }
}
