package executor

import (
	"sync"

	"github.com/baton-dev/baton/state"
)

// handOffMax bounds the jobs kept for the next dispatcher of this
// process: a process whose dispatcher never runs (another one executes)
// keeps no more.
const handOffMax = 8

// handOff holds jobs this process recorded while no dispatcher ran here,
// as stored, so that its next dispatcher need not read them back: a
// 1000-task job costs as much to read as to run 20 of its tasks. The state
// stays the authority: recovery uses a job kept here only when the state
// still has it and all its tasks as they were created (see matches).
type handOff struct {
	mu   sync.Mutex
	jobs []state.Job
}

func (h *handOff) put(j state.Job) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if len(h.jobs) == handOffMax {
		h.jobs = h.jobs[1:]
	}
	h.jobs = append(h.jobs, j)
}

// take returns the kept job of row, no longer kept, when row (the job's row in
// the state) and tasks (the rows of its tasks that have not ended) show it
// unchanged since it was created.
func (h *handOff) take(row state.Job, tasks []state.Job) (state.Job, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for i, j := range h.jobs {
		if j.ID != row.ID {
			continue
		}
		h.jobs = append(h.jobs[:i:i], h.jobs[i+1:]...)
		return j, matches(j, row, tasks)
	}
	return state.Job{}, false
}

// matches reports whether kept, a job as it was created, is as the state
// has it now. A created job changes only by moving its status or its
// tasks' away from created (a wait, a start, a cancel of one task), or by
// a cancel request: the statuses and cancel flags of the job and of its
// tasks that have not ended tell every change.
func matches(kept, row state.Job, tasks []state.Job) bool {
	if kept.Status != state.JobCreated || row.Status != state.JobCreated || row.CancelRequested {
		return false
	}
	byID := make(map[state.JobID]state.Job, len(tasks))
	for _, t := range tasks {
		byID[t.ID] = t
	}
	n := 0
	for _, t := range kept.Tasks {
		if t.Status.Terminal() {
			continue
		}
		now, ok := byID[t.ID]
		if !ok || now.Status != t.Status || now.CancelRequested {
			return false
		}
		n++
	}
	return n == len(byID)
}

// asStored is the run's job with its tasks as the state has them once the
// round that decided them is stored: Run returns the jobs that ended so,
// and a follower in the same process need not read them back. Only the
// cancel requests (recorded by whoever asked, not by the dispatcher) are
// not kept in memory.
func (r *run) asStored() state.Job {
	j := r.job
	j.Tasks = make([]state.Job, 0, len(r.job.Tasks))
	for _, ph := range r.phases {
		for _, t := range ph {
			j.Tasks = append(j.Tasks, t.job)
		}
	}
	return j
}
