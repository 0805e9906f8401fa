package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

const jobColumns = `id, kind, parent_id, parent_task_id, orchestration, phase, phase_index, task, task_index,
	configuration, serial_key, status, trigger, triggered_by, notify_to, revision, retry_of, created_at,
	started_at, finished_at, message, exit_code, spec, selected, pid, log_path, cancel_requested`

func scanJob(row pgx.Row) (state.Job, error) {
	var j state.Job
	var parent, parentTask, retryOf, created, started, finished *int64
	var exitCode, pid *int32
	var spec string
	err := row.Scan(&j.ID, &j.Kind, &parent, &parentTask, &j.Orchestration, &j.Phase, &j.PhaseIndex, &j.Task, &j.TaskIndex,
		&j.Configuration, &j.SerialKey, &j.Status, &j.Trigger, &j.TriggeredBy, &j.NotifyTo, &j.Revision, &retryOf, &created,
		&started, &finished, &j.Message, &exitCode, &spec, &j.Selected, &pid, &j.LogPath, &j.CancelRequested)
	if err != nil {
		return state.Job{}, err
	}
	j.ParentID, j.ParentTaskID, j.RetryOf = jobID(parent), jobID(parentTask), jobID(retryOf)
	j.CreatedAt, j.StartedAt, j.FinishedAt = fromDB(created), fromDB(started), fromDB(finished)
	if exitCode != nil {
		c := int(*exitCode)
		j.ExitCode = &c
	}
	if pid != nil {
		j.PID = int(*pid)
	}
	j.Spec = json.RawMessage(spec)
	return j, nil
}

