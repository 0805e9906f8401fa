package state

import (
	"context"
	"time"
)

// RetentionStore deletes what retention no longer keeps, in small batches
// so that the executor's writes go on between them.
type RetentionStore interface {
	// ExpiredJobs lists up to limit top-level orchestration jobs, oldest
	// first, that ended before before and that retention may delete: not
	// the last job of their orchestration, not the original of a retry
	// that is kept, not running.
	ExpiredJobs(ctx context.Context, before time.Time, limit int) ([]JobID, error)
	// DeleteJobs deletes the jobs, their task jobs and the runs their
	// tasks started, with their notifications; table updates they made
	// keep their time but lose the job. It returns every job deleted.
	DeleteJobs(ctx context.Context, ids []JobID) ([]JobID, error)
	// JobsEnded says, of ids, which jobs exist and when they ended (the
	// zero time while they have not); missing ids were deleted.
	JobsEnded(ctx context.Context, ids []JobID) (map[JobID]time.Time, error)
}
