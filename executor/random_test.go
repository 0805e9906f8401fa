package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// fakeRunner runs no process: each start is recorded on a logical timeline
// (a sequence number), and the "process" ends after a few scheduler yields
// with the exit code its configuration's name asks for.
type fakeRunner struct {
	seq    atomic.Int64
	mu     sync.Mutex
	starts map[string]int64 // BATON_JOB_ID -> start sequence
	ends   map[string]int64
	live   atomic.Int64
	peak   atomic.Int64
	rng    func() int
}

func (f *fakeRunner) Start(_ context.Context, c Command) (Process, error) {
	id := envValue(c.Env, "BATON_JOB_ID")
	if n := f.live.Add(1); n > f.peak.Load() {
		f.peak.Store(n)
	}
	f.mu.Lock()
	f.starts[id] = f.seq.Add(1)
	spins := f.rng()
	f.mu.Unlock()
	code := 0
	if strings.HasPrefix(envValue(c.Env, "BATON_CONFIGURATION"), "fail") {
		code = 1
	}
	p := &fakeProcess{done: make(chan struct{}), code: code}
	go func() {
		for i := 0; i < spins; i++ {
			runtime.Gosched()
		}
		f.mu.Lock()
		f.ends[id] = f.seq.Add(1)
		f.mu.Unlock()
		f.live.Add(-1)
		close(p.done)
	}()
	return p, nil
}

type fakeProcess struct {
	done chan struct{}
	code int
}

func (p *fakeProcess) Wait() (int, error) { <-p.done; return p.code, nil }
func (p *fakeProcess) Stop(time.Duration) {}
func (p *fakeProcess) PID() int           { return 0 }

func envValue(env []string, name string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], name+"="); ok {
			return v
		}
	}
	return ""
}

