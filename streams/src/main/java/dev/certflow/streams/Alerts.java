package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.AlertResolution;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceKind;
import dev.certflow.runtime.owners.OwnerRules;
import dev.certflow.schemas.CertificateKeys;
import org.apache.kafka.streams.processor.api.ProcessorContext;
import org.apache.kafka.streams.processor.api.Record;
import org.apache.kafka.streams.state.KeyValueStore;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The alert lifecycle over a store of active (FIRING) alerts keyed by {@code slot} (for example
 * {@code EXPIRY|<certificate key>}): firing an alert whose id is already active does nothing, so a
 * repeated input never repeats an alert; resolving emits the same id with status RESOLVED once.
 * Ids are deterministic (SHA-256 of kind, subject and episode), so a rebuilt state gives the same ids.
 * Every alert kind carries the same source fields and labels ({@link #labels}), so a route on a
 * source name, kind or tenant selects every kind alike.
 *
 * <p>Each alert is a step of an incident ({@code incidentId}, deterministic: for expiry the episode of
 * one notAfter, so RENEWAL_OVERDUE, each EXPIRING floor and EXPIRED are its steps; for every other
 * kind the alert itself). Firing a step while an earlier step of the same incident is active (in the
 * same slot or in one of the given earlier slots) numbers it one higher and names the step it
 * escalated from; a step replaced in its slot by a step of the same incident that is at least as
 * severe resolves ESCALATED, not as a recovery. Every step keeps its own id and its own FIRING and
 * RESOLVED records. Every alert carries its owner (null = unowned) from the owners rules.
 */
final class Alerts {
    private final KeyValueStore<String, Alert> active;
    private final CertflowMetrics metrics;
    private final String sink;
    private final Listener listener;
    private final OwnerRules owners;

    /** Told of every FIRING and RESOLVED this lifecycle emits (the dashboard's history and counts). */
    interface Listener {
        void emitted(Alert alert, long now);
    }

    Alerts(KeyValueStore<String, Alert> active, CertflowMetrics metrics, String sink, OwnerRules owners) {
        this(active, metrics, sink, owners, (a, now) -> { });
    }

    Alerts(KeyValueStore<String, Alert> active, CertflowMetrics metrics, String sink, OwnerRules owners, Listener listener) {
        this.active = active;
        this.metrics = metrics;
        this.sink = sink;
        this.owners = owners;
        this.listener = listener;
    }

    /** The incident of one episode that several alerts are steps of (for example EXPIRY, key, notAfter). */
    static String incidentId(String group, String subject, String episode) {
        return "incident-" + group.toLowerCase(Locale.ROOT) + "-" + hash("INCIDENT\n" + group + '\n' + subject + '\n' + episode);
    }

    /** The incident of an alert that is an incident of its own. */
    static String ownIncident(String alertId) {
        return "incident-" + alertId;
    }

    static String id(AlertKind kind, String subject, String episode) {
        return kind.name().toLowerCase(Locale.ROOT) + "-" + hash(kind.name() + '\n' + subject + '\n' + episode);
    }

    private static String hash(String text) {
        try {
            byte[] d = MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
            return HexFormat.of().formatHex(d, 0, 16);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String slot(String group, String subject) {
        return group + '|' + subject;
    }

    Alert activeIn(String slot) {
        return active.get(slot);
    }

    /**
     * Fires {@code alert} in {@code slot} unless it is already the active one; resolves a different
     * active one first. {@code earlierStepSlots}: other slots of the same subject that may hold an
     * earlier step of the alert's incident.
     */
    void fire(ProcessorContext<String, Object> ctx, String slot, Alert alert, long now, String replacedReason, String... earlierStepSlots) {
        Alert current = active.get(slot);
        if (current != null && current.getAlertId().equals(alert.getAlertId())) {
            return;
        }
        alert.setOwner(Owners.of(owners, alert));
        Alert previous = sameIncident(current, alert) ? current : null;
        for (String other : earlierStepSlots) {
            Alert candidate = active.get(other);
            if (sameIncident(candidate, alert) && (previous == null || candidate.getIncidentStep() > previous.getIncidentStep())) {
                previous = candidate;
            }
        }
        if (previous != null) {
            alert.setIncidentStep(previous.getIncidentStep() + 1);
            alert.setEscalatedFrom(previous.getAlertId());
        }
        if (current != null) {
            // more severe = lower ordinal (CRITICAL first)
            boolean escalated = sameIncident(current, alert) && alert.getSeverity().ordinal() <= current.getSeverity().ordinal();
            resolve(ctx, slot, now, replacedReason, escalated ? AlertResolution.ESCALATED : AlertResolution.REPLACED);
        }
        active.put(slot, alert);
        ctx.forward(new Record<>(alert.getAlertId(), alert, now), sink);
        metrics.alertFired(alert.getKind());
        listener.emitted(alert, now);
    }

    private static boolean sameIncident(Alert a, Alert b) {
        return a != null && a.getIncidentId() != null && a.getIncidentId().equals(b.getIncidentId());
    }

    /** Resolves the active alert in {@code slot}, if any: its condition cleared. */
    void resolve(ProcessorContext<String, Object> ctx, String slot, long now, String reason) {
        resolve(ctx, slot, now, reason, AlertResolution.CLEARED);
    }

    /** Resolves the active alert in {@code slot}, if any, for {@code resolution}. */
    void resolve(ProcessorContext<String, Object> ctx, String slot, long now, String reason, AlertResolution resolution) {
        Alert current = active.get(slot);
        if (current == null) {
            return;
        }
        active.delete(slot);
        Alert resolved = Alert.newBuilder(current)
                .setStatus(AlertStatus.RESOLVED)
                .setResolution(resolution)
                .setResolvedAt(Instant.ofEpochMilli(now))
                .setSummary(trim("Resolved (" + reason + "): " + current.getSummary()))
                .build();
        ctx.forward(new Record<>(resolved.getAlertId(), resolved, now), sink);
        metrics.alertResolved(current.getKind());
        listener.emitted(resolved, now);
    }

    /** A certificate alert: source, kind and tenant come from the certificate key. */
    static Alert build(String id, AlertKind kind, Severity severity, String threshold, String summary,
                       CertificateKey key, Certificate certificate, long now) {
        String keyString = CertificateKeys.format(key);
        Map<String, String> labels = labels(key.getSourceKind(), key.getSourceName(), key.getTenant());
        if (certificate != null && (certificate.getDepartmentName() != null || certificate.getDepartmentId() != null)) {
            labels.put("department", certificate.getDepartmentName() != null ? certificate.getDepartmentName() : certificate.getDepartmentId());
        }
        labels.put("certificate", displayName(certificate, key));
        labels.put("certificate_key", keyString);
        return builder(id, kind, severity, threshold, summary, now, key.getSourceKind(), key.getSourceName(), key.getTenant(), labels)
                .setCertificateKey(key)
                .setCertificate(certificate)
                .build();
    }

    /** An alert about a source as a whole (SOURCE_DOWN): no certificate, no tenant. */
    static Alert buildForSource(String id, AlertKind kind, Severity severity, String threshold, String summary,
                                SourceKind sourceKind, String sourceName, long now) {
        return builder(id, kind, severity, threshold, summary, now, sourceKind, sourceName, null,
                labels(sourceKind, sourceName, null)).build();
    }

    private static Alert.Builder builder(String id, AlertKind kind, Severity severity, String threshold, String summary, long now,
                                         SourceKind sourceKind, String sourceName, String tenant, Map<String, String> labels) {
        return Alert.newBuilder()
                .setAlertId(id)
                .setKind(kind)
                .setStatus(AlertStatus.FIRING)
                .setSeverity(severity)
                .setThreshold(threshold)
                .setSummary(trim(summary))
                .setIncidentId(ownIncident(id))
                .setFiredAt(Instant.ofEpochMilli(now))
                .setResolvedAt(null)
                .setSourceName(sourceName)
                .setSourceKind(sourceKind)
                .setTenant(tenant)
                .setLabels(labels);
    }

    /**
     * The labels every alert kind starts with, with one meaning everywhere: {@code source} is the
     * source instance name, {@code source_kind} its kind in lower case, {@code tenant} only where there is one.
     */
    static Map<String, String> labels(SourceKind sourceKind, String sourceName, String tenant) {
        Map<String, String> labels = new LinkedHashMap<>();
        labels.put("source", sourceName);
        labels.put("source_kind", sourceKind.name().toLowerCase(Locale.ROOT));
        if (tenant != null) {
            labels.put("tenant", tenant);
        }
        return labels;
    }

    static String displayName(Certificate c, CertificateKey key) {
        if (c != null && c.getName() != null && !c.getName().isBlank()) {
            return c.getName();
        }
        if (c != null && c.getCommonName() != null && !c.getCommonName().isBlank()) {
            return c.getCommonName();
        }
        return key.getSourceId();
    }

    static String abbreviate(String s, int max) {
        String one = s.replaceAll("[\\r\\n]+", " ");
        return one.length() > max ? one.substring(0, max - 3) + "..." : one;
    }

    static String trim(String s) {
        String one = s.replaceAll("[\\r\\n]+", " ");
        return one.length() > 500 ? one.substring(0, 497) + "..." : one;
    }
}
