-- A notification row copies its decision to alert_history only when there is one to copy: a silence or an
-- acknowledgement. A plain NOTIFIED row (no silence, not acknowledged) matches alert_history's defaults, so
-- its trigger, and the advisory lock it takes, are skipped: a burst of alerts no longer runs an UPDATE per
-- alert under the one lock the view writer's alert_history inserts also take.
DROP TRIGGER alert_notifications_to_history ON alert_notifications;
CREATE TRIGGER alert_notifications_to_history_insert AFTER INSERT ON alert_notifications
    FOR EACH ROW WHEN (NEW.silenced_by IS NOT NULL OR NEW.acknowledged)
    EXECUTE FUNCTION alert_notifications_to_history();
CREATE TRIGGER alert_notifications_to_history_update AFTER UPDATE ON alert_notifications
    FOR EACH ROW WHEN (OLD.silenced_by IS DISTINCT FROM NEW.silenced_by OR OLD.acknowledged IS DISTINCT FROM NEW.acknowledged)
    EXECUTE FUNCTION alert_notifications_to_history();
