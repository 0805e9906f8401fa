package executor

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/baton-dev/baton/state"
)

// recover ends what a stopped executor left running and queues what was
// waiting: nothing is lost and nothing runs twice at once. What was
// running ends at the last heartbeat of the executor that ran it: the time
// until recovery is not part of its duration.
func (d *dispatcher) recover(ctx context.Context) error {
	active, err := d.e.store.ActiveJobStatuses(ctx)
	if err != nil {
		return fmt.Errorf("read active jobs: %w", err)
	}
	if d.cl != nil {
		return d.recoverCluster(ctx, active)
	}
	now, alive := d.now(), d.e.lastAlive()
	msg := "terminated: the executor stopped while the job was running"
	if d.lostNode != "" {
		msg = fmt.Sprintf("terminated: node %s lost while the job was running", d.lostNode)
		// The heartbeat here is this node's, not the lost one's.
		alive = time.Time{}
	}
	err = d.eachActiveRun(ctx, active, func(full state.Job) error {
		if full.Status == state.JobProcessing || full.ParentTaskID != 0 {
			return d.endRecovered(ctx, &full, msg, alive, now)
		}
		return d.add(full)
	})
	if err != nil {
		return err
	}
	// What the loop's first look at the state would read is this list:
	// what changes after it was read comes with a wake-up.
	d.recovered, d.fresh = active, true
	return d.flush(ctx)
}

// eachActiveRun calls fn with every active orchestration job, in full: as
// this process handed it over when the state shows it unchanged, else as
// read from the state.
func (d *dispatcher) eachActiveRun(ctx context.Context, active []state.Job, fn func(full state.Job) error) error {
	tasks := map[state.JobID][]state.Job{}
	for _, j := range active {
		if j.Kind == state.KindTaskJob {
			tasks[j.ParentID] = append(tasks[j.ParentID], j)
		}
	}
	for _, j := range active {
		if j.Kind != state.KindOrchestrationJob {
			continue
		}
		full, ok := d.e.handed.take(j, tasks[j.ID])
		if !ok {
			var err error
			if full, err = d.e.store.Job(ctx, j.ID); err != nil {
				return fmt.Errorf("read job %d: %w", j.ID, err)
			}
		}
		if err := fn(full); err != nil {
			return err
		}
	}
	return nil
}

// endRecovered ends a job a stopped executor left running: its running
// tasks terminated with msg, its tasks that never started skipped.
func (d *dispatcher) endRecovered(ctx context.Context, full *state.Job, msg string, alive, now time.Time) error {
	for k := range full.Tasks {
		t := &full.Tasks[k]
		switch t.Status {
		case state.JobProcessing:
			d.e.killLeftovers(t.ID)
			if err := d.update(ctx, t, state.JobUpdate{Status: state.JobTerminated, FinishedAt: lostAt(alive, t.StartedAt, now), Message: ptr(msg)}); err != nil {
				return err
			}
		case state.JobCreated, state.JobWaiting:
			if err := d.update(ctx, t, state.JobUpdate{Status: state.JobSkipped, FinishedAt: lostAt(alive, full.StartedAt, now), Message: ptr(reasonStopped)}); err != nil {
				return err
			}
		}
	}
	if err := d.update(ctx, full, state.JobUpdate{Status: state.JobTerminated, FinishedAt: lostAt(alive, full.StartedAt, now), Message: ptr(msg)}); err != nil {
		return err
	}
	d.e.cfg.Logger.Warn("job ended by recovery", "job", full.ID, "orchestration", full.Orchestration)
	return nil
}

// add makes a created or waiting orchestration job known.
func (d *dispatcher) add(job state.Job) error {
	if _, ok := d.runs[job.ID]; ok {
		return nil
	}
	r, err := d.newRun(job)
	if err != nil {
		return err
	}
	d.runs[job.ID] = r
	// The queue is in the order of the job ids, the order a restart
	// reads it in: a job submitted here can get its id before a job
	// submitted elsewhere and still reach the queue after it.
	at, _ := slices.BinarySearchFunc(d.pending, job.ID, func(p *run, id state.JobID) int { return cmp.Compare(p.job.ID, id) })
	d.pending = slices.Insert(d.pending, at, r)
	d.watchWaiting(r)
	return nil
}

// newRun decodes a job and its tasks into a run before its first phase.
func (d *dispatcher) newRun(job state.Job) (*run, error) {
	r := &run{job: job, phase: -1}
	if err := json.Unmarshal(job.Spec, &r.spec); err != nil {
		return nil, fmt.Errorf("job %d: decode run spec: %w", job.ID, err)
	}
	for i := range job.Tasks {
		tj := job.Tasks[i]
		t := &task{job: tj, run: r, status: tj.Status}
		if err := json.Unmarshal(tj.Spec, &t.spec); err != nil {
			return nil, fmt.Errorf("job %d: decode task spec: %w", tj.ID, err)
		}
		for len(r.phases) <= tj.PhaseIndex {
			r.phases = append(r.phases, nil)
		}
		r.phases[tj.PhaseIndex] = append(r.phases[tj.PhaseIndex], t)
	}
	return r, nil
}

// load picks up jobs submitted by any process and cancel requests.
func (d *dispatcher) load(ctx context.Context) error {
	s, _, err := d.e.applied(ctx)
	if err == nil {
		d.limit = d.e.maxParallel(s)
	} else if d.limit == 0 {
		d.limit = d.e.maxParallel(nil)
	}
	active, recovered := d.recovered, d.fresh
	d.recovered, d.fresh = nil, false
	if !recovered {
		if active, err = d.e.store.ActiveJobStatuses(ctx); err != nil {
			return fmt.Errorf("read active jobs: %w", err)
		}
	}
	for _, j := range active {
		if j.Kind != state.KindOrchestrationJob {
			continue
		}
		if r, ok := d.runs[j.ID]; ok {
			if j.CancelRequested && !r.cancelled {
				if err := d.cancel(ctx, r); err != nil {
					return err
				}
			}
			continue
		}
		if recovered || (j.Status != state.JobCreated && j.Status != state.JobWaiting) {
			// Recovery added every job of its list it did not end.
			continue
		}
		full, err := d.e.store.Job(ctx, j.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", j.ID, err)
		}
		if err := d.add(full); err != nil {
			return err
		}
	}
	return d.cancelRequestedTasks(ctx, active)
}
