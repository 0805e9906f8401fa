package state

import "context"

// LogStore keeps the logs of finished tasks in the database, so that on a
// state shared by several machines a log is readable from any of them, not
// only on the node that ran the task. Backends whose state lives on one
// machine (a SQLite file) need not implement it: the log file is there.
type LogStore interface {
	// StoreLog keeps the whole log of a task job, replacing what was kept.
	StoreLog(ctx context.Context, id JobID, log []byte) error
	// Log returns the kept log of a task job; false when none was kept.
	Log(ctx context.Context, id JobID) ([]byte, bool, error)
}
