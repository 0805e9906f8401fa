-- Times are Unix nanoseconds in UTC, as in the SQLite backend, so both keep
-- the same precision; NULL means "not yet".

CREATE TABLE revisions (
  id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  ref          TEXT NOT NULL,
  source       TEXT NOT NULL,
  author       TEXT NOT NULL DEFAULT '',
  message      TEXT NOT NULL DEFAULT '',
  committed_at BIGINT,
  applied_at   BIGINT NOT NULL
);

-- Every version of every applied object. The live set has deleted_revision
-- NULL; older versions and deleted objects stay as history.
CREATE TABLE objects (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             TEXT NOT NULL,
  name             TEXT NOT NULL,
  hash             TEXT NOT NULL,
  json             TEXT NOT NULL,
  created_revision BIGINT NOT NULL REFERENCES revisions(id),
  deleted_revision BIGINT REFERENCES revisions(id)
);
CREATE UNIQUE INDEX objects_live ON objects(kind, name) WHERE deleted_revision IS NULL;

-- The outcome of the last fetches of the source, and the revision apply
-- last attempted with why it was refused.
CREATE TABLE source_status (
  id              INTEGER PRIMARY KEY CHECK (id = 1),
  last_fetch_at   BIGINT,
  last_success_at BIGINT,
  stale_since     BIGINT,
  ref             TEXT NOT NULL DEFAULT '',
  last_error      TEXT NOT NULL DEFAULT '',
  attempt_ref     TEXT NOT NULL DEFAULT '',
  attempt_at      BIGINT,
  refused_reason  TEXT NOT NULL DEFAULT ''
);

-- Orchestration jobs and their task jobs.
CREATE TABLE jobs (
  id               BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind             TEXT NOT NULL CHECK (kind IN ('orchestration', 'task')),
  parent_id        BIGINT REFERENCES jobs(id),
  parent_task_id   BIGINT REFERENCES jobs(id),
  orchestration    TEXT NOT NULL,
  phase            TEXT NOT NULL DEFAULT '',
  phase_index      INTEGER NOT NULL DEFAULT 0,
  task             TEXT NOT NULL DEFAULT '',
  task_index       INTEGER NOT NULL DEFAULT 0,
  configuration    TEXT NOT NULL DEFAULT '',
  serial_key       TEXT NOT NULL,
  status           TEXT NOT NULL,
  trigger          TEXT NOT NULL DEFAULT '',
  triggered_by     TEXT NOT NULL DEFAULT '',
  notify_to        TEXT NOT NULL DEFAULT '',
  revision         TEXT NOT NULL DEFAULT '',
  retry_of         BIGINT REFERENCES jobs(id),
  created_at       BIGINT NOT NULL,
  started_at       BIGINT,
  finished_at      BIGINT,
  message          TEXT NOT NULL DEFAULT '',
  exit_code        INTEGER,
  spec             TEXT NOT NULL DEFAULT '{}',
  selected         BOOLEAN NOT NULL DEFAULT TRUE,
  pid              INTEGER,
  log_path         TEXT NOT NULL DEFAULT '',
  cancel_requested BOOLEAN NOT NULL DEFAULT FALSE
);
CREATE INDEX jobs_active ON jobs(status) WHERE status IN ('created', 'waiting', 'processing');
CREATE INDEX jobs_orchestration ON jobs(orchestration, id DESC) WHERE kind = 'orchestration';
CREATE INDEX jobs_parent ON jobs(parent_id);
CREATE INDEX jobs_parent_task ON jobs(parent_task_id) WHERE parent_task_id IS NOT NULL;

-- Table updates: an append-only log and the latest update per table.
CREATE TABLE table_updates (
  id     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tbl    TEXT NOT NULL,
  at     BIGINT NOT NULL,
  source TEXT NOT NULL,
  job_id BIGINT REFERENCES jobs(id)
);
CREATE INDEX table_updates_tbl ON table_updates(tbl, id DESC);
CREATE TABLE tables_latest (
  tbl    TEXT PRIMARY KEY,
  at     BIGINT NOT NULL,
  source TEXT NOT NULL
);

-- The last fire of every schedule and the last triggered run.
CREATE TABLE schedule_fires (
  orchestration TEXT NOT NULL,
  schedule_key  TEXT NOT NULL,
  fired_at      BIGINT NOT NULL,
  PRIMARY KEY (orchestration, schedule_key)
);
CREATE TABLE trigger_runs (
  orchestration TEXT PRIMARY KEY,
  ran_at        BIGINT NOT NULL
);

-- API tokens. Only a hash of the secret is stored.
CREATE TABLE tokens (
  id             TEXT PRIMARY KEY,
  hash           TEXT NOT NULL UNIQUE,
  description    TEXT NOT NULL DEFAULT '',
  owner          TEXT NOT NULL DEFAULT '',
  scopes         TEXT NOT NULL DEFAULT '[]',
  orchestrations TEXT NOT NULL DEFAULT '[]',
  orchestration  TEXT,
  created_at     BIGINT NOT NULL,
  revoked_at     BIGINT,
  expires_at     BIGINT,
  last_used_at   BIGINT
);

-- Notifications to send, written with the job's final status.
CREATE TABLE notification_outbox (
  id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  job_id          BIGINT NOT NULL REFERENCES jobs(id),
  channel         TEXT NOT NULL,
  target          TEXT NOT NULL,
  event           TEXT NOT NULL,
  payload         TEXT NOT NULL,
  created_at      BIGINT NOT NULL,
  attempts        INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  sent_at         BIGINT,
  last_error      TEXT NOT NULL DEFAULT '',
  UNIQUE (job_id, channel, target, event)
);
CREATE INDEX outbox_pending ON notification_outbox(next_attempt_at) WHERE sent_at IS NULL;

-- Who holds the executor lease, for the message of the next one that tries.
CREATE TABLE executor_lease (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  holder      TEXT NOT NULL,
  acquired_at BIGINT NOT NULL
);
