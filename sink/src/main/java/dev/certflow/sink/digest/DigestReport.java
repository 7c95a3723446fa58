package dev.certflow.sink.digest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One owner's digest for one period, computed from the views: what entered its renewal window (DUE)
 * since the last digest, what is overdue, what is failing to renew, what expires within the
 * horizon, and, in the default owner's digest, the same for the unowned certificates. Each section
 * lists at most {@link #MAX_ITEMS} certificates and counts them all.
 */
public record DigestReport(String digestId, String owner, Instant periodStart, Instant since, Duration horizon, ZoneId zone,
                           Map<String, Section> sections) {
    static final int MAX_ITEMS = 50;

    /** Every section present, in {@link #HEADINGS} order (a missing one is empty). */
    public DigestReport {
        Map<String, Section> all = new LinkedHashMap<>();
        for (String k : HEADINGS.keySet()) {
            all.put(k, sections.getOrDefault(k, new Section(0, List.of())));
        }
        sections = java.util.Collections.unmodifiableMap(all);
    }

    /** The sections in order, with their headings. */
    static final Map<String, String> HEADINGS = headings();

    /** One certificate in a section. */
    public record Item(String certKey, String name, String tenant, String source, Instant notAfter, String detail) {
    }

    /** The first {@link #MAX_ITEMS} items and the total. */
    public record Section(int total, List<Item> items) {
    }

    private static Map<String, String> headings() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("overdue", "Overdue for renewal");
        m.put("failing", "Renewal failing");
        m.put("enteredRenewalWindow", "Entered the renewal window");
        m.put("expiring", "Expiring within the horizon");
        m.put("unowned", "Unowned (no owners rule matches)");
        return m;
    }

    /** hex SHA-256 of owner and period start, 32 characters: the same digest always gets the same id. */
    public static String id(String owner, Instant periodStart) {
        try {
            byte[] h = MessageDigest.getInstance("SHA-256").digest((owner + "|" + periodStart).getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(h, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is not available", e);
        }
    }

    /** Items in all sections. */
    public int total() {
        return sections.values().stream().mapToInt(Section::total).sum();
    }

    private static final String NAME = "coalesce(c.common_name, c.name, x.cert_key)";

    /**
     * Computes the digest of {@code owner} for the period starting at {@code periodStart};
     * {@code includeUnowned} for the default owner.
     */
    public static DigestReport compute(Connection c, String owner, boolean includeUnowned, Instant periodStart, Instant since,
                                       Duration horizon, ZoneId zone) throws SQLException {
        Map<String, Section> sections = new LinkedHashMap<>();
        {
            for (boolean unowned : new boolean[]{false, true}) {
                if (unowned && !includeUnowned) {
                    sections.put("unowned", new Section(0, List.of()));
                    continue;
                }
                List<Item> overdue = query(c, "SELECT x.cert_key, " + NAME + ", x.tenant, x.source_name, x.not_after, "
                        + "'overdue since ' || to_char(x.renewal_overdue_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') || ' UTC' "
                        + "FROM certificate_renewals x LEFT JOIN certificates c ON c.cert_key = x.cert_key "
                        + "WHERE x.renewal_status = 'OVERDUE' AND " + owned(unowned) + " ORDER BY x.renewal_overdue_at, x.cert_key", binds(owner, unowned));
                List<Item> failing = query(c, "SELECT x.cert_key, " + NAME + ", x.tenant, x.source_name, c.not_after, "
                        + "x.consecutive_failures || ' failed attempts, last ' || coalesce(x.last_error_code, 'no error code') "
                        + "FROM failed_renewals x LEFT JOIN certificates c ON c.cert_key = x.cert_key "
                        + "WHERE " + owned(unowned) + " ORDER BY x.first_failure_at, x.cert_key", binds(owner, unowned));
                List<Item> due = query(c, "SELECT x.cert_key, " + NAME + ", x.tenant, x.source_name, x.not_after, "
                        + "'renewal expected ' || coalesce(to_char(x.expected_renewal_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'), 'now') "
                        + "FROM certificate_renewals x LEFT JOIN certificates c ON c.cert_key = x.cert_key "
                        + "WHERE x.renewal_status = 'DUE' AND x.evaluated_at >= ? AND x.evaluated_at < ? AND " + owned(unowned)
                        + " ORDER BY x.not_after, x.cert_key", binds(owner, unowned, since, periodStart));
                List<Item> expiring = query(c, "SELECT x.cert_key, " + NAME + ", x.tenant, x.source_name, x.not_after, "
                        + "CASE WHEN x.not_after < ? THEN 'expired' ELSE 'expires' END "
                        + "FROM (SELECT DISTINCT ON (cert_key) cert_key, owner, tenant, source_name, not_after FROM ("
                        + "SELECT cert_key, owner, tenant, source_name, not_after FROM expiring_certificates WHERE not_after IS NOT NULL "
                        + "UNION ALL SELECT cert_key, owner, tenant, source_name, not_after FROM certificate_renewals WHERE not_after IS NOT NULL) u "
                        + "ORDER BY cert_key) x LEFT JOIN certificates c ON c.cert_key = x.cert_key "
                        + "WHERE x.not_after < ? AND " + owned(unowned) + " ORDER BY x.not_after, x.cert_key",
                        binds(owner, unowned, periodStart, periodStart.plus(horizon)));
                if (!unowned) {
                    sections.put("overdue", section(overdue));
                    sections.put("failing", section(failing));
                    sections.put("enteredRenewalWindow", section(due));
                    sections.put("expiring", section(expiring));
                } else {
                    List<Item> all = new ArrayList<>();
                    overdue.forEach(i -> all.add(withDetail(i, "overdue: " + i.detail())));
                    failing.forEach(i -> all.add(withDetail(i, "failing: " + i.detail())));
                    due.forEach(i -> all.add(withDetail(i, "entered the renewal window: " + i.detail())));
                    expiring.forEach(i -> all.add(withDetail(i, i.detail())));
                    sections.put("unowned", section(all));
                }
            }
        }
        return new DigestReport(id(owner, periodStart), owner, periodStart, since, horizon, zone, sections);
    }

    private static String owned(boolean unowned) {
        return unowned ? "x.owner IS NULL" : "x.owner = ?";
    }

    /** The times first (in the order the query names them), then the owner unless the section is the unowned one. */
    private static Object[] binds(String owner, boolean unowned, Instant... times) {
        List<Object> out = new ArrayList<>();
        for (Instant t : times) {
            out.add(ts(t));
        }
        if (!unowned) {
            out.add(owner);
        }
        return out.toArray();
    }

    private static Item withDetail(Item i, String detail) {
        return new Item(i.certKey(), i.name(), i.tenant(), i.source(), i.notAfter(), detail);
    }

    private static Section section(List<Item> items) {
        return new Section(items.size(), List.copyOf(items.subList(0, Math.min(MAX_ITEMS, items.size()))));
    }

    private static List<Item> query(Connection c, String sql, Object... binds) throws SQLException {
        List<Item> out = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (int i = 0; i < binds.length; i++) {
                ps.setObject(i + 1, binds[i]);
            }
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    OffsetDateTime na = rs.getObject(5, OffsetDateTime.class);
                    out.add(new Item(rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4), na == null ? null : na.toInstant(),
                            rs.getString(6)));
                }
            }
        }
        return out;
    }

    private static OffsetDateTime ts(Instant i) {
        return OffsetDateTime.ofInstant(i, ZoneOffset.UTC);
    }

    // ---- rendering ----

    private static final ObjectMapper JSON = new ObjectMapper();

    /** The digest as the webhook receives it (and as stored in {@code digests.body}). */
    public String json() {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("digestId", digestId);
        doc.put("owner", owner);
        doc.put("periodStart", periodStart.toString());
        doc.put("since", since.toString());
        doc.put("horizonDays", horizon.toDays());
        Map<String, Object> counts = new LinkedHashMap<>();
        sections.forEach((k, v) -> counts.put(k, v.total()));
        doc.put("counts", counts);
        Map<String, Object> lists = new LinkedHashMap<>();
        sections.forEach((k, v) -> {
            List<Map<String, Object>> items = new ArrayList<>();
            for (Item i : v.items()) {
                Map<String, Object> m = new LinkedHashMap<>();
                m.put("certificateKey", i.certKey());
                m.put("name", i.name());
                m.put("tenant", i.tenant());
                m.put("source", i.source());
                m.put("notAfter", i.notAfter() == null ? null : i.notAfter().toString());
                m.put("detail", i.detail());
                items.add(m);
            }
            lists.put(k, items);
        });
        doc.put("sections", lists);
        try {
            return JSON.writeValueAsString(doc);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the digest as JSON", e);
        }
    }

    /** {@code certflow digest for payments: 2 overdue, 1 failing, 3 expiring within 30d}. */
    public String subject() {
        List<String> parts = new ArrayList<>();
        Map<String, String> words = Map.of("overdue", "overdue", "failing", "failing", "enteredRenewalWindow", "entered the renewal window",
                "expiring", "expiring within " + dev.certflow.sink.delivery.Payloads.human(horizon), "unowned", "unowned");
        HEADINGS.keySet().forEach(k -> {
            if (sections.get(k).total() > 0) {
                parts.add(sections.get(k).total() + " " + words.get(k));
            }
        });
        return "certflow digest for " + owner + ": " + (parts.isEmpty() ? "nothing to report" : String.join(", ", parts));
    }

    /** The readable text (e-mail body and Slack message). */
    public String text() {
        DateTimeFormatter local = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm").withZone(zone);
        StringBuilder sb = new StringBuilder();
        sb.append("certflow digest for ").append(owner).append(", ").append(local.format(periodStart)).append(' ').append(zone.getId())
                .append(" (since ").append(local.format(since)).append(")\n");
        if (total() == 0) {
            sb.append("\nNothing to report.\n");
        }
        HEADINGS.forEach((k, heading) -> {
            Section s = sections.get(k);
            if (s.total() == 0) {
                return;
            }
            sb.append('\n').append(heading).append(" (").append(s.total()).append("):\n");
            for (Item i : s.items()) {
                sb.append("- ").append(i.name()).append(" [").append(i.certKey()).append(']');
                if (i.tenant() != null) {
                    sb.append(", tenant ").append(i.tenant());
                }
                if (i.notAfter() != null) {
                    sb.append(", expires ").append(DateTimeFormatter.ISO_LOCAL_DATE.withZone(zone).format(i.notAfter()));
                }
                sb.append(": ").append(i.detail()).append('\n');
            }
            if (s.total() > s.items().size()) {
                sb.append("- and ").append(s.total() - s.items().size()).append(" more\n");
            }
        });
        sb.append("\ndigest id ").append(digestId).append('\n');
        return sb.toString();
    }

    /** The Slack incoming-webhook body of a digest. */
    public static String slack(String subject, String text) {
        try {
            return JSON.writeValueAsString(Map.of("text", "*" + subject + "*\n```" + text + "```"));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write the digest for Slack", e);
        }
    }
}
