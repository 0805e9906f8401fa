-- The last revision apply attempted, and why it was refused (empty when it
-- was applied): the refused head is recorded once, not logged every poll.
ALTER TABLE source_status ADD COLUMN attempt_ref TEXT NOT NULL DEFAULT '';
ALTER TABLE source_status ADD COLUMN attempt_at INTEGER;
ALTER TABLE source_status ADD COLUMN refused_reason TEXT NOT NULL DEFAULT '';
