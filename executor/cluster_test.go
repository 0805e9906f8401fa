package executor

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
)

// memAssignments is an AssignmentStore in memory, for the executor's side
// of a cluster; the PostgreSQL one has its own tests.
type memAssignments struct {
	mu      sync.Mutex
	as      map[state.JobID]*state.Assignment
	results chan struct{}
	nodes   chan struct{}
}

func newMemAssignments() *memAssignments {
	return &memAssignments{as: map[state.JobID]*state.Assignment{}, results: make(chan struct{}, 1), nodes: make(chan struct{}, 1)}
}

func signal(ch chan struct{}) {
	select {
	case ch <- struct{}{}:
	default:
	}
}

func (m *memAssignments) Assign(_ context.Context, as []state.Assignment) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, a := range as {
		if m.as[a.JobID] == nil {
			a := a
			m.as[a.JobID] = &a
		}
	}
	signal(m.nodes)
	return nil
}

func (m *memAssignments) list(keep func(*state.Assignment) bool) []state.Assignment {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []state.Assignment
	for _, a := range m.as {
		if keep(a) {
			out = append(out, *a)
		}
	}
	slices.SortFunc(out, func(a, b state.Assignment) int { return int(a.JobID - b.JobID) })
	return out
}

func (m *memAssignments) NodeAssignments(_ context.Context, node string) ([]state.Assignment, error) {
	return m.list(func(a *state.Assignment) bool { return a.Node == node && a.Result == nil }), nil
}

func (m *memAssignments) Assignments(context.Context) ([]state.Assignment, error) {
	return m.list(func(*state.Assignment) bool { return true }), nil
}

func (m *memAssignments) StartAssignment(_ context.Context, job state.JobID, node, by string, at time.Time) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.as[job]
	if a == nil || a.Node != node || a.Result != nil || a.Stop != "" || (a.StartedBy != "" && a.StartedBy != by) {
		return false, nil
	}
	a.StartedBy, a.StartedAt = by, at
	return true, nil
}

func (m *memAssignments) ReportAssignment(_ context.Context, job state.JobID, node string, r state.TaskResult) (bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	a := m.as[job]
	if a == nil || a.Node != node || a.Result != nil {
		return false, nil
	}
	a.Result = &r
	signal(m.results)
	return true, nil
}

func (m *memAssignments) StopAssignments(_ context.Context, jobs []state.JobID, reason string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range jobs {
		if a := m.as[id]; a != nil && a.Result == nil {
			a.Stop = reason
		}
	}
	signal(m.nodes)
	return nil
}

func (m *memAssignments) DeleteAssignments(_ context.Context, jobs []state.JobID) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, id := range jobs {
		delete(m.as, id)
	}
	signal(m.nodes)
	return nil
}

func (m *memAssignments) WatchAssignments(context.Context, string) (<-chan struct{}, func(), error) {
	return m.nodes, func() {}, nil
}

func (m *memAssignments) WatchResults(context.Context) (<-chan struct{}, func(), error) {
	return m.results, func() {}, nil
}

// TestALeaderWhoseWorkerStoppedEndsWhatItHandedItselfAndStops: a task the
// leader hands to its own node while the node stops is never started;
// the leader ends it as such and stops, instead of waiting for it forever.
func TestALeaderWhoseWorkerStoppedEndsWhatItHandedItselfAndStops(t *testing.T) {
	mem := newMemAssignments()
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`, func(c *Config) {
		c.Cluster = &Cluster{Store: mem, Node: "n1", Process: "pid 1", Lease: time.Minute}
	})
	ctx := context.Background()
	if err := e.store.RecordNode(ctx, state.Node{Name: "n1", Process: "pid 1", Slots: 1, StartedAt: time.Now(), HeartbeatAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	// The node's worker has already stopped.
	workCtx, stopWork := context.WithCancel(ctx)
	stopWork()
	if err := e.exec.Work(workCtx, time.Second); err != nil {
		t.Fatal(err)
	}

	runCtx, stopRun := context.WithCancel(ctx)
	ran := make(chan error, 1)
	go func() {
		_, err := e.exec.Run(runCtx, RunOptions{Grace: time.Minute})
		ran <- err
	}()
	job := e.submit(Request{Orchestration: "o"})
	waitfor.Cond(t, "the task handed to the node", func() bool {
		as, _ := mem.Assignments(ctx)
		return len(as) == 1
	})
	stopRun()
	select {
	case err := <-ran:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(time.Minute):
		t.Fatal("the leader still waits for a task its stopped worker will never run")
	}
	got := e.job(job.ID)
	if got.Status != state.JobTerminated || len(got.Tasks) != 1 || !strings.Contains(got.Tasks[0].Message, "node n1 stopped") {
		t.Errorf("job = %s, task = %+v; want terminated, the task saying node n1 stopped", got.Status, got.Tasks)
	}
}
