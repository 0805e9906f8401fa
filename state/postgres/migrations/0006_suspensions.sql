-- Orchestrations an operator suspended: their schedules and triggers do not fire.
CREATE TABLE suspensions (
  orchestration TEXT PRIMARY KEY,
  suspended_by  TEXT NOT NULL DEFAULT '',
  reason        TEXT NOT NULL DEFAULT '',
  suspended_at  BIGINT NOT NULL
);
