-- The logs of finished tasks, in chunks, so any node can read them.
CREATE TABLE task_logs (
  job_id BIGINT NOT NULL REFERENCES jobs(id) ON DELETE CASCADE,
  seq    INTEGER NOT NULL,
  data   BYTEA NOT NULL,
  PRIMARY KEY (job_id, seq)
);
