package dev.certflow.ingest.source;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.nio.charset.StandardCharsets;

/** JSON helpers shared by the source clients: typed field access that reports field and value, and redaction. */
public final class Json {
    /** Read limits of one answer read whole (a Yeastar or smoxy page, an error body): a page is kilobytes. */
    public static final long MAX_PAGE_BYTES = 64L << 20;
    /** Read limit of a listing streamed item by item (Leegality's whole inventory in one answer). */
    public static final long MAX_LISTING_BYTES = 1L << 30;
    /** No field of any vendor is longer (certificate chains are kilobytes). */
    public static final int MAX_STRING_CHARS = 1 << 20;
    /** Vendor JSON is a few levels deep. */
    public static final int MAX_NESTING = 64;

    /**
     * For answers read whole. A body without end, a string without end or nesting without end fails
     * the read at these limits (a malformed body) instead of holding the poll and the heap: Jackson
     * bounds strings and nesting by default, not the length of a document.
     */
    public static final ObjectMapper MAPPER = mapper(MAX_PAGE_BYTES);
    /** For listings streamed item by item (one item at a time in memory). */
    public static final ObjectMapper LISTING_MAPPER = mapper(MAX_LISTING_BYTES);

    private static ObjectMapper mapper(long maxDocument) {
        JsonFactory f = JsonFactory.builder().streamReadConstraints(StreamReadConstraints.builder()
                .maxDocumentLength(maxDocument).maxStringLength(MAX_STRING_CHARS).maxNestingDepth(MAX_NESTING).build()).build();
        return new ObjectMapper(f).disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES);
    }

    static {
        // Avro 1.12 refuses our generated classes (enum defaults in builders) until they are trusted;
        // the schemas module does that in its serde's static initialiser
        try {
            Class.forName("dev.certflow.schemas.serde.AvroSerializer", true, Json.class.getClassLoader());
        } catch (ClassNotFoundException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private Json() {
    }

    /** A field that has the wrong JSON type. */
    public static final class FieldException extends Exception {
        private final String field;
        private final String value;

        public FieldException(String field, String value, String message) {
            super(message, null, false, false);
            this.field = field;
            this.value = value;
        }

        public String field() {
            return field;
        }

        public String value() {
            return value;
        }
    }

    /** Text of a string (or number) field; null when absent or JSON null; error on objects, arrays, booleans. */
    public static String text(JsonNode item, String field) throws FieldException {
        JsonNode n = item.get(field);
        if (n == null || n.isNull() || n.isMissingNode()) {
            return null;
        }
        if (n.isTextual()) {
            return n.textValue();
        }
        if (n.isNumber()) {
            return n.asText();
        }
        throw new FieldException(field, shortValue(n), "field '" + field + "' should be a string but is " + n.getNodeType().name().toLowerCase() + " " + shortValue(n));
    }

    /** A required identifier: a non-blank string or an integer. */
    public static String id(JsonNode item, String field) throws FieldException {
        JsonNode n = item.get(field);
        if (n == null || n.isNull()) {
            throw new FieldException(field, "null", "field '" + field + "' is missing");
        }
        if (n.isTextual() && !n.textValue().isBlank()) {
            return n.textValue();
        }
        if (n.isIntegralNumber()) {
            return n.asText();
        }
        throw new FieldException(field, shortValue(n), "field '" + field + "' is not an identifier: " + shortValue(n));
    }

    /** An integer field (number or numeric string); null when absent. */
    public static Long integer(JsonNode item, String field) throws FieldException {
        JsonNode n = item.get(field);
        if (n == null || n.isNull()) {
            return null;
        }
        if (n.isIntegralNumber()) {
            return n.longValue();
        }
        if (n.isTextual()) {
            try {
                return Long.parseLong(n.textValue().trim());
            } catch (NumberFormatException e) {
                // fall through to the error
            }
        }
        throw new FieldException(field, shortValue(n), "field '" + field + "' should be an integer but is " + shortValue(n));
    }

    /** Reads a key that may carry the JSON-LD {@code hydra:} prefix. */
    public static JsonNode hydra(JsonNode node, String key) {
        JsonNode n = node.get(key);
        return n != null ? n : node.get("hydra:" + key);
    }

    /** A value cut to 80 characters for a log line. */
    public static String shortText(String s) {
        return s == null ? null : s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    static String shortValue(JsonNode n) {
        String s = n.isTextual() ? n.textValue() : n.toString();
        return s.length() > 80 ? s.substring(0, 80) + "…" : s;
    }

    public static byte[] bytes(JsonNode node) {
        try {
            return MAPPER.writeValueAsBytes(node);
        } catch (JsonProcessingException e) {
            return node.toString().getBytes(StandardCharsets.UTF_8);
        }
    }

    /** Removes fields from an object in place (no-op for non-objects). */
    public static void remove(JsonNode node, String... fields) {
        if (node instanceof ObjectNode o) {
            for (String f : fields) {
                o.remove(f);
            }
        }
    }
}
