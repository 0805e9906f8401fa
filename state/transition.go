package state

import "slices"

// transitions is the one table of how a job's status may change: for each
// kind of job and each status, the statuses a job may reach it from. A job
// is recorded created (or, when it never runs, directly with its end);
// terminal statuses lead nowhere.
//
// A task ends only from processing, except that one cancelled on its own
// is cancelled before it starts; a task that never started is otherwise
// skipped.
// Waiting may follow waiting: the job records a new reason to wait.
// An orchestration job may end from any status that has not ended, as when
// it fails before its first task starts or recovery finds it unfinished.
var transitions = map[JobKind]map[JobStatus][]JobStatus{
	KindOrchestrationJob: {
		JobWaiting:    {JobCreated, JobWaiting},
		JobProcessing: {JobCreated, JobWaiting},
		JobSuccess:    {JobCreated, JobWaiting, JobProcessing},
		JobWarning:    {JobCreated, JobWaiting, JobProcessing},
		JobError:      {JobCreated, JobWaiting, JobProcessing},
		JobCancelled:  {JobCreated, JobWaiting, JobProcessing},
		JobTerminated: {JobCreated, JobWaiting, JobProcessing},
		JobSkipped:    {JobCreated, JobWaiting},
	},
	KindTaskJob: {
		JobWaiting:    {JobCreated, JobWaiting},
		JobProcessing: {JobCreated, JobWaiting},
		JobSuccess:    {JobProcessing},
		JobWarning:    {JobProcessing},
		JobError:      {JobProcessing},
		JobCancelled:  {JobCreated, JobWaiting, JobProcessing},
		JobTerminated: {JobProcessing},
		JobSkipped:    {JobCreated, JobWaiting},
	},
}

// TransitionFrom returns the statuses a job of kind may move to status
// from; none when no transition leads there.
func TransitionFrom(kind JobKind, to JobStatus) []JobStatus {
	return slices.Clone(transitions[kind][to])
}

// CanTransition reports whether a job of kind may move from one status to
// another.
func CanTransition(kind JobKind, from, to JobStatus) bool {
	return slices.Contains(transitions[kind][to], from)
}
