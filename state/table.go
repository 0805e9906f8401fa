package state

import (
	"context"
	"time"
)

// TableUpdate is one report that a table changed.
type TableUpdate struct {
	Table string
	At    time.Time
	// Source is "job", "api", "cli" or "watch".
	Source string
	// JobID is the job that updated it, if any.
	JobID int64
}

// TableState is a table's latest update.
type TableState struct {
	ID        string    `json:"id"`
	UpdatedAt time.Time `json:"updated_at"`
	Source    string    `json:"source"`
}

// TableStore holds the updates of tables that event triggers wait for.
type TableStore interface {
	// RecordTableUpdates appends to the update log and moves each table's
	// latest update forward (never back).
	RecordTableUpdates(ctx context.Context, updates ...TableUpdate) error
	// Tables lists every table with an update, by id.
	Tables(ctx context.Context) ([]TableState, error)
	// TableUpdatedAt returns the latest update of each of ids that has one.
	TableUpdatedAt(ctx context.Context, ids []string) (map[string]time.Time, error)
	// TableHistory lists the recorded updates of a table, newest first;
	// limit <= 0 lists all.
	TableHistory(ctx context.Context, table string, limit int) ([]TableUpdate, error)
}

// ScheduleFire records that a schedule fired.
type ScheduleFire struct {
	Orchestration string
	Key           string
	At            time.Time
}

// FireStore holds when schedules and event triggers last fired.
type FireStore interface {
	// RecordFire records a schedule's fire.
	RecordFire(ctx context.Context, orchestration, scheduleKey string, at time.Time) error
	// LastFires returns the last fire of every schedule, by orchestration
	// and schedule key.
	LastFires(ctx context.Context) (map[[2]string]time.Time, error)
	// LastTriggerRun is when an orchestration's event trigger last fired.
	LastTriggerRun(ctx context.Context, orchestration string) (time.Time, bool, error)
	// RecordTriggerRun records that an orchestration's trigger fired.
	RecordTriggerRun(ctx context.Context, orchestration string, at time.Time) error
}
