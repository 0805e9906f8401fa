package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/baton-dev/baton/state"
)

const jobColumns = `id, kind, parent_id, parent_task_id, orchestration, phase, phase_index, task, task_index,
	configuration, serial_key, status, trigger, triggered_by, notify_to, revision, retry_of, created_at,
	started_at, finished_at, message, exit_code, spec, selected, pid, log_path, cancel_requested`

func scanJob(row interface{ Scan(...any) error }) (state.Job, error) {
	var j state.Job
	var parent, parentTask, retryOf, created, started, finished, exitCode, pid sql.NullInt64
	var spec string
	err := row.Scan(&j.ID, &j.Kind, &parent, &parentTask, &j.Orchestration, &j.Phase, &j.PhaseIndex, &j.Task, &j.TaskIndex,
		&j.Configuration, &j.SerialKey, &j.Status, &j.Trigger, &j.TriggeredBy, &j.NotifyTo, &j.Revision, &retryOf, &created,
		&started, &finished, &j.Message, &exitCode, &spec, &j.Selected, &pid, &j.LogPath, &j.CancelRequested)
	if err != nil {
		return state.Job{}, err
	}
	j.ParentID, j.ParentTaskID, j.RetryOf = state.JobID(parent.Int64), state.JobID(parentTask.Int64), state.JobID(retryOf.Int64)
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromDB(created), fromDB(started), fromDB(finished)
	if exitCode.Valid {
		c := int(exitCode.Int64)
		j.ExitCode = &c
	}
	j.PID = int(pid.Int64)
	j.Spec = json.RawMessage(spec)
	return j, nil
}

func nullID(id state.JobID) any {
	if id == 0 {
		return nil
	}
	return int64(id)
}

// CreateJob records an orchestration job and its task jobs in one
// transaction.
func (s *Store) CreateJob(ctx context.Context, orch state.NewJob, tasks []state.NewJob) (state.Job, error) {
	return s.CreateJobWithFires(ctx, orch, tasks, nil)
}

// CreateJobWithFires records a job and the schedule fires that caused it
// in one transaction: a crash can neither lose the fire's job nor run it
// twice.
func (s *Store) CreateJobWithFires(ctx context.Context, orch state.NewJob, tasks []state.NewJob, fires []state.ScheduleFire) (state.Job, error) {
	jobs, err := s.CreateJobs(ctx, []state.NewJobSet{{Orchestration: orch, Tasks: tasks, Fires: fires}})
	if err != nil {
		return state.Job{}, err
	}
	return jobs[0], nil
}

