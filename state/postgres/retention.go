package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

// ExpiredJobs lists jobs retention may delete: ended top-level
// orchestration jobs before the cut-off, not the last of their
// orchestration, not the original of a retry.
func (s *Store) ExpiredJobs(ctx context.Context, before time.Time, limit int) ([]state.JobID, error) {
	rows, err := s.pool.Query(ctx, `SELECT j.id FROM jobs j
		WHERE j.kind = 'orchestration' AND j.parent_task_id IS NULL
		  AND j.status NOT IN ('created', 'waiting', 'processing')
		  AND j.finished_at IS NOT NULL AND j.finished_at < $1
		  AND j.id < (SELECT MAX(l.id) FROM jobs l WHERE l.kind = 'orchestration' AND l.orchestration = j.orchestration AND l.parent_task_id IS NULL)
		  AND NOT EXISTS (SELECT 1 FROM jobs r WHERE r.retry_of = j.id)
		ORDER BY j.id LIMIT $2`, toDB(before), limitArg(limit))
	if err != nil {
		return nil, fmt.Errorf("find expired jobs: %w", err)
	}
	return scanIDs(rows)
}

// DeleteJobs deletes jobs with everything that hangs on them, in one
// transaction.
func (s *Store) DeleteJobs(ctx context.Context, ids []state.JobID) ([]state.JobID, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	var deleted []state.JobID
	err := s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `WITH RECURSIVE doomed(id) AS (
				SELECT id FROM jobs WHERE id = ANY($1)
				UNION SELECT j.id FROM jobs j JOIN doomed d ON j.parent_id = d.id OR j.parent_task_id = d.id)
			SELECT id FROM doomed ORDER BY id`, int64s(ids))
		if err != nil {
			return err
		}
		if deleted, err = scanIDs(rows); err != nil {
			return err
		}
		for _, stmt := range []string{
			"DELETE FROM notification_outbox WHERE job_id = ANY($1)",
			"UPDATE table_updates SET job_id = NULL WHERE job_id = ANY($1)",
			"DELETE FROM jobs WHERE id = ANY($1)",
		} {
			if _, err := tx.Exec(ctx, stmt, int64s(deleted)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("delete %d expired jobs: %w", len(ids), err)
	}
	return deleted, nil
}

// JobsEnded says which of ids exist and when they ended.
func (s *Store) JobsEnded(ctx context.Context, ids []state.JobID) (map[state.JobID]time.Time, error) {
	out := make(map[state.JobID]time.Time, len(ids))
	if len(ids) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT id, status, finished_at FROM jobs WHERE id = ANY($1)", int64s(ids))
	if err != nil {
		return nil, fmt.Errorf("read job ends: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var status string
		var finished *int64
		if err := rows.Scan(&id, &status, &finished); err != nil {
			return nil, fmt.Errorf("read job ends: %w", err)
		}
		at := time.Time{}
		if state.JobStatus(status).Terminal() {
			at = fromDB(finished)
		}
		out[state.JobID(id)] = at
	}
	return out, rows.Err()
}

func int64s(ids []state.JobID) []int64 {
	out := make([]int64, len(ids))
	for i, id := range ids {
		out[i] = int64(id)
	}
	return out
}

func scanIDs(rows pgx.Rows) ([]state.JobID, error) {
	defer rows.Close()
	var out []state.JobID
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, state.JobID(id))
	}
	return out, rows.Err()
}
