package dev.certflow.ingest.source;

/**
 * One item of a page that could not be normalised. {@code itemJson} is the redacted item (no key
 * material, no credentials) for the dead-letter topic; {@code certificateKey} is set when the item
 * could still be identified, so a bad item never looks like a removed certificate.
 */
public record ItemError(String field, String value, String message, byte[] itemJson, String certificateKey) {
}
