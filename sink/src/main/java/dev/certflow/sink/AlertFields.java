package dev.certflow.sink;

import dev.certflow.events.Alert;
import dev.certflow.schemas.CertificateKeys;

/** Reads the tenant, source and certificate key of an alert, wherever the streams module put them. */
final class AlertFields {
    private AlertFields() {
    }

    static String tenant(Alert alert) {
        if (alert.getCertificateKey() != null && alert.getCertificateKey().getTenant() != null) {
            return alert.getCertificateKey().getTenant();
        }
        return alert.getLabels().get("tenant");
    }

    static String source(Alert alert) {
        if (alert.getCertificateKey() != null) {
            return alert.getCertificateKey().getSourceName();
        }
        String s = alert.getLabels().get("source");
        return s != null ? s : alert.getLabels().get("instance");
    }

    static String sourceKind(Alert alert) {
        return alert.getCertificateKey() == null ? null : alert.getCertificateKey().getSourceKind().name();
    }

    static String certificateKey(Alert alert) {
        return alert.getCertificateKey() == null ? null : CertificateKeys.format(alert.getCertificateKey());
    }
}
