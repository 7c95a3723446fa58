-- certflow sink, issue 11: renewal-aware views.
-- The alert kinds of the renewal policy, every certificate's renewal state, its renewal history,
-- and every renewal attempt. Existing rows keep their values; the new expiring_certificates columns
-- are filled as streams rewrites each row (UNKNOWN / null until then).

-- RENEWAL_OVERDUE, RENEWED_NOT_DEPLOYED and RENEWAL_DRIFT (V1 refused them, so the sink dead-lettered them).
ALTER TABLE alert_history DROP CONSTRAINT alert_history_kind_check;
ALTER TABLE alert_history ADD CONSTRAINT alert_history_kind_check CHECK (kind IN ('EXPIRING', 'EXPIRED', 'RENEWAL_FAILED',
    'EXPIRY_UNKNOWN', 'SOURCE_DOWN', 'RENEWAL_OVERDUE', 'RENEWED_NOT_DEPLOYED', 'RENEWAL_DRIFT'));
CREATE INDEX alert_history_kind_idx ON alert_history (kind, fired_at);

-- Topic certificates-expiring: the renewal state of each row (ExpiringCertificate v2).
ALTER TABLE expiring_certificates
    ADD COLUMN renewal_status      text NOT NULL DEFAULT 'UNKNOWN'
        CONSTRAINT expiring_certificates_renewal_status_check CHECK (renewal_status IN ('SCHEDULED', 'DUE', 'OVERDUE', 'RENEWED', 'UNKNOWN')),
    ADD COLUMN expected_renewal_at timestamptz,
    ADD COLUMN renewal_overdue_at  timestamptz,
    ADD COLUMN renewal_policy      text,
    ADD COLUMN replaced_by         text;
CREATE INDEX expiring_certificates_renewal_status_idx ON expiring_certificates (renewal_status, renewal_overdue_at);

-- Topic certificate-renewals (compacted): where every certificate stands in its renewal cycle, not only
-- those in the expiring table; a tombstone = the certificate was removed. Empty while the policy is disabled.
CREATE TABLE certificate_renewals (
    cert_key                  text        PRIMARY KEY,
    source_kind               text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    source_name               text        NOT NULL,
    tenant                    text,
    source_id                 text        NOT NULL,
    not_after                 timestamptz,
    renewal_status            text        NOT NULL CHECK (renewal_status IN ('SCHEDULED', 'DUE', 'OVERDUE', 'RENEWED', 'UNKNOWN')),
    renewal_mode              text        CHECK (renewal_mode IN ('auto', 'manual')),
    expected_renewal_at       timestamptz,
    renewal_overdue_at        timestamptz,
    renewal_policy            text,
    replaced_by               text,
    issued_at                 timestamptz,
    last_renewed_at           timestamptz,
    last_renewal_of_not_after timestamptz,
    last_renewal_expected_at  timestamptz,
    evaluated_at              timestamptz NOT NULL,
    updated_at                timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX certificate_renewals_status_idx ON certificate_renewals (renewal_status, renewal_overdue_at);
CREATE INDEX certificate_renewals_tenant_idx ON certificate_renewals (tenant, renewal_status);
CREATE INDEX certificate_renewals_expected_idx ON certificate_renewals (expected_renewal_at);

-- Every renewal the sink has seen (one row per certificate and replaced expiry), kept by a trigger on
-- certificate_renewals in the same transaction: how late or early each came against its expected point.
-- A removed certificate keeps its history. Rebuilt from the compacted topic, it starts with each
-- certificate's latest renewal.
CREATE TABLE renewal_history (
    cert_key          text        NOT NULL,
    source_kind       text        NOT NULL,
    source_name       text        NOT NULL,
    tenant            text,
    renewed_not_after timestamptz NOT NULL,
    expected_at       timestamptz NOT NULL,
    renewed_at        timestamptz NOT NULL,
    new_not_after     timestamptz,
    replaced_by       text,
    recorded_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cert_key, renewed_not_after)
);
CREATE INDEX renewal_history_renewed_idx ON renewal_history (renewed_at);
CREATE INDEX renewal_history_source_idx ON renewal_history (source_kind, source_name, tenant, renewed_at);

CREATE FUNCTION record_renewal() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.last_renewed_at IS NOT NULL AND NEW.last_renewal_of_not_after IS NOT NULL AND NEW.last_renewal_expected_at IS NOT NULL THEN
        INSERT INTO renewal_history (cert_key, source_kind, source_name, tenant, renewed_not_after, expected_at, renewed_at,
                                     new_not_after, replaced_by)
        VALUES (NEW.cert_key, NEW.source_kind, NEW.source_name, NEW.tenant, NEW.last_renewal_of_not_after, NEW.last_renewal_expected_at,
                NEW.last_renewed_at,
                CASE WHEN NEW.not_after > NEW.last_renewal_of_not_after THEN NEW.not_after END,
                NEW.replaced_by)
        ON CONFLICT (cert_key, renewed_not_after) DO UPDATE
            SET new_not_after = coalesce(renewal_history.new_not_after, EXCLUDED.new_not_after);
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER certificate_renewals_history AFTER INSERT OR UPDATE ON certificate_renewals
    FOR EACH ROW EXECUTE FUNCTION record_renewal();

-- Topic renewal-attempts: every issuance, renewal or upload attempt, by certificate and attempt id
-- (an attempt seen again, for example RUNNING then SUCCEEDED, updates its row). Success rates over time.
CREATE TABLE renewal_attempts (
    cert_key          text        NOT NULL,
    attempt_id        text        NOT NULL,
    source_kind       text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    source_name       text        NOT NULL,
    tenant            text,
    source_id         text        NOT NULL,
    attempt_type      text,
    status            text        NOT NULL CHECK (status IN ('PENDING', 'RUNNING', 'SUCCEEDED', 'FAILED', 'CANCELLED', 'UNKNOWN')),
    status_raw        text,
    started_at        timestamptz,
    finished_at       timestamptz,
    attempted_at      timestamptz NOT NULL,
    error_code        text,
    error_message     text,
    sans_snapshot     text[]      NOT NULL DEFAULT '{}',
    issued_not_after  timestamptz,
    observed_at       timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (cert_key, attempt_id)
);
CREATE INDEX renewal_attempts_time_idx ON renewal_attempts (attempted_at);
CREATE INDEX renewal_attempts_source_idx ON renewal_attempts (source_kind, source_name, tenant, attempted_at);
CREATE INDEX renewal_attempts_status_idx ON renewal_attempts (status, error_code);

-- Where every certificate stands, in one place: inventory, renewal state, expiry bucket, failing renewal.
CREATE VIEW certificate_standing AS
SELECT c.cert_key, c.source_kind, c.source_name, c.tenant, c.source_id, c.name, c.common_name, c.cert_type,
       c.expiry_status, c.not_after,
       coalesce(r.renewal_status, 'UNKNOWN') AS renewal_status,
       r.renewal_mode, r.expected_renewal_at, r.renewal_overdue_at, r.renewal_policy, r.replaced_by,
       r.last_renewed_at, r.last_renewed_at - r.last_renewal_expected_at AS last_renewal_lateness,
       e.bucket AS expiry_bucket, e.days_left,
       f.consecutive_failures AS failing_renewals, f.last_error_code
FROM certificates c
LEFT JOIN certificate_renewals r ON r.cert_key = c.cert_key
LEFT JOIN expiring_certificates e ON e.cert_key = c.cert_key
LEFT JOIN failed_renewals f ON f.cert_key = c.cert_key;
