-- Tasks the leading node handed to the nodes that run their processes,
-- with the outcome each node reports.
CREATE TABLE task_assignments (
  job_id      BIGINT PRIMARY KEY REFERENCES jobs(id) ON DELETE CASCADE,
  run_id      BIGINT NOT NULL,
  node        TEXT NOT NULL,
  assigned_at BIGINT NOT NULL,
  started_by  TEXT NOT NULL DEFAULT '',
  started_at  BIGINT,
  stop        TEXT NOT NULL DEFAULT '',
  result      JSONB
);
CREATE INDEX task_assignments_node ON task_assignments(node) WHERE result IS NULL;