// CreateJobs records several jobs in one transaction (the orchestrations
// due at the same instant), all or none. The jobs it returns are made from
// what it inserted, as reading them back would give them: a burst of jobs
// reaches the dispatcher without a second round of queries.
func (s *Store) CreateJobs(ctx context.Context, sets []state.NewJobSet) ([]state.Job, error) {
	var jobs []state.Job
	err := s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		jobs, err = insertJobs(ctx, tx, sets, nil)
		return err
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

const insertJobSQL = `INSERT INTO jobs (id, kind, parent_id, parent_task_id, orchestration, phase, phase_index, task,
	task_index, configuration, serial_key, status, trigger, triggered_by, notify_to, revision, retry_of, created_at,
	message, spec, selected, started_at, log_path)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`

// insertJobs inserts the jobs of sets with their fires. A job with a
// transition in starts is inserted as the transition leaves it (see
// foldStarts).
func insertJobs(ctx context.Context, tx *sql.Tx, sets []state.NewJobSet, starts map[state.JobID]state.JobUpdate) ([]state.Job, error) {
	jobs := make([]state.Job, len(sets))
	stmt, err := tx.PrepareContext(ctx, insertJobSQL)
	if err != nil {
		return nil, err
	}
	defer stmt.Close()
	insert := func(n *state.NewJob, parent state.JobID) error {
		u, start := starts[n.ID]
		status, message, started, logPath := n.Status, n.Message, time.Time{}, ""
		if start {
			status, started = u.Status, u.StartedAt
			if u.Message != nil {
				message = *u.Message
			}
			if u.LogPath != nil {
				logPath = *u.LogPath
			}
		}
		spec := string(n.Spec)
		if spec == "" {
			spec = "{}"
		}
		res, err := stmt.ExecContext(ctx, nullID(n.ID), n.Kind, nullID(parent), nullID(n.ParentTaskID), n.Orchestration, n.Phase, n.PhaseIndex,
			n.Task, n.TaskIndex, n.Configuration, n.SerialKey, status, n.Trigger, n.TriggeredBy, n.NotifyTo, n.Revision,
			nullID(n.RetryOf), toDB(n.CreatedAt), message, spec, n.Selected, toDB(started), logPath)
		if err != nil {
			return fmt.Errorf("record job of %s: %w", n.Orchestration, err)
		}
		if n.ID == 0 {
			id, err := res.LastInsertId()
			if err != nil {
				return fmt.Errorf("record job of %s: %w", n.Orchestration, err)
			}
			n.ID = state.JobID(id)
		}
		return nil
	}
	var fire *sql.Stmt
	for i, set := range sets {
		for _, f := range set.Fires {
			if fire == nil {
				if fire, err = tx.PrepareContext(ctx, recordFireSQL); err != nil {
					return nil, fmt.Errorf("record fire of %s: %w", f.Orchestration, err)
				}
				defer fire.Close()
			}
			if err := recordFireWith(ctx, fire, f); err != nil {
				return nil, err
			}
		}
		if err := insert(&set.Orchestration, 0); err != nil {
			return nil, err
		}
		set.Tasks = slices.Clone(set.Tasks)
		for k := range set.Tasks {
			if err := insert(&set.Tasks[k], set.Orchestration.ID); err != nil {
				return nil, err
			}
		}
		jobs[i] = set.Stored()
	}
	return jobs, nil
}

type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
}

// Job reads a job; an orchestration job comes with its tasks.
func (s *Store) Job(ctx context.Context, id state.JobID) (state.Job, error) {
	return s.jobFrom(ctx, s.r, id)
}

