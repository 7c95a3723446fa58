package dev.certflow.streams;

import dev.certflow.events.Alert;
import dev.certflow.events.AlertKind;
import dev.certflow.events.Certificate;
import dev.certflow.events.CertificateKey;
import dev.certflow.events.PollOutcome;
import dev.certflow.events.Severity;
import dev.certflow.events.SourceStatus;
import dev.certflow.schemas.CertificateKeys;

import java.time.Instant;
import java.util.List;
import java.util.Locale;

/**
 * Every alert certflow raises is built here, one method per kind: its id (the episode that makes it
 * unique), severity, threshold and text. Alerts are fired once per episode and never re-sent with
 * new text, so each text says only what stays true while the alert is open. The lifecycle (fire
 * once, resolve once) is {@link Alerts}'.
 */
final class AlertKinds {
    /** Alert slots: one active alert per slot and certificate. */
    static final String EXPIRY_SLOT = "EXPIRY";
    static final String UNKNOWN_SLOT = "EXPIRY_UNKNOWN";
    static final String RENEWAL_SLOT = "RENEWAL_FAILED";
    static final String OVERDUE_SLOT = "RENEWAL_OVERDUE";
    static final String NOT_DEPLOYED_SLOT = "RENEWED_NOT_DEPLOYED";
    static final String DRIFT_SLOT = "RENEWAL_DRIFT";
    /** Every slot of a certificate, for its removal. */
    static final List<String> SLOTS = List.of(EXPIRY_SLOT, UNKNOWN_SLOT, RENEWAL_SLOT, OVERDUE_SLOT, NOT_DEPLOYED_SLOT, DRIFT_SLOT);

    private AlertKinds() {
    }

    /** EXPIRING for a threshold bucket, EXPIRED for the expired one; the episode is (bucket, notAfter). */
    static Alert expiry(String key, Certificate c, ExpiryRules.Bucket b, long now) {
        long notAfter = c.getNotAfter().toEpochMilli();
        AlertKind kind = b.expired() ? AlertKind.EXPIRED : AlertKind.EXPIRING;
        String name = Alerts.displayName(c, c.getKey());
        String summary = b.expired()
                ? "Certificate " + name + " (" + key + ") expired at " + c.getNotAfter() + "; replace it now"
                : "Certificate " + name + " (" + key + ") expires in " + ExpiryRules.daysLeft(notAfter, now)
                  + " days (" + c.getNotAfter() + ", threshold " + b.label() + "); renew it";
        Alert a = Alerts.build(Alerts.id(kind, key, b.label() + "@" + notAfter), kind, b.severity(), b.label(), summary,
                c.getKey(), c, now);
        a.setIncidentId(expiryIncident(key, notAfter));
        return a;
    }

    /** The incident of one expiry episode (one notAfter): RENEWAL_OVERDUE, every EXPIRING floor and EXPIRED are its steps. */
    static String expiryIncident(String key, long notAfter) {
        return Alerts.incidentId(EXPIRY_SLOT, key, Long.toString(notAfter));
    }

    /** EXPIRY_UNKNOWN: one per episode of unknown expiry, which starts with this record. */
    static Alert expiryUnknown(String key, Certificate c, long now) {
        String raw = c.getNotAfterRaw() == null ? "" : ", source value '" + Alerts.abbreviate(c.getNotAfterRaw(), 64) + "'";
        String summary = "Certificate " + Alerts.displayName(c, c.getKey()) + " (" + key + ") has no usable expiry ("
                + c.getExpiryStatus() + raw + "); check it at the source";
        return Alerts.build(Alerts.id(AlertKind.EXPIRY_UNKNOWN, key, Long.toString(c.getObservedAt().toEpochMilli())),
                AlertKind.EXPIRY_UNKNOWN, Severity.WARNING, c.getExpiryStatus().name(), summary, c.getKey(), c, now);
    }

    /** RENEWAL_FAILED: one per streak, named after the attempt that opened it; the row keeps the count. */
    static Alert renewalFailed(String key, CertificateKey certificateKey, Certificate c, RenewalState.Failure first, long now) {
        String name = Alerts.displayName(c, certificateKey);
        String error = first.errorCode() == null && first.errorMessage() == null ? "no error given"
                : (first.errorCode() == null ? "" : first.errorCode() + ": ")
                  + (first.errorMessage() == null ? "" : Alerts.abbreviate(first.errorMessage(), 200));
        String summary = "Renewal of certificate " + name + " (" + key + ") is failing: attempt " + first.attemptId()
                + " failed at " + Instant.ofEpochMilli(first.at()) + " (" + error + ")"
                + "; the failed_renewals row keeps the current count and last error";
        return Alerts.build(Alerts.id(AlertKind.RENEWAL_FAILED, key, first.attemptId()),
                AlertKind.RENEWAL_FAILED, Severity.ERROR, "renewal-failed", summary, certificateKey, c, now);
    }

