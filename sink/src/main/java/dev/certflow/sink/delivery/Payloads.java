package dev.certflow.sink.delivery;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.certflow.events.Alert;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.schemas.CertificateKeys;

import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The request bodies of every channel, built from an {@link Alert}: pure functions, so the wire
 * formats are unit-tested without HTTP.
 */
public final class Payloads {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Payloads() {
    }

    /** Alertmanager API v2 {@code POST /api/v2/alerts} body: a list with one postable alert. */
    public static String alertmanager(Alert alert, Instant now) {
        Map<String, Object> am = new LinkedHashMap<>();
        am.put("labels", alertmanagerLabels(alert));
        Map<String, String> annotations = new LinkedHashMap<>();
        annotations.put("summary", alert.getSummary());
        annotations.put("description", details(alert));
        if (alert.getThreshold() != null) {
            annotations.put("threshold", alert.getThreshold());
        }
        am.put("annotations", annotations);
        am.put("startsAt", alert.getFiredAt().toString());
        if (alert.getStatus() == AlertStatus.RESOLVED) {
            Instant end = alert.getResolvedAt() != null ? alert.getResolvedAt() : now;
            am.put("endsAt", end.toString());
        }
        return write(List.of(am));
    }

    /** The labels that identify the alert in Alertmanager (names made valid: [a-zA-Z_][a-zA-Z0-9_]*). */
    public static Map<String, String> alertmanagerLabels(Alert alert) {
        Map<String, String> labels = new LinkedHashMap<>();
        alert.getLabels().forEach((k, v) -> {
            if (v != null && !v.isEmpty()) {
                labels.put(labelName(k), v);
            }
        });
        labels.put("alertname", alertName(alert));
        labels.put("alert_id", alert.getAlertId());
        labels.put("kind", alert.getKind().name().toLowerCase(Locale.ROOT));
        labels.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT));
        // the same three for every kind, from the fields (older records: their fallbacks)
        putIfPresent(labels, "source", AlertFields.sourceName(alert));
        putIfPresent(labels, "source_kind", sourceKindLabel(alert));
        putIfPresent(labels, "tenant", AlertFields.tenant(alert));
        putIfPresent(labels, "certificate_key", AlertFields.certificateKey(alert));
        putIfPresent(labels, "owner", alert.getOwner());
        labels.put("incident", AlertFields.incidentId(alert));
        labels.put("step", Integer.toString(Math.max(1, alert.getIncidentStep())));
        labels.put("service", "certflow");
        return labels;
    }

    /** The source kind as label values are written: lower case, like the {@code source_kind} label streams sets. */
    private static String sourceKindLabel(Alert alert) {
        String kind = AlertFields.sourceKindName(alert);
        return kind == null ? null : kind.toLowerCase(Locale.ROOT);
    }

    private static void putIfPresent(Map<String, String> labels, String name, String value) {
        if (value != null && !value.isEmpty()) {
            labels.put(name, value);
        }
    }

    /** {@code EXPIRING} -> {@code CertflowExpiring}, {@code SOURCE_DOWN} -> {@code CertflowSourceDown}. */
    public static String alertName(Alert alert) {
        StringBuilder sb = new StringBuilder("Certflow");
        for (String part : alert.getKind().name().split("_")) {
            sb.append(part.charAt(0)).append(part.substring(1).toLowerCase(Locale.ROOT));
        }
        return sb.toString();
    }

    private static String labelName(String key) {
        String name = key.replaceAll("[^A-Za-z0-9_]", "_");
        return name.isEmpty() || Character.isDigit(name.charAt(0)) ? "_" + name : name;
    }

    /**
     * PagerDuty Events API v2: trigger with payload, or resolve. The dedup_key is the incident, so
     * each escalation step re-triggers the same PagerDuty incident with its higher severity (the
     * RESOLVED of an escalated step is never sent: the sink does not route it here).
     */
    public static String pagerDuty(Alert alert, String routingKey) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("routing_key", routingKey);
        boolean resolved = alert.getStatus() == AlertStatus.RESOLVED;
        event.put("event_action", resolved ? "resolve" : "trigger");
        event.put("dedup_key", AlertFields.incidentId(alert));
        if (!resolved) {
            Map<String, Object> payload = new LinkedHashMap<>();
            String summary = escalation(alert) == null ? alert.getSummary() : alert.getSummary() + " (" + escalation(alert) + ")";
            payload.put("summary", summary.length() > 1024 ? summary.substring(0, 1024) : summary);
            payload.put("source", source(alert));
            payload.put("severity", alert.getSeverity().name().toLowerCase(Locale.ROOT)); // critical/error/warning/info
            payload.put("timestamp", alert.getFiredAt().toString());
            payload.put("component", component(alert));
            String tenant = AlertFields.tenant(alert);
            if (tenant != null) {
                payload.put("group", tenant);
            }
            payload.put("class", alert.getKind().name().toLowerCase(Locale.ROOT));
            payload.put("custom_details", customDetails(alert));
            event.put("payload", payload);
            event.put("client", "certflow");
        }
        return write(event);
    }

    /** PagerDuty Events API v2 {@code acknowledge} of the alert's incident (dedup_key = incident id). */
    public static String pagerDutyAcknowledge(Alert alert, String routingKey) {
        Map<String, Object> event = new LinkedHashMap<>();
        event.put("routing_key", routingKey);
        event.put("event_action", "acknowledge");
        event.put("dedup_key", AlertFields.incidentId(alert));
        return write(event);
    }

    /**
     * The alert as its escalation target receives it: the summary says it was not acknowledged in
     * time, and the labels name the target ({@code escalated_to}).
     */
    public static Alert escalated(Alert alert, String target, java.time.Duration after) {
        Map<String, String> labels = new LinkedHashMap<>(alert.getLabels());
        labels.put("escalated_to", target);
        return Alert.newBuilder(alert).setSummary("Not acknowledged within " + human(after) + ", escalated to " + target + ": " + alert.getSummary())
                .setLabels(labels).build();
    }

    /** {@code 30m}, {@code 2h}, {@code 1d}, else the ISO form. */
    public static String human(java.time.Duration d) {
        long s = d.getSeconds();
        if (s % 86_400 == 0) {
            return s / 86_400 + "d";
        }
        if (s % 3_600 == 0) {
            return s / 3_600 + "h";
        }
        if (s % 60 == 0) {
            return s / 60 + "m";
        }
        return d.toString();
    }

    /** Slack incoming webhook: a readable message, resolved ones marked as such. */
    public static String slack(Alert alert) {
        return write(Map.of("text", slackText(alert)));
    }

    static String slackText(Alert alert) {
        boolean resolved = alert.getStatus() == AlertStatus.RESOLVED;
        StringBuilder sb = new StringBuilder();
        sb.append(resolved ? ":white_check_mark: *[RESOLVED]* " : ":rotating_light: *[FIRING]* ")
                .append('[').append(alert.getSeverity()).append("] ")
                .append(alert.getSummary());
        if (escalation(alert) != null) {
            sb.append("\n:arrow_double_up: ").append(escalation(alert));
        }
        sb.append("\nkind: ").append(alert.getKind());
        if (alert.getThreshold() != null) {
            sb.append(" · threshold: ").append(alert.getThreshold());
        }
        String tenant = AlertFields.tenant(alert);
        if (tenant != null) {
            sb.append(" · tenant: ").append(tenant);
        }
        sb.append(" · source: ").append(source(alert));
        if (sourceKindLabel(alert) != null) {
            sb.append(" (").append(sourceKindLabel(alert)).append(')');
        }
        if (alert.getCertificateKey() != null) {
            sb.append("\ncertificate: `").append(CertificateKeys.format(alert.getCertificateKey())).append('`');
        }
        Certificate c = alert.getCertificate();
        if (c != null && c.getNotAfter() != null) {
            sb.append(" · expires ").append(c.getNotAfter());
        }
        sb.append("\nfired ").append(alert.getFiredAt());
        if (resolved && alert.getResolvedAt() != null) {
            sb.append(" · resolved ").append(alert.getResolvedAt());
        }
        sb.append(" · alert id `").append(alert.getAlertId()).append('`');
        return sb.toString();
    }

    /** The generic webhook's JSON document. */
    public static String webhook(Alert alert) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("alertId", alert.getAlertId());
        doc.put("status", alert.getStatus().name());
        doc.put("kind", alert.getKind().name());
        doc.put("severity", alert.getSeverity().name());
        doc.put("threshold", alert.getThreshold());
        doc.put("summary", alert.getSummary());
        doc.put("certificateKey", alert.getCertificateKey() == null ? null : CertificateKeys.format(alert.getCertificateKey()));
        doc.put("tenant", AlertFields.tenant(alert));
        doc.put("source", AlertFields.sourceName(alert));
        doc.put("sourceKind", AlertFields.sourceKindName(alert));
        doc.put("firedAt", alert.getFiredAt().toString());
        doc.put("resolvedAt", alert.getResolvedAt() == null ? null : alert.getResolvedAt().toString());
        doc.put("labels", new LinkedHashMap<>(alert.getLabels()));
        doc.put("certificate", certificate(alert.getCertificate()));
        doc.put("owner", alert.getOwner());
        doc.put("incidentId", AlertFields.incidentId(alert));
        doc.put("incidentStep", Math.max(1, alert.getIncidentStep()));
        doc.put("escalatedFrom", alert.getEscalatedFrom());
        doc.put("escalation", escalation(alert));
        doc.put("resolution", AlertFields.resolution(alert) == null ? null : AlertFields.resolution(alert).name());
        return write(doc);
    }

    /**
     * The webhook's Idempotency-Key: the same transition always gets the same key (a redelivery is
     * a duplicate), while a new firing of the same condition after a resolve gets a new one.
     */
    public static String idempotencyKey(Alert alert) {
        return alert.getAlertId() + ":" + alert.getStatus() + ":" + alert.getFiredAt().toEpochMilli();
    }

    /** {@code sha256=<lower-case hex HMAC-SHA256 of body under secret>}. */
    public static String signature(String secret, byte[] body) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(secret.getBytes(StandardCharsets.UTF_8), "HmacSHA256"));
            return "sha256=" + HexFormat.of().formatHex(mac.doFinal(body));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HmacSHA256 is not available", e);
        }
    }

    /** One line for the console channel. */
    public static String consoleLine(Alert alert) {
        StringBuilder sb = new StringBuilder();
        Instant at = alert.getStatus() == AlertStatus.RESOLVED && alert.getResolvedAt() != null ? alert.getResolvedAt() : alert.getFiredAt();
        sb.append(at).append(' ').append(alert.getStatus()).append(' ').append(alert.getSeverity()).append(' ').append(alert.getKind());
        if (alert.getCertificateKey() != null) {
            sb.append(' ').append(CertificateKeys.format(alert.getCertificateKey()));
        } else {
            sb.append(" source ").append(source(alert));
        }
        sb.append(" - ").append(alert.getSummary().replace('\n', ' ')).append(" (alert ").append(alert.getAlertId());
        if (escalation(alert) != null) {
            sb.append(", ").append(escalation(alert));
        }
        sb.append(')');
        return sb.toString();
    }

    /**
     * {@code escalation of <incident>, step N (from <alert id>)} for a FIRING step after the
     * incident's first; null otherwise (a first step is a new problem, not an escalation).
     */
    public static String escalation(Alert alert) {
        if (alert.getStatus() != AlertStatus.FIRING || alert.getIncidentStep() <= 1) {
            return null;
        }
        return "escalation of " + AlertFields.incidentId(alert) + ", step " + alert.getIncidentStep()
                + (alert.getEscalatedFrom() == null ? "" : " (from " + alert.getEscalatedFrom() + ")");
    }

    /** The source name for channels that need one (PagerDuty's required {@code source}). */
    static String source(Alert alert) {
        String s = AlertFields.sourceName(alert);
        return s == null ? "certflow" : s;
    }

    private static String component(Alert alert) {
        Certificate c = alert.getCertificate();
        if (c != null && c.getCommonName() != null) {
            return c.getCommonName();
        }
        return alert.getCertificateKey() == null ? source(alert) : CertificateKeys.format(alert.getCertificateKey());
    }

    private static Map<String, Object> customDetails(Alert alert) {
        Map<String, Object> d = new LinkedHashMap<>();
        d.put("alert_id", alert.getAlertId());
        d.put("kind", alert.getKind().name());
        d.put("threshold", alert.getThreshold());
        d.put("certificate_key", AlertFields.certificateKey(alert));
        d.put("source", AlertFields.sourceName(alert));
        d.put("source_kind", AlertFields.sourceKindName(alert));
        d.put("tenant", AlertFields.tenant(alert));
        d.put("fired_at", alert.getFiredAt().toString());
        d.put("certificate", certificate(alert.getCertificate()));
        d.put("labels", new LinkedHashMap<>(alert.getLabels()));
        return d;
    }

    private static String details(Alert alert) {
        List<String> parts = new ArrayList<>();
        parts.add("kind " + alert.getKind());
        if (alert.getCertificateKey() != null) {
            parts.add("certificate " + CertificateKeys.format(alert.getCertificateKey()));
        }
        Certificate c = alert.getCertificate();
        if (c != null) {
            if (c.getCommonName() != null) {
                parts.add("common name " + c.getCommonName());
            }
            parts.add(c.getNotAfter() != null ? "expires " + c.getNotAfter() : "expiry " + c.getExpiryStatus());
        }
        if (alert.getThreshold() != null) {
            parts.add("threshold " + alert.getThreshold());
        }
        parts.add("alert id " + alert.getAlertId());
        return String.join("; ", parts);
    }

    private static Map<String, Object> certificate(Certificate c) {
        if (c == null) {
            return null;
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("name", c.getName());
        m.put("commonName", c.getCommonName());
        m.put("sans", c.getSans());
        m.put("type", c.getType().name());
        m.put("expiryStatus", c.getExpiryStatus().name());
        m.put("notAfter", c.getNotAfter() == null ? null : c.getNotAfter().toString());
        m.put("issuer", c.getIssuer());
        m.put("status", c.getStatus());
        return m;
    }

    private static String write(Object o) {
        try {
            return JSON.writeValueAsString(o);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot write a payload as JSON", e);
        }
    }
}
