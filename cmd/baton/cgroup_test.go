package main

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/proctree"
	"github.com/baton-dev/baton/state"
)

// Two quick tasks leave two cgroups; the long task runs in one of them
// and leaves a process in a session of its own. Every task writes its
// cgroup to $W/cgroups.
const crashHCL = `
project { max_parallel_jobs = 2 }
configuration "q1" { command = ["sh", "-c", "grep ^0:: /proc/self/cgroup >> $W/cgroups"] }
configuration "q2" { command = ["sh", "-c", "grep ^0:: /proc/self/cgroup >> $W/cgroups"] }
configuration "long" {
  command = ["sh", "-c", "grep ^0:: /proc/self/cgroup >> $W/cgroups; env -i setsid sleep 331 >/dev/null 2>&1 & echo $! > $W/leftover.tmp; mv $W/leftover.tmp $W/leftover; exec sleep 332"]
}
orchestration "o" {
  phase "a" {
    task "q1" { configuration = "q1" }
    task "q2" { configuration = "q2" }
  }
  phase "b" {
    task "long" { configuration = "long" }
  }
}`

// TestBatonRunLeavesNoCgroup: the tasks of a baton run share the cgroups
// their tasks left empty, and none is left once it ended.
func TestBatonRunLeavesNoCgroup(t *testing.T) {
	if !proctree.KeepsCgroups() {
		t.Skip("no writable cgroup v2 hierarchy that takes extended attributes here: cgroups are not kept")
	}
	p := newProject(t, `
configuration "c" { command = ["sh", "-c", "grep ^0:: /proc/self/cgroup >> $W/cgroups"] }
orchestration "o" {
  phase "a" {
    task "t1" { configuration = "c" }
  }
  phase "b" {
    task "t2" { configuration = "c" }
  }
}`)
	if out, err := p.command("run", "o").CombinedOutput(); err != nil {
		t.Fatalf("run: %v\n%s", err, out)
	}
	b, err := os.ReadFile(filepath.Join(p.dir, "cgroups"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 2 || lines[0] != lines[1] {
		t.Fatalf("the tasks ran in cgroups %q, want both in the one the first left empty", b)
	}
	group, _, _ := strings.Cut(filepath.Base(lines[0]), "-slot-")
	if left := proctree.Cgroups(group); len(left) > 0 {
		t.Errorf("cgroups %v of the jobs dir are left after baton run ended", left)
	}
}

// TestAWatcherKilledMidTaskLeavesNoCgroupOnceRestartedAndStopped: kill -9
// of a watcher leaves the cgroups it kept (one still holds what its task
// left behind); the next watcher kills that leftover as it recovers the
// job, and when it stops no cgroup of the jobs dir is left.
func TestAWatcherKilledMidTaskLeavesNoCgroupOnceRestartedAndStopped(t *testing.T) {
	if !proctree.KeepsCgroups() {
		t.Skip("no writable cgroup v2 hierarchy that takes extended attributes here: cgroups are not kept")
	}
	p := newProject(t, crashHCL)
	if out, err := p.command("run", "o", "--detach").CombinedOutput(); err != nil {
		t.Fatalf("run --detach: %v\n%s", err, out)
	}
	w := p.start("--source", "src", "watch", "--grace", "1s")
	p.waitForFile("leftover")
	b, err := os.ReadFile(filepath.Join(p.dir, "leftover"))
	if err != nil {
		t.Fatal(err)
	}
	leftover, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatalf("leftover pid %q: %v", b, err)
	}
	t.Cleanup(func() {
		if alive(leftover) {
			_ = syscall.Kill(leftover, syscall.SIGKILL)
		}
	})
	if err := w.cmd.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = w.wait(t, "the killed watcher")

	b, err = os.ReadFile(filepath.Join(p.dir, "cgroups"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Fields(string(b))
	if len(lines) != 3 {
		t.Fatalf("the tasks wrote cgroups %q, want 3", b)
	}
	group, _, ok := strings.Cut(filepath.Base(lines[2]), "-slot-")
	if !ok {
		t.Fatalf("the long task ran in %s, not in a kept cgroup", lines[2])
	}
	if len(proctree.Cgroups(group)) == 0 {
		t.Fatal("the killed watcher left no cgroup: the test no longer crashes mid-task")
	}
	if !alive(leftover) {
		t.Fatalf("the leftover %d died with the watcher; the recovery has nothing to do", leftover)
	}

	w = p.start("--source", "src", "watch", "--grace", "1s")
	waitfor.Cond(t, "the next watcher to recover the job", func() bool {
		jobs := p.jobs()
		return len(jobs) == 1 && jobs[0].Status.Terminal()
	})
	if got := p.jobs()[0]; got.Status != state.JobTerminated {
		t.Errorf("job = %s %q, want terminated by the recovery", got.Status, got.Message)
	}
	if alive(leftover) {
		t.Errorf("the leftover %d of the lost task survived the recovery", leftover)
	}
	if err := w.cmd.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	if err := w.wait(t, "the next watcher"); err != nil {
		t.Fatalf("the next watcher: %v\n%s", err, w.stderr)
	}
	if left := proctree.Cgroups(group); len(left) > 0 {
		t.Errorf("cgroups %v of the jobs dir are left after the restarted watcher stopped", left)
	}
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
