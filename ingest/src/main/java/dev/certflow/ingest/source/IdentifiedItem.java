package dev.certflow.ingest.source;

import com.fasterxml.jackson.databind.JsonNode;
import org.slf4j.Logger;

/**
 * A listed item with its id, or the error that makes it unusable (already counted and logged,
 * ready for the dead-letter topic). Every source reads its list items through here.
 */
record IdentifiedItem(String id, ItemError error) {

    /**
     * @param what   how the source's document names an item ({@code item}, {@code member}...), for messages
     * @param source the configured source name
     */
    static IdentifiedItem of(JsonNode item, String what, String source, ItemCounter warnings, Logger log) {
        if (!item.isObject()) {
            warnings.itemError(source, what, "not an object");
            log.warn("Source {}: {} is not an object but {}; sent to the dead-letter topic", source, what, item.getNodeType());
            return new IdentifiedItem(null, new ItemError(what, item.getNodeType().name(), what + " is not an object", Json.bytes(item), null));
        }
        try {
            return new IdentifiedItem(Json.id(item, "id"), null);
        } catch (Json.FieldException e) {
            warnings.itemError(source, e.field(), e.getMessage());
            log.warn("Source {}: certificate without usable id: field '{}' value '{}'; sent to the dead-letter topic", source, e.field(), e.value());
            return new IdentifiedItem(null, new ItemError(e.field(), e.value(), e.getMessage(), Json.bytes(item), null));
        }
    }
}
