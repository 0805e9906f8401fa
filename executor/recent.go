package executor

import (
	"sync"

	"github.com/baton-dev/baton/state"
)

// recentKept is how many of the jobs that ended last recentJobs keeps.
const recentKept = 4096

// recentJobs are the orchestration jobs that ended last in this process,
// kept across the executor's runs. A job recorded here outside the
// dispatcher reaches it by the submitter's notice and by any look at the
// state that comes first; when the look won and the job already ended, the
// late notice must not add it again. The notice is late by the time its
// goroutine waits for a core, so the last few thousand ends are plenty.
type recentJobs struct {
	mu   sync.Mutex
	ring [recentKept]state.JobID
	next int
	set  map[state.JobID]struct{}
}

func (r *recentJobs) add(id state.JobID) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.set == nil {
		r.set = make(map[state.JobID]struct{}, recentKept)
	}
	delete(r.set, r.ring[r.next])
	r.ring[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % recentKept
}

func (r *recentJobs) has(id state.JobID) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.set[id]
	return ok
}