    /** RENEWAL_OVERDUE: one per generation (key, notAfter); resolved when a renewal is observed. */
    static Alert renewalOverdue(String key, Certificate c, RenewalPolicy.Plan plan, long now) {
        String summary = "Certificate " + Alerts.displayName(c, c.getKey()) + " (" + key + ") was expected to be renewed by "
                + Instant.ofEpochMilli(plan.expectedAt()) + " (" + plan.mode().name().toLowerCase(Locale.ROOT) + " renewal, policy "
                + plan.label() + ") and no renewal has been seen; it expires at " + c.getNotAfter();
        Alert a = Alerts.build(Alerts.id(AlertKind.RENEWAL_OVERDUE, key, Long.toString(c.getNotAfter().toEpochMilli())),
                AlertKind.RENEWAL_OVERDUE, Severity.WARNING, plan.label(), summary, c.getKey(), c, now);
        a.setIncidentId(expiryIncident(key, c.getNotAfter().toEpochMilli()));
        return a;
    }

    /** RENEWED_NOT_DEPLOYED: one per (holder, holder notAfter, renewed certificate); names both holders. */
    static Alert renewedNotDeployed(String key, Certificate c, CertificateKey renewed, long renewedNotAfter, long now) {
        String renewedKey = CertificateKeys.format(renewed);
        String summary = "Certificate " + Alerts.displayName(c, c.getKey()) + " held by " + holder(c.getKey()) + " (" + key
                + ") still expires at " + c.getNotAfter() + ", but " + holder(renewed) + " holds a renewed certificate for the same names ("
                + renewedKey + ", expires " + Instant.ofEpochMilli(renewedNotAfter) + "); deploy it here";
        Alert a = Alerts.build(Alerts.id(AlertKind.RENEWED_NOT_DEPLOYED, key, c.getNotAfter().toEpochMilli() + "|" + renewedKey),
                AlertKind.RENEWED_NOT_DEPLOYED, Severity.WARNING, "renewed-not-deployed", summary, c.getKey(), c, now);
        a.getLabels().put("renewed_certificate_key", renewedKey);
        a.getLabels().put("renewed_source", renewed.getSourceName());
        return a;
    }

    /** RENEWAL_DRIFT: one per renewal (key, new notAfter, what replaced it) that dropped a name or changed issuer. */
    static Alert drift(String key, Certificate renewed, List<String> dropped, String oldIssuer, String newIssuer, String replacement,
                       long newNotAfter, long now) {
        StringBuilder what = new StringBuilder();
        if (!dropped.isEmpty()) {
            what.append("dropped ").append(String.join(", ", dropped));
        }
        if (oldIssuer != null) {
            if (!what.isEmpty()) {
                what.append("; ");
            }
            what.append("issuer changed from ").append(oldIssuer).append(newIssuer == null ? "" : " to " + newIssuer);
        }
        String by = replacement == null ? "renewal to expiry " + Instant.ofEpochMilli(newNotAfter)
                : "replacement " + replacement + " (expires " + Instant.ofEpochMilli(newNotAfter) + ")";
        String summary = "The " + by + " of certificate " + Alerts.displayName(renewed, renewed.getKey()) + " (" + key + ") " + what
                + "; check that every name is still served";
        return Alerts.build(Alerts.id(AlertKind.RENEWAL_DRIFT, key, newNotAfter + (replacement == null ? "" : "|" + replacement)),
                AlertKind.RENEWAL_DRIFT, Severity.INFO, dropped.isEmpty() ? "issuer-changed" : "san-dropped", summary,
                renewed.getKey(), renewed, now);
    }

    /** SOURCE_DOWN: one per outage, named after its first failed poll; source_status keeps the count. */
    static Alert sourceDown(String source, SourceStatus s, int failures, long firstFailure, int downAfter, long now) {
        String error = (s.getErrorKind() == null ? "unknown" : s.getErrorKind())
                + (s.getErrorMessage() == null ? "" : ": " + Alerts.abbreviate(s.getErrorMessage(), 200));
        String summary = "Source " + source + " (" + s.getSourceKind().name().toLowerCase(Locale.ROOT) + ") is down: every poll since "
                + Instant.ofEpochMilli(firstFailure) + " failed (" + failures + " in a row when this alert fired, the last with "
                + error + ")";
        return Alerts.buildForSource(Alerts.id(AlertKind.SOURCE_DOWN, source, Long.toString(firstFailure)),
                AlertKind.SOURCE_DOWN, Severity.ERROR, downAfter + "-failed-polls", summary, s.getSourceKind(), source, now);
    }

    /** The RESOLVED reason of SOURCE_DOWN after a good poll. */
    static String sourceUp(PollOutcome outcome, int failedBefore) {
        return "poll " + outcome.name().toLowerCase(Locale.ROOT) + (failedBefore == 0 ? "" : " after " + failedBefore + " failed polls");
    }

    private static String holder(CertificateKey k) {
        return k.getSourceKind().name().toLowerCase(Locale.ROOT) + " source " + k.getSourceName()
                + (k.getTenant() == null ? "" : " (tenant " + k.getTenant() + ")");
    }
}
