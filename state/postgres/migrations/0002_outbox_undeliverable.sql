-- A notification that can never be delivered (no SMTP configured, too many
-- failed attempts) is recorded once and no longer retried.
ALTER TABLE notification_outbox ADD COLUMN undeliverable_at BIGINT;
DROP INDEX outbox_pending;
CREATE INDEX outbox_pending ON notification_outbox(next_attempt_at) WHERE sent_at IS NULL AND undeliverable_at IS NULL;
