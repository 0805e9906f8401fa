package executor

import (
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/baton-dev/baton/state"
)

// checkReasonsEveryRound makes every scheduling round check that each task
// left in the ready line waits, and says the reason it would be given if
// the whole line were looked at again now. It returns the count of rounds
// that had a line to check.
func checkReasonsEveryRound(t *testing.T) *atomic.Int64 {
	t.Helper()
	rounds := new(atomic.Int64)
	afterSchedule = func(d *dispatcher) {
		if d.cl != nil || d.draining {
			return
		}
		for _, tk := range d.ready {
			if tk.spec.Orchestration != "" {
				continue
			}
			holder, busy := d.busy[tk.job.SerialKey]
			if !busy && d.procs < d.limit {
				t.Errorf("task job %d is still in line with configuration %s free and %d of %d slots taken", tk.job.ID, tk.job.Configuration, d.procs, d.limit)
				continue
			}
			want := d.taskWaitReason(tk, holder, busy)
			if tk.job.Status != state.JobWaiting || tk.job.Message != want {
				t.Errorf("task job %d (configuration %s) is %s %q; it waits: %q", tk.job.ID, tk.job.Configuration, tk.job.Status, tk.job.Message, want)
			}
		}
		if len(d.ready) > 0 {
			rounds.Add(1)
		}
	}
	t.Cleanup(func() { afterSchedule = nil })
	return rounds
}

// A waiting task says why it waits, and the reason stays true round after
// round: the slots are taken, or a job of its configuration runs (and
// which one). A wide phase of distinct configurations and tasks that share
// one run side by side, two processes at a time, so the holders of the
// shared configuration change while the line waits for slots.
func TestWaitingTasksSayWhyTheyWaitInEveryRound(t *testing.T) {
	var b strings.Builder
	b.WriteString("project { max_parallel_jobs = 2 }\nconfiguration \"shared\" { command = [\"true\"] }\n")
	for i := 0; i < 40; i++ {
		fmt.Fprintf(&b, "configuration \"c%d\" { command = [\"true\"] }\n", i)
	}
	b.WriteString("orchestration \"wide\" {\n  phase \"all\" {\n")
	for i := 0; i < 40; i++ {
		config := fmt.Sprintf("c%d", i)
		if i%4 == 1 {
			config = "shared"
		}
		fmt.Fprintf(&b, "    task \"t%d\" { configuration = %q }\n", i, config)
	}
	b.WriteString("  }\n  phase \"after\" {\n    task \"a\" { configuration = \"shared\" }\n    task \"b\" { configuration = \"c3\" }\n  }\n}\n")
	b.WriteString("orchestration \"other\" {\n  phase \"p\" {\n    task \"s\" { configuration = \"shared\" }\n    task \"c\" { configuration = \"c0\" }\n  }\n}\n")
	runner := &fakeRunner{starts: map[string]int64{}, ends: map[string]int64{}, rng: func() int { return 20 }}
	e := newEnv(t, b.String(), func(c *Config) { c.Runner = runner })
	rounds := checkReasonsEveryRound(t)
	var ids []state.JobID
	for i := 0; i < 3; i++ {
		ids = append(ids, e.submit(Request{Orchestration: "wide"}).ID, e.submit(Request{Orchestration: "other"}).ID)
	}
	e.runIdle()
	for _, id := range ids {
		if j := e.job(id); j.Status != state.JobSuccess {
			t.Errorf("job %d (%s) ended %s: %s", id, j.Orchestration, j.Status, statuses(j))
		}
	}
	if n := rounds.Load(); n < 40 {
		t.Errorf("only %d rounds had tasks in line; the line should be checked over many rounds", n)
	}
	if p := runner.peak.Load(); p > 2 {
		t.Errorf("%d processes ran at once, limit 2", p)
	}
}
