-- certflow sink: materialized views of the certflow topics, for analysts.
-- Times are timestamptz (UTC inside the pipeline); enums are text with CHECK constraints so
-- analysts can filter with plain strings; the cert_key columns hold the documented string form
-- of the certificate key (kind/sourceName/tenant/sourceId), the Kafka record key.

-- Where the view writer is in each partition. Written in the same transaction as the rows, and
-- read on start / partition assignment, so a crash never loses or doubles a row.
CREATE TABLE kafka_offsets (
    consumer_group text        NOT NULL,
    topic          text        NOT NULL,
    kafka_partition integer    NOT NULL CHECK (kafka_partition >= 0),
    next_offset    bigint      NOT NULL CHECK (next_offset >= 0),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer_group, topic, kafka_partition)
);

-- Topic certificates (compacted): the latest known state of every certificate; a tombstone deletes.
CREATE TABLE certificates (
    cert_key         text        PRIMARY KEY,
    source_kind      text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    source_name      text        NOT NULL,
    tenant           text,
    source_id        text        NOT NULL,
    name             text,
    common_name      text,
    sans             text[]      NOT NULL DEFAULT '{}',
    source_type      text,
    cert_type        text        NOT NULL CHECK (cert_type IN ('TLS_SERVER', 'TRUSTED_CA', 'SIGNING', 'UNKNOWN')),
    not_after        timestamptz,
    expiry_status    text        NOT NULL CHECK (expiry_status IN ('KNOWN', 'PENDING', 'MISSING', 'UNPARSEABLE')),
    not_after_raw    text,
    not_before       timestamptz,
    created_at       timestamptz,
    issuer           text,
    fingerprint      text,
    issuance_method  text        NOT NULL CHECK (issuance_method IN ('UPLOADED', 'ACME', 'UNKNOWN')),
    auto_renewal     boolean,
    status           text,
    department_id    text,
    department_name  text,
    observed_at      timestamptz NOT NULL,
    attributes       jsonb       NOT NULL DEFAULT '{}',
    updated_at       timestamptz NOT NULL DEFAULT now(),
    -- only KNOWN certificates have an expiry; the others are their own state, never "expired"
    CONSTRAINT certificates_not_after_known CHECK ((expiry_status = 'KNOWN') = (not_after IS NOT NULL))
);
CREATE INDEX certificates_tenant_idx ON certificates (tenant, not_after);
CREATE INDEX certificates_not_after_idx ON certificates (not_after) WHERE not_after IS NOT NULL;
CREATE INDEX certificates_expiry_status_idx ON certificates (expiry_status);
CREATE INDEX certificates_source_idx ON certificates (source_kind, source_name);

