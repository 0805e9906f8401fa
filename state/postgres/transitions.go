package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

// UpdateJob sets a job's status if it is one of from (any non-terminal
// status when from is empty); else it returns ErrStatusChanged.
func (s *Store) UpdateJob(ctx context.Context, id state.JobID, from []state.JobStatus, u state.JobUpdate) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return updateJob(ctx, tx, id, from, u) })
}

// UpdateJobs applies many transitions in one transaction, all or none.
func (s *Store) UpdateJobs(ctx context.Context, ts []state.JobTransition) error {
	if len(ts) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx pgx.Tx) error {
		for _, t := range ts {
			if err := updateJob(ctx, tx, t.ID, t.From, t.Update); err != nil {
				return err
			}
		}
		return nil
	})
}

// updateJobSQL is one statement for every transition: NULL arguments leave
// a column as it is, and the compare-and-set is part of the WHERE clause.
const updateJobSQL = `UPDATE jobs SET status = $1,
	started_at = COALESCE($2, started_at), finished_at = COALESCE($3, finished_at),
	message = COALESCE($4, message), exit_code = COALESCE($5, exit_code),
	pid = COALESCE($6, pid), log_path = COALESCE($7, log_path)
	WHERE id = $8 AND status = ANY($9)`

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func updateJob(ctx context.Context, tx pgx.Tx, id state.JobID, from []state.JobStatus, u state.JobUpdate) error {
	if len(from) == 0 {
		from = state.ActiveStatuses
	}
	tag, err := tx.Exec(ctx, updateJobSQL, string(u.Status), toDB(u.StartedAt), toDB(u.FinishedAt),
		nullable(u.Message), nullable(u.ExitCode), nullable(u.PID), nullable(u.LogPath), int64(id), statusNames(from))
	if err != nil {
		return fmt.Errorf("update job %d: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		var cur state.JobStatus
		if err := tx.QueryRow(ctx, "SELECT status FROM jobs WHERE id = $1", int64(id)).Scan(&cur); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("job %d: %w", id, state.ErrNotFound)
			}
			return fmt.Errorf("read job %d: %w", id, err)
		}
		return fmt.Errorf("%w: job %d is %s", state.ErrStatusChanged, id, cur)
	}
	if err := recordTableUpdates(ctx, tx, u.TableUpdates); err != nil {
		return err
	}
	return addOutbox(ctx, tx, u.Outbox)
}

// RequestCancel marks a job and its unfinished tasks for cancelling.
func (s *Store) RequestCancel(ctx context.Context, id state.JobID) (state.Job, error) {
	var j state.Job
	err := s.tx(ctx, func(tx pgx.Tx) error {
		var st state.JobStatus
		if err := tx.QueryRow(ctx, "SELECT status FROM jobs WHERE id = $1", int64(id)).Scan(&st); err != nil {
			if errors.Is(err, pgx.ErrNoRows) {
				return fmt.Errorf("job %d: %w", id, state.ErrNotFound)
			}
			return err
		}
		if st.Terminal() {
			return fmt.Errorf("%w: job %d is %s; there is nothing to cancel", state.ErrJobEnded, id, st)
		}
		if _, err := tx.Exec(ctx, `UPDATE jobs SET cancel_requested = TRUE WHERE (id = $1 OR parent_id = $1)
			AND status IN ('created', 'waiting', 'processing')`, int64(id)); err != nil {
			return err
		}
		var err error
		j, err = s.jobFrom(ctx, tx, id)
		return err
	})
	if err != nil {
		return state.Job{}, err
	}
	return j, nil
}
