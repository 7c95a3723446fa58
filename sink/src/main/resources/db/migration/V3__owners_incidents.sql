-- Issue 12: owners and incidents in the views.
-- owner: the owning team by the owners rules (null = unowned); the rows' topics carry it.
ALTER TABLE expiring_certificates ADD COLUMN owner text;
ALTER TABLE failed_renewals ADD COLUMN owner text;
ALTER TABLE certificate_renewals ADD COLUMN owner text;
CREATE INDEX expiring_certificates_owner_idx ON expiring_certificates (owner, not_after);
CREATE INDEX failed_renewals_owner_idx ON failed_renewals (owner);
CREATE INDEX certificate_renewals_owner_idx ON certificate_renewals (owner);

ALTER TABLE alert_history
    ADD COLUMN owner          text,
    ADD COLUMN incident_id    text,
    ADD COLUMN incident_step  integer NOT NULL DEFAULT 1 CHECK (incident_step >= 1),
    ADD COLUMN escalated_from text,
    ADD COLUMN resolution     text CHECK (resolution IN ('CLEARED', 'ESCALATED', 'REPLACED', 'REMOVED'));
CREATE INDEX alert_history_owner_idx ON alert_history (owner, fired_at);
CREATE INDEX alert_history_incident_idx ON alert_history (incident_id, incident_step);
