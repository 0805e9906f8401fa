package executor

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// runners are the two ways of keeping a task's processes together: a cgroup
// per task where the system allows it (else the same as the second), and
// /proc with this process as subreaper.
var runners = []struct {
	name   string
	runner OSRunner
}{
	{"cgroup", OSRunner{}},
	{"subreaper", OSRunner{NoCgroup: true}},
}

// leaver starts two children that outlive it, one of them in a session of
// its own, and writes their pids to $T/pids before it goes on with rest.
func leaver(rest string) string {
	return `configuration "leaver" {
  command = ["sh", "-c", "sleep 311 & echo $! > $T/pids.tmp; setsid sleep 312 & echo $! >> $T/pids.tmp; mv $T/pids.tmp $T/pids; echo started; ` + rest + `"]
  timeout = "10m"
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "leaver" }
  }
}`
}

// leftPids reads the pids the task wrote.
func leftPids(t *testing.T, e *env) []int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(e.dir, "pids"))
	if err != nil {
		t.Fatalf("the task did not write its children's pids: %v", err)
	}
	var pids []int
	for _, f := range strings.Fields(string(b)) {
		pid, err := strconv.Atoi(f)
		if err != nil {
			t.Fatal(err)
		}
		pids = append(pids, pid)
	}
	if len(pids) != 2 {
		t.Fatalf("pids = %v, want 2", pids)
	}
	return pids
}

// alive reports whether pid runs (a zombie has ended).
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	i := strings.LastIndexByte(string(b), ')')
	return i < 0 || !strings.HasPrefix(string(b[i+1:]), " Z")
}

func assertNoneAlive(t *testing.T, pids []int) {
	t.Helper()
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("process %d of the task is still alive after the task ended", pid)
		}
	}
}

func TestTaskEndsWhenItsOwnProcessExitsAndItsLeftoversAreKilled(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t, leaver("exit 0"), func(c *Config) { c.Runner = r.runner })
			j := e.submit(Request{Orchestration: "o"})
			e.runBackground()
			e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
			got := e.job(j.ID)
			if got.Status != state.JobSuccess {
				t.Fatalf("job = %s %q, want success", got.Status, got.Message)
			}
			assertNoneAlive(t, leftPids(t, e))
			log, err := os.ReadFile(e.cfg.JobsDir + "/" + strconv.FormatInt(int64(got.Tasks[0].ID), 10) + ".log")
			if err != nil || !strings.Contains(string(log), "started") {
				t.Errorf("log = %q, %v; want the task's output", log, err)
			}
		})
	}
}

func TestTimeoutDoesNotWaitForChildrenThatLeftTheGroup(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
			e := newEnv(t, leaver("sleep 300"), func(c *Config) { c.Runner = r.runner; c.Clock = fake })
			j := e.submit(Request{Orchestration: "o"})
			e.runBackground()
			if err := fake.WaitForTimers(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "pids")); return err == nil })
			fake.Advance(10 * time.Minute)
			e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
			if tj := e.job(j.ID).Tasks[0]; tj.Status != state.JobTerminated || !strings.Contains(tj.Message, "timed out") {
				t.Errorf("task = %s %q, want terminated: timed out", tj.Status, tj.Message)
			}
			assertNoneAlive(t, leftPids(t, e))
		})
	}
}

func TestCancelDoesNotWaitForChildrenThatLeftTheGroup(t *testing.T) {
	for _, r := range runners {
		t.Run(r.name, func(t *testing.T) {
			e := newEnv(t, leaver("sleep 300"), func(c *Config) { c.Runner = r.runner })
			j := e.submit(Request{Orchestration: "o"})
			e.runBackground()
			e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "pids")); return err == nil })
			if _, err := e.exec.Cancel(context.Background(), j.ID); err != nil {
				t.Fatal(err)
			}
			e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
			if got := e.job(j.ID); got.Status != state.JobCancelled {
				t.Errorf("job = %s, want cancelled", got.Status)
			}
			assertNoneAlive(t, leftPids(t, e))
		})
	}
}
