package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

var _ state.AssignmentStore = (*Store)(nil)

// The LISTEN/NOTIFY channels of assignments (the payload names the node)
// and of reported outcomes.
const (
	assignChannel  = "baton_assign"
	resultsChannel = "baton_results"
)

// Assign records new assignments and notifies their nodes, in one
// transaction: a node hears of an assignment only once it is stored.
func (s *Store) Assign(ctx context.Context, as []state.Assignment) error {
	if len(as) == 0 {
		return nil
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("assign tasks: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	var b pgx.Batch
	var nodes []string
	for _, a := range as {
		// A task job is handed out once: a retried write whose first
		// try did commit must not reset what the node did since.
		b.Queue(`INSERT INTO task_assignments (job_id, run_id, node, assigned_at) VALUES ($1, $2, $3, $4)
			ON CONFLICT (job_id) DO NOTHING`,
			int64(a.JobID), int64(a.RunID), a.Node, toDB(a.AssignedAt))
		if !slices.Contains(nodes, a.Node) {
			nodes = append(nodes, a.Node)
		}
	}
	for _, n := range nodes {
		b.Queue("SELECT pg_notify($1, $2)", assignChannel, n)
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("assign tasks: %w", err)
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("assign tasks: %w", err)
	}
	return nil
}

const assignmentColumns = "job_id, run_id, node, assigned_at, started_by, started_at, stop, result"

func scanAssignments(rows pgx.Rows) ([]state.Assignment, error) {
	defer rows.Close()
	var out []state.Assignment
	for rows.Next() {
		var a state.Assignment
		var job, run int64
		var assigned int64
		var started *int64
		var result []byte
		if err := rows.Scan(&job, &run, &a.Node, &assigned, &a.StartedBy, &started, &a.Stop, &result); err != nil {
			return nil, err
		}
		a.JobID, a.RunID = state.JobID(job), state.JobID(run)
		a.AssignedAt, a.StartedAt = fromDB(&assigned), fromDB(started)
		if result != nil {
			a.Result = new(state.TaskResult)
			if err := json.Unmarshal(result, a.Result); err != nil {
				return nil, fmt.Errorf("task job %d: decode its reported outcome: %w", job, err)
			}
		}
		out = append(out, a)
	}
	return out, rows.Err()
}

// NodeAssignments lists the assignments of node without a result.
func (s *Store) NodeAssignments(ctx context.Context, node string) ([]state.Assignment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+assignmentColumns+" FROM task_assignments WHERE node = $1 AND result IS NULL ORDER BY job_id", node)
	if err != nil {
		return nil, fmt.Errorf("list the tasks of node %s: %w", node, err)
	}
	as, err := scanAssignments(rows)
	if err != nil {
		return nil, fmt.Errorf("list the tasks of node %s: %w", node, err)
	}
	return as, nil
}

// Assignments lists every assignment.
func (s *Store) Assignments(ctx context.Context) ([]state.Assignment, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+assignmentColumns+" FROM task_assignments ORDER BY job_id")
	if err != nil {
		return nil, fmt.Errorf("list task assignments: %w", err)
	}
	as, err := scanAssignments(rows)
	if err != nil {
		return nil, fmt.Errorf("list task assignments: %w", err)
	}
	return as, nil
}

// StartAssignment claims an assignment for one incarnation of its node.
func (s *Store) StartAssignment(ctx context.Context, job state.JobID, node, by string, at time.Time) (bool, error) {
	tag, err := s.pool.Exec(ctx, `UPDATE task_assignments SET started_by = $3, started_at = $4
		WHERE job_id = $1 AND node = $2 AND started_by IN ('', $3) AND result IS NULL AND stop = ''`, int64(job), node, by, toDB(at))
	if err != nil {
		return false, fmt.Errorf("record the start of task job %d: %w", job, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReportAssignment stores an outcome and wakes the dispatcher.
func (s *Store) ReportAssignment(ctx context.Context, job state.JobID, node string, r state.TaskResult) (bool, error) {
	b, err := json.Marshal(r)
	if err != nil {
		return false, fmt.Errorf("encode the outcome of task job %d: %w", job, err)
	}
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return false, fmt.Errorf("report the outcome of task job %d: %w", job, err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	// The same outcome again (a retry whose first try committed unseen)
	// counts as stored.
	tag, err := tx.Exec(ctx, "UPDATE task_assignments SET result = $3 WHERE job_id = $1 AND node = $2 AND (result IS NULL OR result = $3::jsonb)", int64(job), node, b)
	if err != nil {
		return false, fmt.Errorf("report the outcome of task job %d: %w", job, err)
	}
	if tag.RowsAffected() == 0 {
		return false, nil
	}
	if _, err := tx.Exec(ctx, "SELECT pg_notify($1, '')", resultsChannel); err != nil {
		return false, fmt.Errorf("report the outcome of task job %d: %w", job, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("report the outcome of task job %d: %w", job, err)
	}
	return true, nil
}

// StopAssignments asks the nodes of these tasks to stop them.
func (s *Store) StopAssignments(ctx context.Context, jobs []state.JobID, reason string) error {
	if len(jobs) == 0 {
		return nil
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = int64(j)
	}
	_, err := s.pool.Exec(ctx, `WITH stopped AS (
			UPDATE task_assignments SET stop = $2 WHERE job_id = ANY($1) AND stop = '' AND result IS NULL RETURNING node)
		SELECT pg_notify($3, node) FROM (SELECT DISTINCT node FROM stopped) n`, ids, reason, assignChannel)
	if err != nil {
		return fmt.Errorf("ask nodes to stop tasks: %w", err)
	}
	return nil
}

// DeleteAssignments forgets assignments; a node that still runs one of
// them hears of it and stops it.
func (s *Store) DeleteAssignments(ctx context.Context, jobs []state.JobID) error {
	if len(jobs) == 0 {
		return nil
	}
	ids := make([]int64, len(jobs))
	for i, j := range jobs {
		ids[i] = int64(j)
	}
	_, err := s.pool.Exec(ctx, `WITH gone AS (
			DELETE FROM task_assignments WHERE job_id = ANY($1) RETURNING node, result IS NULL AS running)
		SELECT pg_notify($2, node) FROM (SELECT DISTINCT node FROM gone WHERE running) n`, ids, assignChannel)
	if err != nil {
		return fmt.Errorf("forget task assignments: %w", err)
	}
	return nil
}

// WatchAssignments signals when node's assignments change.
func (s *Store) WatchAssignments(ctx context.Context, node string) (<-chan struct{}, func(), error) {
	return s.watch(ctx, assignChannel, func(payload string) bool { return payload == node })
}

// WatchResults signals when a node reported an outcome.
func (s *Store) WatchResults(ctx context.Context) (<-chan struct{}, func(), error) {
	return s.watch(ctx, resultsChannel, nil)
}
