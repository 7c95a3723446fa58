package dev.certflow.ingest.config;

import dev.certflow.events.SourceKind;
import dev.certflow.runtime.config.ConfigTree;
import dev.certflow.runtime.config.Secret;

import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;

/** {@code kind: leegality}: {@code GET {baseUrl}/api/v1/certificates/expiring-soon} with {@code X-Auth-Token}. */
public class LeegalitySourceConfig extends SourceConfig {
    public Secret token;
    /** One query per department; empty = one query without departmentId. */
    public List<String> departmentIds = new ArrayList<>();
    /** Window of the query; wide so the listing is the whole inventory. */
    public int days = 3650;
    /** Zone for timestamps without offset or zone. */
    public ZoneId zone = ZoneOffset.UTC;

    @Override
    public SourceKind kind() {
        return SourceKind.LEEGALITY;
    }

    @Override
    public void validate(String prefix, ConfigTree tree) {
        super.validate(prefix, tree);
        if (token == null || token.reveal().isBlank()) {
            throw IngestConfig.missing(prefix + "token");
        }
        if (days < 1 || days > 36500) {
            throw IngestConfig.bad(prefix + "days", days, "must be 1 to 36500", tree);
        }
        if (departmentIds == null) {
            departmentIds = new ArrayList<>();
        }
        for (int i = 0; i < departmentIds.size(); i++) {
            if (departmentIds.get(i) == null || departmentIds.get(i).isBlank()) {
                throw IngestConfig.bad(prefix + "departmentIds[" + i + "]", departmentIds.get(i), "must not be empty", tree);
            }
        }
        if (zone == null) {
            throw IngestConfig.missing(prefix + "zone");
        }
    }
}
