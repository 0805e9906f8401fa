package state

import (
	"context"
	"time"
)

// Assignment hands one task job to the node that runs its process, when
// several nodes share the state. The leading node's dispatcher writes it
// after it stored the task as processing; the node's worker runs the
// process and reports the outcome in it; the dispatcher records the
// outcome as the task's transition and deletes the assignment.
type Assignment struct {
	JobID JobID  `json:"job_id"`
	RunID JobID  `json:"run_id"`
	Node  string `json:"node"`
	// AssignedAt is when the dispatcher handed the task to the node.
	AssignedAt time.Time `json:"assigned_at"`
	// StartedBy names the node process (an incarnation of the node) that
	// started the task's process; empty until one did.
	StartedBy string    `json:"started_by,omitempty"`
	StartedAt time.Time `json:"started_at,omitzero"`
	// Stop asks the node to stop the process: "cancel" or "shutdown".
	Stop string `json:"stop,omitempty"`
	// Result is the outcome the node reported; nil while the task runs.
	Result *TaskResult `json:"result,omitempty"`
}

// TaskResult is how a task process ended, as its node saw it.
type TaskResult struct {
	Status     JobStatus `json:"status"`
	Message    string    `json:"message"`
	ExitCode   *int      `json:"exit_code,omitempty"`
	PID        *int      `json:"pid,omitempty"`
	FinishedAt time.Time `json:"finished_at"`
	// LogPath is where the task's log is on its node.
	LogPath string `json:"log_path,omitempty"`
}

// AssignmentStore hands tasks to the nodes that run them. Only a state
// shared by several machines implements it; with one that does not, the
// executor runs every task in its own process.
type AssignmentStore interface {
	// Assign records new assignments and wakes their nodes' workers.
	Assign(ctx context.Context, as []Assignment) error
	// NodeAssignments lists the assignments of a node without a result.
	NodeAssignments(ctx context.Context, node string) ([]Assignment, error)
	// StartAssignment records that process incarnation by started the
	// task (again true for the same incarnation). It is false when the
	// assignment is gone (the dispatcher took the task back: the node was
	// declared lost), asked to stop, or another incarnation started it:
	// the process must then not run.
	StartAssignment(ctx context.Context, job JobID, node, by string, at time.Time) (bool, error)
	// ReportAssignment stores the outcome of a task and wakes the
	// dispatcher. It is false when the assignment is gone or belongs to
	// another node: the dispatcher no longer waits for that outcome.
	ReportAssignment(ctx context.Context, job JobID, node string, r TaskResult) (bool, error)
	// StopAssignments asks the nodes running these tasks to stop them.
	StopAssignments(ctx context.Context, jobs []JobID, reason string) error
	// Assignments lists every assignment, for the dispatcher.
	Assignments(ctx context.Context) ([]Assignment, error)
	// DeleteAssignments forgets assignments whose outcome was recorded
	// (or whose node was lost).
	DeleteAssignments(ctx context.Context, jobs []JobID) error
	// WatchAssignments signals when the assignments of node change; the
	// channel holds at most one pending signal. The function stops it.
	WatchAssignments(ctx context.Context, node string) (<-chan struct{}, func(), error)
	// WatchResults signals when a node reported an outcome.
	WatchResults(ctx context.Context) (<-chan struct{}, func(), error)
}
