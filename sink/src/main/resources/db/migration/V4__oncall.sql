-- Issue 12: silences, acknowledgements, escalations and digests, applied by the sink's delivery.

-- What the delivery decided for each alert transition (alert id, status, fired_at: the same identity as
-- the webhook's Idempotency-Key). Written by the delivery before it notifies, so a restart neither
-- notifies again what a silence held nor forgets it: a held FIRING stays SILENCED here until its
-- silences end (then RELEASING while the channels take it, RELEASED), or its RESOLVED arrives first
-- (RESOLVED_IN_SILENCE: never notified).
CREATE TABLE alert_notifications (
    alert_id         text        NOT NULL,
    status           text        NOT NULL CHECK (status IN ('FIRING', 'RESOLVED')),
    fired_at         timestamptz NOT NULL,
    incident_id      text        NOT NULL,
    incident_step    integer     NOT NULL DEFAULT 1,
    severity         text        NOT NULL CHECK (severity IN ('CRITICAL', 'ERROR', 'WARNING', 'INFO')),
    owner            text,
    state            text        NOT NULL CHECK (state IN ('NOTIFIED', 'SILENCED', 'RELEASING', 'RELEASED', 'RESOLVED_IN_SILENCE', 'ACKNOWLEDGED')),
    silenced_by      text,
    acknowledged     boolean     NOT NULL DEFAULT false,
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    -- when a CRITICAL FIRING escalates if nobody acknowledges it first; null = nothing pending
    escalate_at      timestamptz,
    -- the alert (Avro single-object encoding) for what is held or may escalate
    alert            bytea,
    decided_at       timestamptz NOT NULL,
    PRIMARY KEY (alert_id, status, fired_at)
);
CREATE INDEX alert_notifications_incident_idx ON alert_notifications (incident_id);
CREATE INDEX alert_notifications_held_idx ON alert_notifications (state) WHERE state IN ('SILENCED', 'RELEASING');
CREATE INDEX alert_notifications_escalate_idx ON alert_notifications (escalate_at) WHERE escalate_at IS NOT NULL;

-- Open incidents as the delivery saw them: an acknowledgement holds from opened_at until the incident resolves.
CREATE TABLE oncall_incidents (
    incident_id      text        PRIMARY KEY,
    opened_at        timestamptz NOT NULL,
    closed_at        timestamptz,
    acknowledged_by  text,
    acknowledged_at  timestamptz,
    -- the PagerDuty acknowledge event was claimed for this acknowledgement
    ack_notified_at  timestamptz
);

-- One row per escalation sent: the unique key is the claim (INSERT ... ON CONFLICT DO NOTHING), in the
-- transaction that clears escalate_at, so restarts and several sink instances send each one once.
CREATE TABLE escalations (
    incident_id      text        NOT NULL,
    incident_step    integer     NOT NULL,
    alert_id         text        NOT NULL,
    owner            text,
    target           text        NOT NULL,
    claimed_at       timestamptz NOT NULL,
    delivered_at     timestamptz,
    PRIMARY KEY (incident_id, incident_step)
);

-- One row per digest (id = hash of owner and period start), claimed before it is sent.
CREATE TABLE digests (
    digest_id        text        PRIMARY KEY,
    owner            text        NOT NULL,
    period_start     timestamptz NOT NULL,
    since            timestamptz NOT NULL,
    items            integer     NOT NULL,
    -- nothing to report and sendEmpty off: claimed, not sent
    skipped          boolean     NOT NULL DEFAULT false,
    subject          text        NOT NULL,
    text_body        text        NOT NULL,
    json_body        text        NOT NULL,
    claimed_at       timestamptz NOT NULL,
    UNIQUE (owner, period_start)
);

-- Each channel's delivery of a digest; a row without delivered_at is retried (the channel dedupes by
-- the digest id: Idempotency-Key, Message-ID).
CREATE TABLE digest_deliveries (
    digest_id        text        NOT NULL REFERENCES digests (digest_id),
    channel          text        NOT NULL,
    attempts         integer     NOT NULL DEFAULT 0,
    error            text,
    next_attempt_at  timestamptz NOT NULL,
    delivered_at     timestamptz,
    PRIMARY KEY (digest_id, channel)
);

-- alert_history shows the decision: silenced_by (the silence id), acknowledged, by whom and when.
ALTER TABLE alert_history
    ADD COLUMN silenced_by     text,
    ADD COLUMN acknowledged    boolean NOT NULL DEFAULT false,
    ADD COLUMN acknowledged_by text,
    ADD COLUMN acknowledged_at timestamptz;

-- The view writer inserts alert_history rows and the delivery writes alert_notifications, on their own
-- consumers: whichever commits second copies the decision, and one advisory lock orders the two so
-- neither reads before the other has committed.
CREATE FUNCTION alert_history_decision() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727012);
    SELECT n.silenced_by, n.acknowledged, n.acknowledged_by, n.acknowledged_at
      INTO NEW.silenced_by, NEW.acknowledged, NEW.acknowledged_by, NEW.acknowledged_at
      FROM alert_notifications n
     WHERE n.alert_id = NEW.alert_id AND n.status = NEW.status AND n.fired_at = NEW.fired_at;
    NEW.acknowledged := coalesce(NEW.acknowledged, false);
    RETURN NEW;
END $$;
CREATE TRIGGER alert_history_decision BEFORE INSERT ON alert_history
    FOR EACH ROW EXECUTE FUNCTION alert_history_decision();

CREATE FUNCTION alert_notifications_to_history() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(727012);
    UPDATE alert_history h
       SET silenced_by = NEW.silenced_by, acknowledged = NEW.acknowledged,
           acknowledged_by = NEW.acknowledged_by, acknowledged_at = NEW.acknowledged_at
     WHERE h.alert_id = NEW.alert_id AND h.status = NEW.status AND h.fired_at = NEW.fired_at
       AND (h.silenced_by IS DISTINCT FROM NEW.silenced_by OR h.acknowledged IS DISTINCT FROM NEW.acknowledged);
    RETURN NULL;
END $$;
CREATE TRIGGER alert_notifications_to_history AFTER INSERT OR UPDATE ON alert_notifications
    FOR EACH ROW EXECUTE FUNCTION alert_notifications_to_history();
