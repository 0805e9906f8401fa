package executor

import (
	"context"
	"fmt"
	"slices"
	"sync"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// creation is a burst of new jobs that the dispatcher records together with
// its decisions about them: jobs due now are stored with their start in one
// transaction, instead of created in one and started in the next.
type creation struct {
	sets []state.NewJobSet
	// jobs and err are set once done is closed.
	jobs []state.Job
	err  error
	done chan struct{}
}

// creations is how the dispatcher of this process takes new jobs: open
// while its loop runs, closed (done) once it ended.
type creations struct {
	ch   chan *creation
	done chan struct{}
}

// record records new jobs: through the dispatcher of this process when it
// runs, which stores them with their start (taken), else here, and the
// caller tells the dispatcher (or the executor of another process).
func (e *Executor) record(ctx context.Context, s *spec.Spec, sets []state.NewJobSet) ([]state.Job, bool, error) {
	children := slices.ContainsFunc(sets, func(set state.NewJobSet) bool { return startsChildren(s, set.Orchestration.Orchestration) })
	if !children {
		if jobs, taken, err := e.createByDispatcher(ctx, sets); taken {
			return jobs, true, err
		}
	}
	jobs, err := e.store.CreateJobs(ctx, sets)
	return jobs, false, err
}

// createByDispatcher hands sets to the dispatcher of this process. It
// reports false when no dispatcher took them (none runs here): the caller
// records them itself.
func (e *Executor) createByDispatcher(ctx context.Context, sets []state.NewJobSet) ([]state.Job, bool, error) {
	cs := e.creations.Load()
	if cs == nil {
		return nil, false, nil
	}
	c := &creation{sets: sets, done: make(chan struct{})}
	select {
	case cs.ch <- c:
	case <-cs.done:
		return nil, false, nil
	case <-ctx.Done():
		return nil, true, ctx.Err()
	}
	// Taken, the jobs are recorded or refused by the dispatcher, whatever
	// becomes of ctx: waiting for it keeps a fire from being recorded
	// behind the caller's back.
	<-c.done
	return c.jobs, true, c.err
}

// acceptCreations opens the way for new jobs into the dispatcher until
// the returned function closes it.
func (e *Executor) acceptCreations() (<-chan *creation, func()) {
	if e.cfg.Cluster != nil {
		// The nodes of a cluster take their jobs from the state.
		return nil, func() {}
	}
	cs := &creations{ch: make(chan *creation), done: make(chan struct{})}
	e.creations.Store(cs)
	return cs.ch, func() {
		e.creations.Store(nil)
		close(cs.done)
	}
}

// create gives the jobs of c the ids they will be stored under and adds
// them to the queue; flush stores them with the round (storeRound). Ids
// that cannot be set aside refuse c at once.
func (d *dispatcher) create(ctx context.Context, c *creation) error {
	if !giveIDs(c.sets, nil) {
		n := 0
		for _, set := range c.sets {
			n += 1 + len(set.Tasks)
		}
		ids, err := d.e.store.ReserveJobIDs(ctx, n)
		if err != nil {
			c.err = fmt.Errorf("record new jobs: %w", err)
			close(c.done)
			return nil
		}
		giveIDs(c.sets, &reservation{ids: ids})
	}
	c.jobs = make([]state.Job, len(c.sets))
	for i := range c.sets {
		c.jobs[i] = c.sets[i].Stored()
	}
	d.e.unstored.add(c.sets)
	d.creating = append(d.creating, c)
	for _, j := range c.jobs {
		if err := d.add(j); err != nil {
			return err
		}
	}
	return nil
}

// storeRound stores the round: the transitions decided, after the new jobs
// they may start. Whoever handed the dispatcher new jobs hears how it went.
func (d *dispatcher) storeRound() error {
	var sets []state.NewJobSet
	for _, c := range d.creating {
		sets = append(sets, c.sets...)
	}
	err := d.e.storeRetrying(d.stop, "record job transitions", func(ctx context.Context) error {
		if len(sets) > 0 {
			return d.e.store.RecordRound(ctx, sets, d.batch)
		}
		return d.e.store.UpdateJobs(ctx, d.batch)
	})
	d.created(err)
	return err
}

// created tells the creators of the round's new jobs how storing it went.
func (d *dispatcher) created(err error) {
	for _, c := range d.creating {
		if err != nil {
			c.jobs, c.err = nil, fmt.Errorf("record new jobs: %w", err)
		}
		d.e.unstored.remove(c.sets)
		close(c.done)
	}
	d.creating = d.creating[:0]
}

// unstoredJobs are the ids of new jobs the dispatcher holds but has not
// stored yet. Their data dirs may already exist (prepared beside the
// round's transaction), and a retention sweep must not take them for the
// leftovers of jobs that no longer exist.
type unstoredJobs struct {
	mu  sync.Mutex
	ids map[state.JobID]struct{}
}

func (u *unstoredJobs) add(sets []state.NewJobSet) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.ids == nil {
		u.ids = map[state.JobID]struct{}{}
	}
	for _, set := range sets {
		u.ids[set.Orchestration.ID] = struct{}{}
		for _, t := range set.Tasks {
			u.ids[t.ID] = struct{}{}
		}
	}
}