-- Topic certificates-expiring (compacted): certificates inside an expiry threshold; a tombstone = left the table.
CREATE TABLE expiring_certificates (
    cert_key        text        PRIMARY KEY,
    source_kind     text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    source_name     text        NOT NULL,
    tenant          text,
    source_id       text        NOT NULL,
    name            text,
    common_name     text,
    cert_type       text        NOT NULL CHECK (cert_type IN ('TLS_SERVER', 'TRUSTED_CA', 'SIGNING', 'UNKNOWN')),
    not_after       timestamptz,
    days_left       integer     NOT NULL,
    bucket          text        NOT NULL,
    threshold_days  integer,
    evaluated_at    timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX expiring_certificates_tenant_idx ON expiring_certificates (tenant, not_after);
CREATE INDEX expiring_certificates_not_after_idx ON expiring_certificates (not_after);
CREATE INDEX expiring_certificates_bucket_idx ON expiring_certificates (bucket);

-- Topic renewals-failed (compacted): latest attempt failed with no later success; a tombstone = resolved.
CREATE TABLE failed_renewals (
    cert_key              text        PRIMARY KEY,
    source_kind           text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    source_name           text        NOT NULL,
    tenant                text,
    source_id             text        NOT NULL,
    common_name           text,
    consecutive_failures  integer     NOT NULL CHECK (consecutive_failures >= 0),
    first_failure_at      timestamptz NOT NULL,
    last_failure_at       timestamptz NOT NULL,
    last_error_code       text,
    last_error_message    text,
    last_attempt_type     text,
    last_attempt_id       text        NOT NULL,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX failed_renewals_tenant_idx ON failed_renewals (tenant);
CREATE INDEX failed_renewals_source_idx ON failed_renewals (source_kind, source_name, last_error_code);
CREATE INDEX failed_renewals_last_failure_idx ON failed_renewals (last_failure_at);

-- Topic certificate-alerts: every transition (FIRING and RESOLVED), one row per record.
-- The Kafka position is unique: a record written twice would be a constraint violation, not a silent double.
CREATE TABLE alert_history (
    id               bigserial   PRIMARY KEY,
    alert_id         text        NOT NULL,
    kind             text        NOT NULL CHECK (kind IN ('EXPIRING', 'EXPIRED', 'RENEWAL_FAILED', 'EXPIRY_UNKNOWN', 'SOURCE_DOWN')),
    status           text        NOT NULL CHECK (status IN ('FIRING', 'RESOLVED')),
    severity         text        NOT NULL CHECK (severity IN ('CRITICAL', 'ERROR', 'WARNING', 'INFO')),
    threshold        text,
    summary          text        NOT NULL,
    cert_key         text,
    tenant           text,
    source_kind      text,
    source_name      text,
    fired_at         timestamptz NOT NULL,
    resolved_at      timestamptz,
    labels           jsonb       NOT NULL DEFAULT '{}',
    kafka_topic      text        NOT NULL,
    kafka_partition  integer     NOT NULL,
    kafka_offset     bigint      NOT NULL,
    recorded_at      timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT alert_history_position_unique UNIQUE (kafka_topic, kafka_partition, kafka_offset),
    CONSTRAINT alert_history_resolved_has_time CHECK (status = 'FIRING' OR resolved_at IS NOT NULL)
);
CREATE INDEX alert_history_alert_idx ON alert_history (alert_id, fired_at);
CREATE INDEX alert_history_tenant_idx ON alert_history (tenant, fired_at);
CREATE INDEX alert_history_status_idx ON alert_history (status, kind);

-- Every delivery attempt of an alert to a channel (written by the alert delivery workers).
CREATE TABLE delivery_attempts (
    id            bigserial   PRIMARY KEY,
    alert_id      text        NOT NULL,
    alert_status  text        NOT NULL CHECK (alert_status IN ('FIRING', 'RESOLVED')),
    channel       text        NOT NULL,
    channel_type  text        NOT NULL CHECK (channel_type IN ('alertmanager', 'pagerduty', 'slack', 'webhook', 'console')),
    attempt       integer     NOT NULL CHECK (attempt >= 1),
    outcome       text        NOT NULL CHECK (outcome IN ('DELIVERED', 'RETRYING', 'FAILED', 'DEAD_LETTERED')),
    http_status   integer,
    error         text,
    resend        boolean     NOT NULL DEFAULT false,
    duration_ms   bigint      NOT NULL CHECK (duration_ms >= 0),
    attempted_at  timestamptz NOT NULL
);
CREATE INDEX delivery_attempts_alert_idx ON delivery_attempts (alert_id, channel);
CREATE INDEX delivery_attempts_channel_idx ON delivery_attempts (channel, outcome, attempted_at);

-- Topic source-status (compacted): the last poll of every source instance.
CREATE TABLE source_status (
    source_name           text        PRIMARY KEY,
    source_kind           text        NOT NULL CHECK (source_kind IN ('LEEGALITY', 'SMOXY', 'YEASTAR', 'UNKNOWN')),
    poll_started_at       timestamptz NOT NULL,
    poll_finished_at      timestamptz NOT NULL,
    outcome               text        NOT NULL CHECK (outcome IN ('SUCCESS', 'PARTIAL', 'FAILED')),
    certificates_seen     integer     NOT NULL,
    certificates_changed  integer     NOT NULL,
    certificates_removed  integer     NOT NULL,
    attempts_published    integer     NOT NULL,
    item_errors           integer     NOT NULL,
    error_kind            text,
    error_message         text,
    consecutive_failures  integer     NOT NULL,
    last_success_at       timestamptz,
    updated_at            timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX source_status_outcome_idx ON source_status (outcome);
