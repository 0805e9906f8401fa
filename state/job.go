package state

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// JobID identifies a job (orchestration or task).
type JobID int64

// JobStatus is where a job is in its life.
type JobStatus string

// The job statuses.
const (
	JobCreated    JobStatus = "created"
	JobWaiting    JobStatus = "waiting"
	JobProcessing JobStatus = "processing"
	JobSuccess    JobStatus = "success"
	JobWarning    JobStatus = "warning"
	JobError      JobStatus = "error"
	JobCancelled  JobStatus = "cancelled"
	JobTerminated JobStatus = "terminated"
	JobSkipped    JobStatus = "skipped"
)

var jobStatuses = []JobStatus{JobCreated, JobWaiting, JobProcessing, JobSuccess, JobWarning, JobError, JobCancelled, JobTerminated, JobSkipped}

// ActiveStatuses are the statuses of a job that has not ended.
var ActiveStatuses = []JobStatus{JobCreated, JobWaiting, JobProcessing}

// Terminal reports whether the job has ended.
func (s JobStatus) Terminal() bool {
	switch s {
	case JobCreated, JobWaiting, JobProcessing:
		return false
	}
	return true
}

// ParseJobStatus reads a status name.
func ParseJobStatus(s string) (JobStatus, error) {
	for _, v := range jobStatuses {
		if string(v) == s {
			return v, nil
		}
	}
	names := make([]string, len(jobStatuses))
	for i, v := range jobStatuses {
		names[i] = string(v)
	}
	return "", fmt.Errorf("unknown job status %q; statuses are %s", s, strings.Join(names, ", "))
}

// JobKind says whether a job runs an orchestration or one task of it.
type JobKind string

const (
	KindOrchestrationJob JobKind = "orchestration"
	KindTaskJob          JobKind = "task"
)

// ErrStatusChanged means a compare-and-set update found another status.
var ErrStatusChanged = errors.New("job status changed")

// ErrJobEnded means a job has a terminal status, so it cannot be cancelled.
var ErrJobEnded = errors.New("job already ended")

// Job is one run of an orchestration or of one of its tasks.
type Job struct {
	ID              JobID           `json:"id"`
	Kind            JobKind         `json:"kind"`
	ParentID        JobID           `json:"parent_id,omitempty"`
	ParentTaskID    JobID           `json:"parent_task_id,omitempty"`
	Orchestration   string          `json:"orchestration"`
	Phase           string          `json:"phase,omitempty"`
	PhaseIndex      int             `json:"-"`
	Task            string          `json:"task,omitempty"`
	TaskIndex       int             `json:"-"`
	Configuration   string          `json:"configuration,omitempty"`
	SerialKey       string          `json:"-"`
	Status          JobStatus       `json:"status"`
	Trigger         string          `json:"trigger,omitempty"`
	TriggeredBy     string          `json:"triggered_by,omitempty"`
	NotifyTo        string          `json:"-"`
	Revision        string          `json:"revision,omitempty"`
	RetryOf         JobID           `json:"retry_of,omitempty"`
	CreatedAt       time.Time       `json:"created_at"`
	StartedAt       time.Time       `json:"started_at,omitzero"`
	FinishedAt      time.Time       `json:"finished_at,omitzero"`
	Message         string          `json:"message"`
	ExitCode        *int            `json:"exit_code,omitempty"`
	Spec            json.RawMessage `json:"-"`
	Selected        bool            `json:"-"`
	PID             int             `json:"-"`
	LogPath         string          `json:"-"`
	CancelRequested bool            `json:"-"`
	Tasks           []Job           `json:"tasks,omitempty"`
}

// NewJob is a job to record.
type NewJob struct {
	// ID is zero (the store gives the job an id) or one of the ids
	// ReserveJobIDs set aside for it.
	ID            JobID
	Kind          JobKind
	ParentTaskID  JobID
	Orchestration string
	Phase         string
	PhaseIndex    int
	Task          string
	TaskIndex     int
	Configuration string
	SerialKey     string
	Status        JobStatus
	Trigger       string
	TriggeredBy   string
	NotifyTo      string
	Revision      string
	RetryOf       JobID
	Message       string
	Spec          json.RawMessage
	Selected      bool
	CreatedAt     time.Time
}

// NewJobSet is an orchestration job to record with its task jobs and the
// schedule fires that caused it.
type NewJobSet struct {
	Orchestration NewJob
	Tasks         []NewJob
	Fires         []ScheduleFire
}

// Stored is the job of the set as reading it back gives it, once recorded
// with its ids (the ids of the NewJobs): the tasks in phase and task order.
// Times come back in UTC with nanoseconds, a missing spec as {}.
func (s NewJobSet) Stored() Job {
	j := s.Orchestration.stored(0)
	for _, t := range s.Tasks {
		j.Tasks = append(j.Tasks, t.stored(j.ID))
	}
	slices.SortStableFunc(j.Tasks, func(a, b Job) int {
		return cmp.Or(cmp.Compare(a.PhaseIndex, b.PhaseIndex), cmp.Compare(a.TaskIndex, b.TaskIndex))
	})
	return j
}

