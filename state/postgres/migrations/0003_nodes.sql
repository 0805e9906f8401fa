-- The baton watch processes that share the state, with their heartbeats.
CREATE TABLE nodes (
  name         TEXT PRIMARY KEY,
  process      TEXT NOT NULL DEFAULT '',
  slots        INTEGER NOT NULL DEFAULT 0,
  is_leader    BOOLEAN NOT NULL DEFAULT FALSE,
  started_at   BIGINT NOT NULL,
  heartbeat_at BIGINT NOT NULL,
  stopped_at   BIGINT
);