// TestRandomizedJobsKeepEveryRule runs 200 orchestrations over 20 shared
// configurations (a few of which fail), thousands of jobs, and checks every
// serialization rule of jobs on the recorded timeline.
func TestRandomizedJobsKeepEveryRule(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 42))
	const limit = 3
	var b strings.Builder
	fmt.Fprintf(&b, "project { max_parallel_jobs = %d }\n", limit)
	configs := make([]string, 20)
	for i := range configs {
		configs[i] = fmt.Sprintf("ok-%d", i)
		if i%7 == 3 {
			configs[i] = fmt.Sprintf("fail-%d", i)
		}
		fmt.Fprintf(&b, "configuration %q { command = [\"true\"] }\n", configs[i])
	}
	for o := 0; o < 200; o++ {
		fmt.Fprintf(&b, "orchestration \"o%d\" {\n", o)
		if o%5 == 0 {
			b.WriteString("  on_overlap = \"skip\"\n")
		}
		for p := 0; p < 1+rng.IntN(3); p++ {
			fmt.Fprintf(&b, "  phase \"p%d\" {\n", p)
			for k := 0; k < 1+rng.IntN(3); k++ {
				fmt.Fprintf(&b, "    task \"t%d\" {\n      configuration = %q\n      continue_on_failure = %v\n      enabled = %v\n    }\n",
					p*10+k, configs[rng.IntN(len(configs))], rng.IntN(3) == 0, rng.IntN(10) != 0)
			}
			b.WriteString("  }\n")
		}
		b.WriteString("}\n")
	}
	var rmu sync.Mutex
	runner := &fakeRunner{starts: map[string]int64{}, ends: map[string]int64{}, rng: func() int {
		rmu.Lock()
		defer rmu.Unlock()
		return rng.IntN(50)
	}}
	e := newEnv(t, b.String(), func(c *Config) { c.Runner = runner })
	checkReasonsEveryRound(t)

	var ids []state.JobID
	for round := 0; round < 5; round++ {
		for o := 0; o < 200; o++ {
			ids = append(ids, e.submit(Request{Orchestration: fmt.Sprintf("o%d", o)}).ID)
		}
	}
	e.runIdle()

	if p := runner.peak.Load(); p > limit {
		t.Errorf("%d processes ran at once, limit %d", p, limit)
	}
	type span struct{ from, to int64 }
	byConfig := map[string][]span{}
	tasks := 0
	for _, id := range ids {
		j := e.job(id)
		if !j.Status.Terminal() {
			t.Fatalf("job %d left %s", id, j.Status)
		}
		var phaseEnd, nextStart []int64
		failed, warned := false, false
		failedPhase := -1
		for _, tj := range j.Tasks {
			tasks++
			key := strconv.FormatInt(int64(tj.ID), 10)
			start, ran := runner.starts[key]
			if ran != (tj.Status == state.JobSuccess || tj.Status == state.JobError) {
				t.Fatalf("job %d task %s: status %s but ran=%v", id, tj.Task, tj.Status, ran)
			}
			if j.Status == state.JobSkipped && ran {
				t.Fatalf("job %d was skipped but task %s ran", id, tj.Task)
			}
			for len(phaseEnd) <= tj.PhaseIndex {
				phaseEnd, nextStart = append(phaseEnd, 0), append(nextStart, 1<<62)
			}
			if ran {
				end := runner.ends[key]
				byConfig[tj.Configuration] = append(byConfig[tj.Configuration], span{start, end})
				phaseEnd[tj.PhaseIndex] = max(phaseEnd[tj.PhaseIndex], end)
				nextStart[tj.PhaseIndex] = min(nextStart[tj.PhaseIndex], start)
			}
			if failedPhase >= 0 && tj.PhaseIndex > failedPhase && tj.Status != state.JobSkipped {
				t.Fatalf("job %d: task %s of phase %d ran after phase %d failed", id, tj.Task, tj.PhaseIndex, failedPhase)
			}
			if tj.Status == state.JobError {
				var ts struct {
					ContinueOnFailure bool `json:"continue_on_failure"`
				}
				_ = json.Unmarshal(tj.Spec, &ts)
				if ts.ContinueOnFailure {
					warned = true
				} else {
					failed = true
					if failedPhase < 0 {
						failedPhase = tj.PhaseIndex
					}
				}
			}
		}
		for p := 1; p < len(phaseEnd); p++ {
			if nextStart[p] != 1<<62 && nextStart[p] < phaseEnd[p-1] {
				t.Fatalf("job %d: phase %d started (seq %d) before phase %d ended (seq %d)", id, p, nextStart[p], p-1, phaseEnd[p-1])
			}
		}
		want := state.JobSuccess
		switch {
		case j.Status == state.JobSkipped:
			want = state.JobSkipped
		case failed:
			want = state.JobError
		case warned:
			want = state.JobWarning
		}
		if j.Status != want {
			t.Fatalf("job %d ended %s, want %s (%s)", id, j.Status, want, statuses(j))
		}
	}
	for config, spans := range byConfig {
		for i := range spans {
			for k := i + 1; k < len(spans); k++ {
				a, c := spans[i], spans[k]
				if a.from < c.to && c.from < a.to {
					t.Fatalf("configuration %s ran twice at once: %v and %v", config, a, c)
				}
			}
		}
	}
	// Jobs of one orchestration never overlap either.
	byOrch := map[string][]state.Job{}
	for _, id := range ids {
		j := e.job(id)
		if j.Status != state.JobSkipped {
			byOrch[j.Orchestration] = append(byOrch[j.Orchestration], j)
		}
	}
	for name, jobs := range byOrch {
		for i := range jobs {
			for k := i + 1; k < len(jobs); k++ {
				a, c := jobs[i], jobs[k]
				if a.StartedAt.Before(c.FinishedAt) && c.StartedAt.Before(a.FinishedAt) {
					t.Fatalf("orchestration %s: jobs %d and %d overlapped", name, a.ID, c.ID)
				}
			}
		}
	}
	t.Logf("%d orchestration jobs, %d task jobs, %d processes", len(ids), tasks, len(runner.starts))
	if len(runner.starts) < 1000 {
		t.Errorf("only %d processes ran; the test should exercise thousands of jobs", len(runner.starts))
	}
}