func (n NewJob) stored(parent JobID) Job {
	spec := n.Spec
	if len(spec) == 0 {
		spec = json.RawMessage("{}")
	}
	var created time.Time
	if !n.CreatedAt.IsZero() {
		created = time.Unix(0, n.CreatedAt.UnixNano()).UTC()
	}
	return Job{ID: n.ID, Kind: n.Kind, ParentID: parent, ParentTaskID: n.ParentTaskID, Orchestration: n.Orchestration,
		Phase: n.Phase, PhaseIndex: n.PhaseIndex, Task: n.Task, TaskIndex: n.TaskIndex, Configuration: n.Configuration,
		SerialKey: n.SerialKey, Status: n.Status, Trigger: n.Trigger, TriggeredBy: n.TriggeredBy, NotifyTo: n.NotifyTo,
		Revision: n.Revision, RetryOf: n.RetryOf, CreatedAt: created, Message: n.Message, Spec: spec, Selected: n.Selected}
}

// JobFilter selects jobs for ListJobs.
type JobFilter struct {
	Orchestration string
	Statuses      []JobStatus
	Kind          JobKind
	// Trigger selects jobs of one trigger ("manual", "schedule", ...).
	Trigger string
	// RetryOf selects the retries of a job.
	RetryOf JobID
	// BeforeID pages back: only jobs with a smaller id.
	BeforeID JobID
	// Limit <= 0 lists all.
	Limit int
}

// JobUpdate is a status transition with what goes with it.
type JobUpdate struct {
	Status     JobStatus
	StartedAt  time.Time // zero: leave
	FinishedAt time.Time // zero: leave
	Message    *string
	ExitCode   *int
	PID        *int
	LogPath    *string
	// TableUpdates and Outbox are recorded in the same transaction, so a
	// job's end, the tables it updated and its notifications are atomic.
	TableUpdates []TableUpdate
	Outbox       []OutboxEntry
}

// JobTransition is one update of UpdateJobs.
type JobTransition struct {
	ID     JobID
	From   []JobStatus
	Update JobUpdate
}

// JobStore is the job queue: jobs, their tasks and their transitions.
type JobStore interface {
	// CreateJob records an orchestration job and its task jobs in one
	// transaction.
	CreateJob(ctx context.Context, orch NewJob, tasks []NewJob) (Job, error)
	// CreateJobWithFires records a job and the schedule fires that caused
	// it in one transaction: a crash can neither lose the fire's job nor
	// run it twice.
	CreateJobWithFires(ctx context.Context, orch NewJob, tasks []NewJob, fires []ScheduleFire) (Job, error)
	// CreateJobs records several jobs in one transaction (the
	// orchestrations due at the same instant), all or none.
	CreateJobs(ctx context.Context, sets []NewJobSet) ([]Job, error)
	// Job reads a job; an orchestration job comes with its tasks, in phase
	// and task order. A missing job is ErrNotFound.
	Job(ctx context.Context, id JobID) (Job, error)
	// ListJobs lists jobs newest first; orchestration jobs come with tasks.
	ListJobs(ctx context.Context, f JobFilter) ([]Job, error)
	// ActiveJobs lists jobs that have not ended, oldest first, without
	// their tasks.
	ActiveJobs(ctx context.Context) ([]Job, error)
	// ActiveJobStatuses lists the jobs ActiveJobs lists, in the same
	// order, with only their ID, Kind, ParentID, Status and
	// CancelRequested set: what an executor looks at to see what changed,
	// at a fraction of the cost of the whole rows of a wide job.
	ActiveJobStatuses(ctx context.Context) ([]Job, error)
	// LastSuccessfulDurations returns how long the newest n successful
	// jobs of an orchestration took, newest first; n <= 0 returns all.
	LastSuccessfulDurations(ctx context.Context, orchestration string, n int) ([]time.Duration, error)
	// ChildJob is the orchestration job a task job started, if any.
	ChildJob(ctx context.Context, parentTaskID JobID) (Job, bool, error)
	// UpdateJob sets a job's status if it is one of from (any non-terminal
	// status when from is empty), with the update's table updates and
	// notifications in the same transaction; else it returns
	// ErrStatusChanged (or ErrNotFound).
	UpdateJob(ctx context.Context, id JobID, from []JobStatus, u JobUpdate) error
	// UpdateJobs applies many transitions in one transaction, all or none.
	UpdateJobs(ctx context.Context, ts []JobTransition) error
	// ReserveJobIDs sets n job ids aside, for jobs recorded with
	// RecordRound: ids no other job gets, each above every id given
	// before, in increasing order.
	ReserveJobIDs(ctx context.Context, n int) ([]JobID, error)
	// RecordRound records new jobs (with their fires, and every job's id
	// from ReserveJobIDs) and then applies transitions, which may be of
	// the new jobs, in one transaction, all or none: a job due now is
	// stored together with its start.
	RecordRound(ctx context.Context, sets []NewJobSet, ts []JobTransition) error
	// RequestCancel marks a job and its unfinished tasks for cancelling;
	// an ended job is ErrJobEnded.
	RequestCancel(ctx context.Context, id JobID) (Job, error)
	// ActiveJobCreatedBefore reports whether an orchestration has a job
	// that has not ended and was created before t.
	ActiveJobCreatedBefore(ctx context.Context, orchestration string, t time.Time) (bool, error)
}
