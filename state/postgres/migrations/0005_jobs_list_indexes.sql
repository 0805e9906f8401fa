-- The jobs list (newest first) filtered by status, by trigger, and by
-- orchestration and status, stays an index walk over millions of jobs;
-- a job's retries are found without a scan.
CREATE INDEX jobs_list_status ON jobs(status, id DESC) WHERE kind = 'orchestration';
CREATE INDEX jobs_list_trigger ON jobs(trigger, id DESC) WHERE kind = 'orchestration';
CREATE INDEX jobs_list_orchestration_status ON jobs(orchestration, status, id DESC) WHERE kind = 'orchestration';
CREATE INDEX jobs_retry_of ON jobs(retry_of) WHERE retry_of IS NOT NULL;
