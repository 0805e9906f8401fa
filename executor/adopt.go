package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/baton-dev/baton/state"
)

// recoverCluster is recovery for a node of a cluster that begins to lead.
// The tasks another leader started run on their nodes still: the runs
// they belong to are taken over where that leader left them, and their
// outcomes are recorded as the nodes report them (or as "node lost" when a
// node stays silent for the lease). Only what no node runs is ended as
// after a crash.
func (d *dispatcher) recoverCluster(ctx context.Context, active []state.Job) error {
	as, err := d.cl.c.Store.Assignments(ctx)
	if err != nil {
		return fmt.Errorf("read the tasks handed to nodes: %w", err)
	}
	assigned := make(map[state.JobID]state.Assignment, len(as))
	for _, a := range as {
		assigned[a.JobID] = a
	}
	adopted := map[state.JobID]bool{}
	msg := "terminated: the executor stopped while the job was running"
	err = d.eachActiveRun(ctx, active, func(full state.Job) error {
		switch {
		case full.Status != state.JobProcessing && full.ParentTaskID == 0:
			return d.add(full)
		case full.Status == state.JobProcessing && full.ParentTaskID == 0 && !runsChild(full):
			return d.adopt(ctx, full, assigned, adopted)
		}
		// A run of nested orchestrations: ended as after a crash (the
		// task that waits for a child's job lived in the lost leader).
		return d.endRecovered(ctx, &full, msg, time.Time{}, d.now())
	})
	if err != nil {
		return err
	}
	// Assignments of tasks no run is waiting for any more: a node still
	// running one hears that it was taken back and stops it.
	for id := range assigned {
		if !adopted[id] {
			d.cl.forget = append(d.cl.forget, id)
		}
	}
	return d.flush(ctx)
}

// runsChild reports whether a running task of job runs an orchestration.
func runsChild(job state.Job) bool {
	for _, t := range job.Tasks {
		if t.Status == state.JobProcessing {
			var ts TaskSpec
			if err := json.Unmarshal(t.Spec, &ts); err != nil || ts.Orchestration != "" {
				return true
			}
		}
	}
	return false
}

// adopt takes over a running job: its finished phases are judged again,
// the running tasks of its current phase are waited for on their nodes
// (those on no node ended), and its waiting tasks are ready.
func (d *dispatcher) adopt(ctx context.Context, full state.Job, assigned map[state.JobID]state.Assignment, adopted map[state.JobID]bool) error {
	r, err := d.newRun(full)
	if err != nil {
		return err
	}
	cur := -1
	for _, ph := range r.phases {
		for _, t := range ph {
			if t.status != state.JobCreated && t.job.PhaseIndex > cur {
				cur = t.job.PhaseIndex
			}
		}
	}
	for p := 0; p < cur; p++ {
		r.phase = p
		d.judgePhase(r)
	}
	r.phase = cur
	d.runs[full.ID] = r
	d.setBusy(full.SerialKey, full.ID)
	if cur >= 0 {
		for _, t := range r.phases[cur] {
			switch t.status {
			case state.JobProcessing:
				a, ok := assigned[t.job.ID]
				if !ok {
					msg := "terminated: the executor stopped while the job was running"
					if err := d.setTask(ctx, t, state.JobUpdate{Status: state.JobTerminated, FinishedAt: d.now(), Message: &msg}); err != nil {
						return err
					}
					continue
				}
				adopted[t.job.ID] = true
				t.node = a.Node
				t.stop = make(chan struct{})
				d.running[t.job.ID] = t
				d.procs++
				d.setBusy(t.job.SerialKey, t.job.ID)
				d.cl.load[a.Node]++
				if a.Stop != "" {
					t.stopReason = parseStopReason(a.Stop)
				}
			case state.JobCreated, state.JobWaiting:
				d.ready = append(d.ready, t)
				d.line.changed()
			}
		}
	}
	d.watchLater = append(d.watchLater, r)
	d.e.cfg.Logger.Info("took over a running job", "job", full.ID, "orchestration", full.Orchestration, "tasks_running", d.procs)
	if full.CancelRequested {
		return d.cancel(ctx, r)
	}
	return d.advance(ctx, r)
}
