package dev.certflow.sink.delivery;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertResolution;
import dev.certflow.events.AlertStatus;
import dev.certflow.events.SourceKind;
import dev.certflow.schemas.CertificateKeys;

import java.util.Locale;

/**
 * The source name, source kind, tenant and certificate key of an alert, the same for every alert
 * kind: routes, every channel's payload and the {@code alert_history} row all read them here, so
 * they cannot disagree. Alerts carry them as fields ({@code sourceName}, {@code sourceKind},
 * {@code tenant}); records written before those fields existed fall back to the certificate key,
 * then to the labels of that time (SOURCE_DOWN then put the kind in {@code source} and the name in
 * {@code instance}).
 */
public final class AlertFields {
    private AlertFields() {
    }

    /** The tenant, or null where there is none (SOURCE_DOWN, sources without tenants). */
    public static String tenant(Alert alert) {
        if (alert.getTenant() != null) {
            return alert.getTenant();
        }
        if (alert.getCertificateKey() != null) {
            return alert.getCertificateKey().getTenant();
        }
        return alert.getLabels().get("tenant");
    }

    /** The source instance name (for example {@code lg-badtoken}); null only for a record that names none. */
    public static String sourceName(Alert alert) {
        if (alert.getSourceName() != null) {
            return alert.getSourceName();
        }
        if (alert.getCertificateKey() != null) {
            return alert.getCertificateKey().getSourceName();
        }
        String legacyInstance = alert.getLabels().get("instance");
        return legacyInstance != null ? legacyInstance : alert.getLabels().get("source");
    }

    /** The source kind, or null when the record does not say. */
    public static SourceKind sourceKind(Alert alert) {
        if (alert.getSourceKind() != null) {
            return alert.getSourceKind();
        }
        if (alert.getCertificateKey() != null) {
            return alert.getCertificateKey().getSourceKind();
        }
        String kind = alert.getLabels().containsKey("instance") ? alert.getLabels().get("source") : alert.getLabels().get("source_kind");
        if (kind != null) {
            try {
                return SourceKind.valueOf(kind.toUpperCase(Locale.ROOT));
            } catch (IllegalArgumentException e) {
                return null;
            }
        }
        return null;
    }

    /** {@link #sourceKind} as its enum name (LEEGALITY, SMOXY, YEASTAR), or null. */
    public static String sourceKindName(Alert alert) {
        SourceKind kind = sourceKind(alert);
        return kind == null ? null : kind.name();
    }

    /** The certificate key's string form, or null for alerts about a source. */
    public static String certificateKey(Alert alert) {
        return alert.getCertificateKey() == null ? null : CertificateKeys.format(alert.getCertificateKey());
    }

    /** Why a RESOLVED alert ended (records written before the field existed: CLEARED); null for FIRING. */
    public static AlertResolution resolution(Alert alert) {
        if (alert.getStatus() != AlertStatus.RESOLVED) {
            return null;
        }
        return alert.getResolution() == null ? AlertResolution.CLEARED : alert.getResolution();
    }

    /** True for the RESOLVED of a step replaced by a more severe step of the same incident: not a recovery. */
    public static boolean isEscalatedAway(Alert alert) {
        return resolution(alert) == AlertResolution.ESCALATED;
    }

    /** The incident the alert is a step of; records written before incidents existed are an incident of their own. */
    public static String incidentId(Alert alert) {
        return alert.getIncidentId() != null ? alert.getIncidentId() : alert.getAlertId();
    }
}
