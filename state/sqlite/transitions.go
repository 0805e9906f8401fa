package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/baton-dev/baton/state"
)

// UpdateJob sets a job's status if it is one of from (any non-terminal
// status when from is empty); else it returns ErrStatusChanged.
func (s *Store) UpdateJob(ctx context.Context, id state.JobID, from []state.JobStatus, u state.JobUpdate) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return updateJob(ctx, tx, s.updateJob, id, from, u) })
}

// UpdateJobs applies many transitions in one transaction, all or none:
// a phase's tasks that must wait are recorded in one write, not hundreds.
func (s *Store) UpdateJobs(ctx context.Context, ts []state.JobTransition) error {
	if len(ts) == 0 {
		return nil
	}
	return s.tx(ctx, func(tx *sql.Tx) error { return s.updateJobs(ctx, tx, ts) })
}

// updateJobs applies transitions in turn, each run of alike ones (a wide
// phase's waiting marks) in one statement.
func (s *Store) updateJobs(ctx context.Context, tx *sql.Tx, ts []state.JobTransition) error {
	return state.ApplyAlikeRuns(ts,
		func(t state.JobTransition) error { return updateJob(ctx, tx, s.updateJob, t.ID, t.From, t.Update) },
		func(run []state.JobTransition) error { return updateAlike(ctx, tx, run) })
}

// updateJobSQL is one fixed statement for every transition, so that it is
// compiled once: NULL arguments leave a column as it is, and the
// compare-and-set is part of the WHERE clause.
const updateJobSQL = `UPDATE jobs SET status = ?1,
	started_at = COALESCE(?2, started_at), finished_at = COALESCE(?3, finished_at),
	message = COALESCE(?4, message), exit_code = COALESCE(?5, exit_code),
	pid = COALESCE(?6, pid), log_path = COALESCE(?7, log_path)
	WHERE id = ?8 AND CASE WHEN ?9 = '' THEN status IN ('created', 'waiting', 'processing')
		ELSE instr(?9, ',' || status || ',') > 0 END`

// updateAlikeSQL is updateJobSQL for a JSON array of job ids.
var updateAlikeSQL = strings.Replace(updateJobSQL, "WHERE id = ?8", "WHERE id IN (SELECT value FROM json_each(?8))", 1)

// updateAlike applies a run of alike transitions of distinct jobs in one
// statement. Should a job not be in a status the run comes from, it fails
// as the transition of that job alone would.
func updateAlike(ctx context.Context, tx *sql.Tx, run []state.JobTransition) error {
	ids := make([]int64, len(run))
	for i, t := range run {
		ids[i] = int64(t.ID)
	}
	idList, err := json.Marshal(ids)
	if err != nil {
		return fmt.Errorf("encode job ids: %w", err)
	}
	u := run[0].Update
	res, err := tx.ExecContext(ctx, updateAlikeSQL, u.Status, toDB(u.StartedAt), toDB(u.FinishedAt),
		nullable(u.Message), nullable(u.ExitCode), nullable(u.PID), nullable(u.LogPath), string(idList), allowedList(run[0].From))
	if err != nil {
		return fmt.Errorf("update jobs %d to %d: %w", run[0].ID, run[len(run)-1].ID, err)
	}
	if n, err := res.RowsAffected(); err == nil && n == int64(len(run)) {
		return nil
	}
	for _, t := range run {
		if err := notChanged(ctx, tx, t.ID, t.From); err != nil {
			return err
		}
	}
	return fmt.Errorf("update jobs %d to %d: not every job was updated", run[0].ID, run[len(run)-1].ID)
}

// allowedList is the statuses a transition comes from, as updateJobSQL
// takes them: ",created,waiting," or "" for any status not ended.
func allowedList(from []state.JobStatus) string {
	if len(from) == 0 {
		return ""
	}
	allowed := ","
	for _, f := range from {
		allowed += string(f) + ","
	}
	return allowed
}

// notChanged returns the error of the transition of job id when the job
// is missing or not in one of the statuses from (any not ended if empty).
func notChanged(ctx context.Context, tx *sql.Tx, id state.JobID, from []state.JobStatus) error {
	var cur state.JobStatus
	if err := tx.QueryRowContext(ctx, "SELECT status FROM jobs WHERE id = ?", int64(id)).Scan(&cur); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("job %d: %w", id, state.ErrNotFound)
		}
		return fmt.Errorf("read job %d: %w", id, err)
	}
	if (len(from) == 0 && cur.Terminal()) || (len(from) > 0 && !slices.Contains(from, cur)) {
		return fmt.Errorf("%w: job %d is %s", state.ErrStatusChanged, id, cur)
	}
	return nil
}

func nullable[T any](p *T) any {
	if p == nil {
		return nil
	}
	return *p
}

func updateJob(ctx context.Context, tx *sql.Tx, stmt *sql.Stmt, id state.JobID, from []state.JobStatus, u state.JobUpdate) error {
	res, err := tx.StmtContext(ctx, stmt).ExecContext(ctx, u.Status, toDB(u.StartedAt), toDB(u.FinishedAt),
		nullable(u.Message), nullable(u.ExitCode), nullable(u.PID), nullable(u.LogPath), int64(id), allowedList(from))
	if err != nil {
		return fmt.Errorf("update job %d: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n == 0 {
		if err := notChanged(ctx, tx, id, from); err != nil {
			return err
		}
		return fmt.Errorf("update job %d: not updated", id)
	}
	if err := recordTableUpdates(ctx, tx, u.TableUpdates); err != nil {
		return err
	}
	return addOutbox(ctx, tx, u.Outbox)
}

// RequestCancel marks a job and its unfinished tasks for cancelling.
func (s *Store) RequestCancel(ctx context.Context, id state.JobID) (state.Job, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var st state.JobStatus
		if err := tx.QueryRowContext(ctx, "SELECT status FROM jobs WHERE id = ?", int64(id)).Scan(&st); err != nil {
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("job %d: %w", id, state.ErrNotFound)
			}
			return err
		}
		if st.Terminal() {
			return fmt.Errorf("%w: job %d is %s; there is nothing to cancel", state.ErrJobEnded, id, st)
		}
		_, err := tx.ExecContext(ctx, `UPDATE jobs SET cancel_requested = 1 WHERE (id = ?1 OR parent_id = ?1)
			AND status IN ('created', 'waiting', 'processing')`, int64(id))
		return err
	})
	if err != nil {
		return state.Job{}, err
	}
	return s.jobFrom(ctx, s.w, id)
}