func (s *Store) jobFrom(ctx context.Context, q querier, id state.JobID) (state.Job, error) {
	j, err := scanJob(q.QueryRowContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = ?", int64(id)))
	if errors.Is(err, sql.ErrNoRows) {
		return state.Job{}, fmt.Errorf("job %d: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	if j.Kind == state.KindOrchestrationJob {
		tasks, err := s.tasksOf(ctx, q, []state.JobID{j.ID})
		if err != nil {
			return state.Job{}, err
		}
		j.Tasks = tasks[j.ID]
	}
	return j, nil
}

// tasksOf reads the task jobs of many orchestration jobs in one query.
func (s *Store) tasksOf(ctx context.Context, q querier, ids []state.JobID) (map[state.JobID][]state.Job, error) {
	out := map[state.JobID][]state.Job{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	rows, err := q.QueryContext(ctx, "SELECT "+jobColumns+" FROM jobs WHERE parent_id IN (?"+strings.Repeat(", ?", len(ids)-1)+") ORDER BY parent_id, phase_index, task_index", args...)
	if err != nil {
		return nil, fmt.Errorf("read task jobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		t, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("read task jobs: %w", err)
		}
		out[t.ParentID] = append(out[t.ParentID], t)
	}
	return out, rows.Err()
}

// ListJobs lists jobs newest first; orchestration jobs come with tasks.
func (s *Store) ListJobs(ctx context.Context, f state.JobFilter) ([]state.Job, error) {
	var where []string
	var args []any
	if f.Orchestration != "" {
		where, args = append(where, "orchestration = ?"), append(args, f.Orchestration)
	}
	if f.Kind != "" {
		// The kind is written as a literal: SQLite uses a partial index
		// (WHERE kind = 'orchestration') only for a constant.
		switch f.Kind {
		case state.KindOrchestrationJob, state.KindTaskJob:
			where = append(where, "kind = '"+string(f.Kind)+"'")
		default:
			where, args = append(where, "kind = ?"), append(args, f.Kind)
		}
	}
	if f.Trigger != "" {
		where, args = append(where, "trigger = ?"), append(args, f.Trigger)
	}
	if f.RetryOf != 0 {
		where, args = append(where, "retry_of = ?"), append(args, int64(f.RetryOf))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status IN (?"+strings.Repeat(", ?", len(f.Statuses)-1)+")")
		for _, st := range f.Statuses {
			args = append(args, st)
		}
	}
	if f.BeforeID > 0 {
		where, args = append(where, "id < ?"), append(args, int64(f.BeforeID))
	}
	q := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT ?"
	jobs, err := s.queryJobs(ctx, s.r, q, append(args, sqlLimit(f.Limit))...)
	if err != nil {
		return nil, err
	}
	var orchIDs []state.JobID
	for _, j := range jobs {
		if j.Kind == state.KindOrchestrationJob {
			orchIDs = append(orchIDs, j.ID)
		}
	}
	tasks, err := s.tasksOf(ctx, s.r, orchIDs)
	if err != nil {
		return nil, err
	}
	for i := range jobs {
		jobs[i].Tasks = tasks[jobs[i].ID]
	}
	return jobs, nil
}

func (s *Store) queryJobs(ctx context.Context, q querier, query string, args ...any) ([]state.Job, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, fmt.Errorf("list jobs: %w", err)
	}
	defer rows.Close()
	var out []state.Job
	for rows.Next() {
		j, err := scanJob(rows)
		if err != nil {
			return nil, fmt.Errorf("list jobs: %w", err)
		}
		out = append(out, j)
	}
	return out, rows.Err()
}

// ActiveJobs lists jobs that have not ended, oldest first.
func (s *Store) ActiveJobs(ctx context.Context) ([]state.Job, error) {
	return s.queryJobs(ctx, s.r, "SELECT "+jobColumns+" FROM jobs WHERE status IN ('created', 'waiting', 'processing') ORDER BY id")
}

// ActiveJobStatuses lists the jobs that have not ended, oldest first, with
// only their id, kind, parent, status and cancel request.
func (s *Store) ActiveJobStatuses(ctx context.Context) ([]state.Job, error) {
	rows, err := s.r.QueryContext(ctx, activeStatusesSQL)
	if err != nil {
		return nil, fmt.Errorf("list active jobs: %w", err)
	}
	defer rows.Close()
	var out []state.Job
	for rows.Next() {
		var j state.Job
		var parent sql.NullInt64
		if err := rows.Scan(&j.ID, &j.Kind, &parent, &j.Status, &j.CancelRequested); err != nil {
			return nil, fmt.Errorf("list active jobs: %w", err)
		}
		j.ParentID = state.JobID(parent.Int64)
		out = append(out, j)
	}
	return out, rows.Err()
}

const activeStatusesSQL = `SELECT id, kind, parent_id, status, cancel_requested FROM jobs
	WHERE status IN ('created', 'waiting', 'processing') ORDER BY id`

// LastSuccessfulDurations returns how long the newest n successful jobs of
// an orchestration took; n <= 0 returns all.
func (s *Store) LastSuccessfulDurations(ctx context.Context, orchestration string, n int) ([]time.Duration, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT finished_at - started_at FROM jobs WHERE kind = 'orchestration'
		AND orchestration = ? AND status = 'success' AND started_at IS NOT NULL AND finished_at IS NOT NULL
		ORDER BY id DESC LIMIT ?`, orchestration, sqlLimit(n))
	if err != nil {
		return nil, fmt.Errorf("read durations of %s: %w", orchestration, err)
	}
	defer rows.Close()
	var out []time.Duration
	for rows.Next() {
		var d int64
		if err := rows.Scan(&d); err != nil {
			return nil, err
		}
		out = append(out, time.Duration(d))
	}
	return out, rows.Err()
}

// ChildJob is the orchestration job a task job started, if any.
func (s *Store) ChildJob(ctx context.Context, parentTaskID state.JobID) (state.Job, bool, error) {
	var id int64
	err := s.r.QueryRowContext(ctx, "SELECT id FROM jobs WHERE parent_task_id = ?", int64(parentTaskID)).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return state.Job{}, false, nil
	}
	if err != nil {
		return state.Job{}, false, fmt.Errorf("read child job of %d: %w", parentTaskID, err)
	}
	j, err := s.Job(ctx, state.JobID(id))
	return j, err == nil, err
}
