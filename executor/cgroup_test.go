package executor

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/proctree"
	"github.com/baton-dev/baton/state"
)

// threePhases runs one task after the other; each writes the cgroup it
// runs in to $T/cgroups.
const threePhases = `
configuration "c" {
  command = ["sh", "-c", "grep ^0:: /proc/self/cgroup >> $T/cgroups"]
}
orchestration "o" {
  phase "a" {
    task "t1" { configuration = "c" }
  }
  phase "b" {
    task "t2" { configuration = "c" }
  }
  phase "c" {
    task "t3" { configuration = "c" }
  }
}`

func needKeptCgroups(t *testing.T) {
	t.Helper()
	if !proctree.KeepsCgroups() {
		t.Skip("no writable cgroup v2 hierarchy that takes extended attributes here: cgroups are not kept")
	}
}

// taskCgroups reads the cgroups the tasks wrote, one per task.
func taskCgroups(t *testing.T, dir string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "cgroups"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Fields(string(b))
}

// assertOneCgroupRanAll: the tasks, one after the other, ran in the
// cgroup the first one left empty.
func assertOneCgroupRanAll(t *testing.T, cgroups []string) {
	t.Helper()
	if len(cgroups) != 3 {
		t.Fatalf("the tasks wrote cgroups %v, want 3", cgroups)
	}
	for _, cg := range cgroups[1:] {
		if cg != cgroups[0] || cg == "0::/" {
			t.Errorf("the tasks ran in cgroups %v, want each in the one the first left empty", cgroups)
			return
		}
	}
}

// TestTasksOneAfterTheOtherShareACgroupThatGoesWhenTheExecutorStops: a
// cgroup a task left empty runs the next task, and none is left once the
// executor stopped.
func TestTasksOneAfterTheOtherShareACgroupThatGoesWhenTheExecutorStops(t *testing.T) {
	needKeptCgroups(t)
	e := newEnv(t, threePhases)
	j := e.submit(Request{Orchestration: "o"})
	e.runIdle()
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job = %s %q, want success", got.Status, got.Message)
	}
	assertOneCgroupRanAll(t, taskCgroups(t, e.dir))
	if left := proctree.Cgroups(e.exec.treeGroup()); len(left) > 0 {
		t.Errorf("cgroups %v are left after the executor stopped", left)
	}
}

// TestANodesWorkerKeepsCgroupsForItsTasksUntilItStops: the worker of a
// node (another jobs dir than its leader's) keeps the cgroups of the
// tasks it is handed by the same rules, and leaves none when it stops.
func TestANodesWorkerKeepsCgroupsForItsTasksUntilItStops(t *testing.T) {
	needKeptCgroups(t)
	mem := newMemAssignments()
	leader := newEnv(t, threePhases, func(c *Config) {
		c.Cluster = &Cluster{Store: mem, Node: "lead", Process: "pid lead", Lease: time.Minute}
	})
	ctx := context.Background()
	if err := leader.store.RecordNode(ctx, state.Node{Name: "n1", Process: "pid n1", Slots: 1, StartedAt: time.Now(), HeartbeatAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	cfg := leader.cfg
	cfg.JobsDir = filepath.Join(leader.dir, "n1-jobs")
	cfg.Cluster = &Cluster{Store: mem, Node: "n1", Process: "pid n1", Lease: time.Minute}
	node := New(cfg)
	workCtx, stopWork := context.WithCancel(ctx)
	worked := make(chan error, 1)
	go func() { worked <- node.Work(workCtx, time.Second) }()
	defer func() {
		stopWork()
		<-worked
	}()
	j := leader.submit(Request{Orchestration: "o"})
	leader.runBackground()
	leader.waitFor("the job to end", func() bool { return leader.job(j.ID).Status.Terminal() })
	if got := leader.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job = %s %q, want success", got.Status, got.Message)
	}
	cgroups := taskCgroups(t, leader.dir)
	assertOneCgroupRanAll(t, cgroups)
	if !strings.Contains(cgroups[0], node.treeGroup()) {
		t.Errorf("the tasks ran in %s, not in a cgroup of the node's worker (%s)", cgroups[0], node.treeGroup())
	}
	stopWork()
	if err := <-worked; err != nil {
		t.Fatal(err)
	}
	worked <- nil
	if left := proctree.Cgroups(node.treeGroup()); len(left) > 0 {
		t.Errorf("cgroups %v are left after the worker stopped", left)
	}
}
