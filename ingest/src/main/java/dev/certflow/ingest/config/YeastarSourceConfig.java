package dev.certflow.ingest.config;

import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;

import java.time.ZoneId;
import java.util.ArrayList;
import java.util.List;

/** {@code kind: yeastar}: one P-Series PBX's certificate list via its OpenAPI. */
public class YeastarSourceConfig extends SourceConfig {
    public Secret clientId;
    public Secret clientSecret;
    /** The PBX's configured time zone; its expirations are local times in it. Required. */
    public ZoneId zone;
    public int pageSize = 100;
    public String userAgent = "certflow/0.1";
    /** API path under baseUrl. */
    public String apiPath = "/openapi/v1.0";
    /** errcodes that mean "token invalid or expired" (besides any errmsg mentioning TOKEN): re-authenticate once. */
    public List<Integer> tokenErrorCodes = new ArrayList<>(List.of(10004, 10005, 10006));

    @Override
    public SourceKind kind() {
        return SourceKind.YEASTAR;
    }

    @Override
    public void validate(String prefix, ConfigTree tree) {
        super.validate(prefix, tree);
        if (clientId == null || clientId.reveal().isBlank()) {
            throw IngestConfig.missing(prefix + "clientId");
        }
        if (clientSecret == null || clientSecret.reveal().isBlank()) {
            throw IngestConfig.missing(prefix + "clientSecret");
        }
        if (zone == null) {
            throw IngestConfig.missing(prefix + "zone");
        }
        if (pageSize < 1 || pageSize > 1000) {
            throw IngestConfig.bad(prefix + "pageSize", pageSize, "must be 1 to 1000", tree);
        }
        if (userAgent == null || userAgent.isBlank()) {
            throw IngestConfig.missing(prefix + "userAgent");
        }
        if (apiPath == null || !apiPath.startsWith("/")) {
            throw IngestConfig.bad(prefix + "apiPath", apiPath, "must start with /", tree);
        }
        if (tokenErrorCodes == null) {
            tokenErrorCodes = new ArrayList<>();
        }
    }

    public String api() {
        return base() + (apiPath.endsWith("/") ? apiPath.substring(0, apiPath.length() - 1) : apiPath);
    }
}
