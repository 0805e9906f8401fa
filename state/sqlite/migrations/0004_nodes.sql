-- The baton watch processes that share the state, with their heartbeats.
CREATE TABLE nodes (
  name         TEXT PRIMARY KEY,
  process      TEXT NOT NULL DEFAULT '',
  slots        INTEGER NOT NULL DEFAULT 0,
  is_leader    INTEGER NOT NULL DEFAULT 0,
  started_at   INTEGER NOT NULL,
  heartbeat_at INTEGER NOT NULL,
  stopped_at   INTEGER
);
