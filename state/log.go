package state

import "context"

// LogStore keeps the logs of tasks in the database, so that on a state
// shared by several machines a log is readable from any of them, not only
// on the node that runs the task: while the task runs, that node appends
// what it wrote every second or so, and when it ends it keeps the whole
// log. Backends whose state lives on one machine (a SQLite file) need not
// implement it: the log file is there.
type LogStore interface {
	// StoreLog keeps the whole log of a task job, replacing what was kept.
	StoreLog(ctx context.Context, id JobID, log []byte) error
	// AppendLog writes data at offset of the kept log of a running task
	// and drops whatever the kept log held from offset on. Writing the
	// same bytes at the same offset again is harmless, so a write that
	// failed, or seemed to, can be retried as it was.
	AppendLog(ctx context.Context, id JobID, offset int64, data []byte) error
	// Log returns the kept log of a task job from offset on; false when
	// none was kept (yet).
	Log(ctx context.Context, id JobID, offset int64) ([]byte, bool, error)
}