func (u *unstoredJobs) remove(sets []state.NewJobSet) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for _, set := range sets {
		delete(u.ids, set.Orchestration.ID)
		for _, t := range set.Tasks {
			delete(u.ids, t.ID)
		}
	}
}

// Unstored reports whether id belongs to a new job this executor holds
// and has not stored yet: its data dir is in use although the state does
// not know the job. Asked before the state, it covers every job whose
// data dir existed then; a job stored since the state then knows.
func (e *Executor) Unstored(id state.JobID) bool {
	e.unstored.mu.Lock()
	defer e.unstored.mu.Unlock()
	_, ok := e.unstored.ids[id]
	return ok
}

// reservation is the outcome of setting job ids aside.
type reservation struct {
	ids []state.JobID
	err error
}

// reserveFor sets aside, in the background, the ids of the jobs of due
// when the dispatcher of this process is to record them; nil when it is
// not.
func (e *Executor) reserveFor(ctx context.Context, s *spec.Spec, due []submission) <-chan reservation {
	if len(due) == 0 || e.creations.Load() == nil {
		return nil
	}
	n := 0
	for _, sub := range due {
		n++
		for _, o := range s.Orchestrations {
			if o.Name == sub.req.Orchestration {
				for _, ph := range o.Phases {
					n += len(ph.Tasks)
				}
			}
		}
	}
	ch := make(chan reservation, 1)
	go func() {
		ids, err := e.store.ReserveJobIDs(ctx, n)
		ch <- reservation{ids, err}
	}()
	return ch
}

// giveIDs gives the jobs of sets the ids of r, in order, when r has enough
// of them, and reports whether every job has an id. With r nil it only
// reports.
func giveIDs(sets []state.NewJobSet, r *reservation) bool {
	n := 0
	for _, set := range sets {
		n += 1 + len(set.Tasks)
	}
	if r != nil && r.err == nil && len(r.ids) >= n {
		ids := r.ids
		for i := range sets {
			sets[i].Orchestration.ID, ids = ids[0], ids[1:]
			for k := range sets[i].Tasks {
				sets[i].Tasks[k].ID, ids = ids[0], ids[1:]
			}
		}
	}
	return !slices.ContainsFunc(sets, func(set state.NewJobSet) bool {
		return set.Orchestration.ID == 0 || slices.ContainsFunc(set.Tasks, func(t state.NewJob) bool { return t.ID == 0 })
	})
}

// startsChildren reports whether a job of the orchestration has a task
// that runs another orchestration: the child's job refers to the task's
// row, so such a job is recorded before it starts.
func startsChildren(s *spec.Spec, name string) bool {
	for _, o := range s.Orchestrations {
		if o.Name != name {
			continue
		}
		for _, ph := range o.Phases {
			for _, t := range ph.Tasks {
				if t.Orchestration != "" {
					return true
				}
			}
		}
	}
	return false
}
