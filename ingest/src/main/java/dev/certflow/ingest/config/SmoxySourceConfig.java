package dev.certflow.ingest.config;

import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;

/** {@code kind: smoxy}: the certificate collection of one organisation and each certificate's attempts. */
public class SmoxySourceConfig extends SourceConfig {
    public String organizationId;
    public Secret token;
    /** {@code api-token} (header X-API-TOKEN) or {@code bearer} (Authorization: Bearer). */
    public String authScheme = "api-token";
    /** Page size of both collections, 1 to 100. */
    public int itemsPerPage = 100;
    /** Safety stop for one collection (a server that never ends its {@code view.next} chain). */
    public int maxPages = 10_000;
    /**
     * Certificates whose attempts are fetched at once (1 = one request at a time). The certificate
     * collection itself is read page by page; this bounds the attempts requests in flight.
     */
    public int attemptConcurrency = 16;

    @Override
    public SourceKind kind() {
        return SourceKind.SMOXY;
    }

    @Override
    public void validate(String prefix, ConfigTree tree) {
        super.validate(prefix, tree);
        if (organizationId == null || organizationId.isBlank()) {
            throw IngestConfig.missing(prefix + "organizationId");
        }
        if (token == null || token.reveal().isBlank()) {
            throw IngestConfig.missing(prefix + "token");
        }
        if (!"api-token".equals(authScheme) && !"bearer".equals(authScheme)) {
            throw IngestConfig.bad(prefix + "authScheme", authScheme, "must be api-token or bearer", tree);
        }
        if (itemsPerPage < 1 || itemsPerPage > 100) {
            throw IngestConfig.bad(prefix + "itemsPerPage", itemsPerPage, "must be 1 to 100", tree);
        }
        if (attemptConcurrency < 1 || attemptConcurrency > 64) {
            throw IngestConfig.bad(prefix + "attemptConcurrency", attemptConcurrency, "must be 1 to 64", tree);
        }
        if (maxPages < 1) {
            throw IngestConfig.bad(prefix + "maxPages", maxPages, "must be at least 1", tree);
        }
    }
}