func jobID(n *int64) state.JobID {
	if n == nil {
		return 0
	}
	return state.JobID(*n)
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
// in one transaction.
func (s *Store) CreateJobWithFires(ctx context.Context, orch state.NewJob, tasks []state.NewJob, fires []state.ScheduleFire) (state.Job, error) {
	jobs, err := s.CreateJobs(ctx, []state.NewJobSet{{Orchestration: orch, Tasks: tasks, Fires: fires}})
	if err != nil {
		return state.Job{}, err
	}
	return jobs[0], nil
}

const insertJobSQL = `INSERT INTO jobs (kind, parent_id, parent_task_id, orchestration, phase, phase_index, task,
	task_index, configuration, serial_key, status, trigger, triggered_by, notify_to, revision, retry_of, created_at,
	message, spec, selected) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20)
	RETURNING id`

// insertReservedJobSQL records a job under an id ReserveJobIDs gave.
const insertReservedJobSQL = `INSERT INTO jobs (kind, parent_id, parent_task_id, orchestration, phase, phase_index, task,
	task_index, configuration, serial_key, status, trigger, triggered_by, notify_to, revision, retry_of, created_at,
	message, spec, selected, id) OVERRIDING SYSTEM VALUE
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
	RETURNING id`

// CreateJobs records several jobs in one transaction, all or none.
func (s *Store) CreateJobs(ctx context.Context, sets []state.NewJobSet) ([]state.Job, error) {
	var jobs []state.Job
	err := s.tx(ctx, func(tx pgx.Tx) error {
		ids, err := insertJobs(ctx, tx, sets)
		if err != nil {
			return err
		}
		jobs = make([]state.Job, len(ids))
		for i, id := range ids {
			if jobs[i], err = s.jobFrom(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return jobs, nil
}

// insertJobs inserts the jobs of sets with their fires and returns the ids
// of the orchestration jobs.
func insertJobs(ctx context.Context, tx pgx.Tx, sets []state.NewJobSet) ([]state.JobID, error) {
	ids := make([]state.JobID, len(sets))
	insert := func(n state.NewJob, parent state.JobID) (state.JobID, error) {
		spec := string(n.Spec)
		if spec == "" {
			spec = "{}"
		}
		query, args := insertJobSQL, []any{n.Kind, nullID(parent), nullID(n.ParentTaskID), n.Orchestration, n.Phase, n.PhaseIndex,
			n.Task, n.TaskIndex, n.Configuration, n.SerialKey, n.Status, n.Trigger, n.TriggeredBy, n.NotifyTo, n.Revision,
			nullID(n.RetryOf), toDB(n.CreatedAt), n.Message, spec, n.Selected}
		if n.ID != 0 {
			query, args = insertReservedJobSQL, append(args, int64(n.ID))
		}
		var id int64
		if err := tx.QueryRow(ctx, query, args...).Scan(&id); err != nil {
			return 0, fmt.Errorf("record job of %s: %w", n.Orchestration, err)
		}
		return state.JobID(id), nil
	}
	for i, set := range sets {
		for _, f := range set.Fires {
			if err := recordFire(ctx, tx, f); err != nil {
				return nil, err
			}
		}
		var err error
		if ids[i], err = insert(set.Orchestration, 0); err != nil {
			return nil, err
		}
		for _, t := range set.Tasks {
			if _, err := insert(t, ids[i]); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// ReserveJobIDs takes n values of the jobs' identity sequence.
func (s *Store) ReserveJobIDs(ctx context.Context, n int) ([]state.JobID, error) {
	if n <= 0 {
		return nil, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT nextval(pg_get_serial_sequence('jobs', 'id')) FROM generate_series(1, $1) ORDER BY 1", n)
	if err != nil {
		return nil, fmt.Errorf("reserve job ids: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, fmt.Errorf("reserve job ids: %w", err)
	}
	out := make([]state.JobID, len(ids))
	for i, id := range ids {
		out[i] = state.JobID(id)
	}
	return out, nil
}

// RecordRound records the new jobs, then applies the transitions, in one
// transaction.
func (s *Store) RecordRound(ctx context.Context, sets []state.NewJobSet, ts []state.JobTransition) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := insertJobs(ctx, tx, sets); err != nil {
			return err
		}
		return updateJobs(ctx, tx, ts)
	})
}

// Job reads a job; an orchestration job comes with its tasks.
func (s *Store) Job(ctx context.Context, id state.JobID) (state.Job, error) {
	return s.jobFrom(ctx, s.pool, id)
}

func (s *Store) jobFrom(ctx context.Context, q querier, id state.JobID) (state.Job, error) {
	j, err := scanJob(q.QueryRow(ctx, "SELECT "+jobColumns+" FROM jobs WHERE id = $1", int64(id)))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Job{}, fmt.Errorf("job %d: %w", id, state.ErrNotFound)
	}
	if err != nil {
		return state.Job{}, fmt.Errorf("read job %d: %w", id, err)
	}
	if j.Kind == state.KindOrchestrationJob {
		tasks, err := tasksOf(ctx, q, []state.JobID{j.ID})
		if err != nil {
			return state.Job{}, err
		}
		j.Tasks = tasks[j.ID]
	}
	return j, nil
}

// tasksOf reads the task jobs of many orchestration jobs in one query.
func tasksOf(ctx context.Context, q querier, ids []state.JobID) (map[state.JobID][]state.Job, error) {
	out := map[state.JobID][]state.Job{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]int64, len(ids))
	for i, id := range ids {
		args[i] = int64(id)
	}
	jobs, err := queryJobs(ctx, q, "SELECT "+jobColumns+" FROM jobs WHERE parent_id = ANY($1) ORDER BY parent_id, phase_index, task_index", args)
	if err != nil {
		return nil, fmt.Errorf("read task jobs: %w", err)
	}
	for _, t := range jobs {
		out[t.ParentID] = append(out[t.ParentID], t)
	}
	return out, nil
}

// ListJobs lists jobs newest first; orchestration jobs come with tasks.
func (s *Store) ListJobs(ctx context.Context, f state.JobFilter) ([]state.Job, error) {
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Orchestration != "" {
		where = append(where, "orchestration = "+arg(f.Orchestration))
	}
	if f.Kind != "" {
		where = append(where, "kind = "+arg(string(f.Kind)))
	}
	if f.Trigger != "" {
		where = append(where, "trigger = "+arg(f.Trigger))
	}
	if f.RetryOf != 0 {
		where = append(where, "retry_of = "+arg(int64(f.RetryOf)))
	}
	if len(f.Statuses) > 0 {
		where = append(where, "status = ANY("+arg(statusNames(f.Statuses))+")")
	}
	if f.BeforeID > 0 {
		where = append(where, "id < "+arg(int64(f.BeforeID)))
	}
	q := "SELECT " + jobColumns + " FROM jobs"
	if len(where) > 0 {
		q += " WHERE " + strings.Join(where, " AND ")
	}
	q += " ORDER BY id DESC LIMIT " + arg(limitArg(f.Limit))
	jobs, err := queryJobs(ctx, s.pool, q, args...)
	if err != nil {
		return nil, err
	}
	var orchIDs []state.JobID
	for _, j := range jobs {
		if j.Kind == state.KindOrchestrationJob {
			orchIDs = append(orchIDs, j.ID)
		}
	}
	tasks, err := tasksOf(ctx, s.pool, orchIDs)
	if err != nil {
		return nil, err
	}
	for i := range jobs {
		jobs[i].Tasks = tasks[jobs[i].ID]
	}
	return jobs, nil
}

func statusNames(sts []state.JobStatus) []string {
	out := make([]string, len(sts))
	for i, st := range sts {
		out[i] = string(st)
	}
	return out
}

func queryJobs(ctx context.Context, q querier, query string, args ...any) ([]state.Job, error) {
	rows, err := q.Query(ctx, query, args...)
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
	return queryJobs(ctx, s.pool, "SELECT "+jobColumns+" FROM jobs WHERE status IN ('created', 'waiting', 'processing') ORDER BY id")
}

// ActiveJobStatuses lists the jobs that have not ended, oldest first, with
// only their id, kind, parent, status and cancel request.
func (s *Store) ActiveJobStatuses(ctx context.Context) ([]state.Job, error) {
	rows, err := s.pool.Query(ctx, `SELECT id, kind, COALESCE(parent_id, 0), status, cancel_requested FROM jobs
		WHERE status IN ('created', 'waiting', 'processing') ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("list active jobs: %w", err)
	}
	defer rows.Close()
	var out []state.Job
	for rows.Next() {
		var j state.Job
		var id, parent int64
		var kind, status string
		if err := rows.Scan(&id, &kind, &parent, &status, &j.CancelRequested); err != nil {
			return nil, fmt.Errorf("list active jobs: %w", err)
		}
		j.ID, j.Kind, j.ParentID, j.Status = state.JobID(id), state.JobKind(kind), state.JobID(parent), state.JobStatus(status)
		out = append(out, j)
	}
	return out, rows.Err()
}

// LastSuccessfulDurations returns how long the newest n successful jobs of
// an orchestration took; n <= 0 returns all.
func (s *Store) LastSuccessfulDurations(ctx context.Context, orchestration string, n int) ([]time.Duration, error) {
	rows, err := s.pool.Query(ctx, `SELECT finished_at - started_at FROM jobs WHERE kind = 'orchestration'
		AND orchestration = $1 AND status = 'success' AND started_at IS NOT NULL AND finished_at IS NOT NULL
		ORDER BY id DESC LIMIT $2`, orchestration, limitArg(n))
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
	err := s.pool.QueryRow(ctx, "SELECT id FROM jobs WHERE parent_task_id = $1", int64(parentTaskID)).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Job{}, false, nil
	}
	if err != nil {
		return state.Job{}, false, fmt.Errorf("read child job of %d: %w", parentTaskID, err)
	}
	j, err := s.Job(ctx, state.JobID(id))
	return j, err == nil, err
}

// ActiveJobCreatedBefore reports whether an orchestration has a job that
// has not ended and was created before t.
func (s *Store) ActiveJobCreatedBefore(ctx context.Context, orchestration string, t time.Time) (bool, error) {
	var n int
	err := s.pool.QueryRow(ctx, `SELECT COUNT(*) FROM jobs WHERE kind = 'orchestration' AND orchestration = $1
		AND status IN ('created', 'waiting', 'processing') AND created_at < $2`, orchestration, toDB(t)).Scan(&n)
	return n > 0, err
}
