package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"

	"github.com/baton-dev/baton/state"
)

// ReserveJobIDs sets n ids aside by moving the jobs' AUTOINCREMENT counter
// past them: jobs inserted without an id are numbered after them.
func (s *Store) ReserveJobIDs(ctx context.Context, n int) ([]state.JobID, error) {
	if n <= 0 {
		return nil, nil
	}
	var last int64
	const bump = "UPDATE sqlite_sequence SET seq = seq + ? WHERE name = 'jobs' RETURNING seq"
	err := s.tx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, bump, n).Scan(&last)
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		// The counter's row appears with the first job inserted.
		if _, err := tx.ExecContext(ctx, `INSERT INTO sqlite_sequence (name, seq)
			SELECT 'jobs', (SELECT COALESCE(MAX(id), 0) FROM jobs)
			WHERE NOT EXISTS (SELECT 1 FROM sqlite_sequence WHERE name = 'jobs')`); err != nil {
			return err
		}
		return tx.QueryRowContext(ctx, bump, n).Scan(&last)
	})
	if err != nil {
		return nil, fmt.Errorf("reserve job ids: %w", err)
	}
	ids := make([]state.JobID, n)
	for i := range ids {
		ids[i] = state.JobID(last - int64(n-1-i))
	}
	return ids, nil
}

// RecordRound records the new jobs and applies the transitions in one
// transaction. A new job's first transition that only starts it (or makes
// it wait) is written with the job's row instead of as an update of it.
func (s *Store) RecordRound(ctx context.Context, sets []state.NewJobSet, ts []state.JobTransition) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		starts, rest := foldStarts(sets, ts)
		if _, err := insertJobs(ctx, tx, sets, starts); err != nil {
			return err
		}
		return s.updateJobs(ctx, tx, rest)
	})
}

// foldStarts picks the transitions to write with the rows of new jobs:
// the first transition of a new job, when it may leave the job's status
// and sets nothing but the status, the start, the message and the log. The
// rest keep their order: applied after the inserts, they see the same
// statuses as when each transition is applied in turn.
func foldStarts(sets []state.NewJobSet, ts []state.JobTransition) (map[state.JobID]state.JobUpdate, []state.JobTransition) {
	status := map[state.JobID]state.JobStatus{}
	for _, set := range sets {
		status[set.Orchestration.ID] = set.Orchestration.Status
		for _, t := range set.Tasks {
			status[t.ID] = t.Status
		}
	}
	starts := map[state.JobID]state.JobUpdate{}
	touched := map[state.JobID]bool{}
	var rest []state.JobTransition
	for _, t := range ts {
		st, isNew := status[t.ID]
		u := t.Update
		foldable := isNew && t.ID != 0 && !touched[t.ID] && u.FinishedAt.IsZero() && u.ExitCode == nil && u.PID == nil &&
			len(u.TableUpdates) == 0 && len(u.Outbox) == 0 && mayLeave(t.From, st)
		touched[t.ID] = true
		if foldable {
			starts[t.ID] = u
			continue
		}
		rest = append(rest, t)
	}
	return starts, rest
}

// mayLeave reports whether a transition allowed from the statuses from
// applies to a job in status st.
func mayLeave(from []state.JobStatus, st state.JobStatus) bool {
	if len(from) == 0 {
		return !st.Terminal()
	}
	return slices.Contains(from, st)
}
