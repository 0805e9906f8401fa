package proctree

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/baton-dev/baton/internal/waitfor"
)

// runIn runs sh -c script as the task of tree, waits for it and closes
// the tree, as the executor does; it returns what the task printed.
func runIn(t *testing.T, tree *Tree, script string) string {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = tree.Attr()
	var out strings.Builder
	cmd.Stdout = &out
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	err := cmd.Wait()
	tree.Close()
	if err != nil {
		t.Fatalf("task %q: %v", script, err)
	}
	return out.String()
}

// runsAlone runs a task in tree that lists the processes of its cgroup,
// and fails the test unless it finds itself alone there.
func runsAlone(t *testing.T, tree *Tree) {
	t.Helper()
	cg := tree.cgroup
	// cat is the task's own process.
	if got := runIn(t, tree, "exec cat "+cg+"/cgroup.procs"); strings.TrimSpace(got) != strconv.Itoa(tree.pid) {
		t.Errorf("cgroup %s held %q while the task (%d) ran alone in it", cg, got, tree.pid)
	}
}

// startSleep starts sleep as the task of tree, without waiting for it.
func startSleep(t *testing.T, tree *Tree, seconds string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command("sleep", seconds)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// needKeptCgroups skips where cgroups cannot be kept, and checks that
// the test leaves no cgroup of group.
func needKeptCgroups(t *testing.T, group string) {
	t.Helper()
	if !KeepsCgroups() {
		t.Skip("no writable cgroup v2 hierarchy that takes extended attributes here: cgroups are not kept")
	}
	t.Cleanup(func() {
		if left := Cgroups(group); len(left) > 0 {
			t.Errorf("cgroups left after the test: %v", left)
		}
	})
}

// keptGroup is a group of this test process whose cgroups are kept for
// the test, as while an executor runs; it skips where none can be kept.
func keptGroup(t *testing.T, suffix string) string {
	t.Helper()
	group := testGroup + suffix
	needKeptCgroups(t, group)
	t.Cleanup(Keep(group))
	return group
}

// pidFromFile waits for a task to write a pid to path and reads it.
func pidFromFile(t *testing.T, path string) int {
	t.Helper()
	var pid int
	waitfor.Cond(t, "a pid in "+path, func() bool {
		b, err := os.ReadFile(path)
		if err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return pid > 0
	})
	return pid
}

// TestACgroupItsTaskLeftEmptyRunsTheNextTask: the cgroup of a task that
// ended cleanly is not removed but runs the next task of its group, and
// the next task is alone in it.
func TestACgroupItsTaskLeftEmptyRunsTheNextTask(t *testing.T) {
	group := keptGroup(t, "-reuse")
	first := Prepare(group, "job-1", "", false)
	dir := first.cgroup
	runIn(t, first, "exit 0")
	second := Prepare(group, "job-2", "", false)
	if second.cgroup != dir {
		t.Fatalf("the second task got cgroup %s, want the first one's %s", second.cgroup, dir)
	}
	runsAlone(t, second)
}

// TestACgroupRunsTaskAfterTaskForAsLongAsTheExecutorRuns: the job of a
// kept cgroup is set and cleared for every task; the hierarchy's limits on
// extended attributes (128 a cgroup) never stop a cgroup being kept.
func TestACgroupRunsTaskAfterTaskForAsLongAsTheExecutorRuns(t *testing.T) {
	group := keptGroup(t, "-long")
	var dir string
	for i := range 300 {
		tree := Prepare(group, "job-"+strconv.Itoa(i), "", false)
		if i == 0 {
			dir = tree.cgroup
		}
		if !tree.kept || tree.cgroup != dir {
			t.Fatalf("task %d got cgroup %s (kept %v), want the kept %s", i, tree.cgroup, tree.kept, dir)
		}
		tree.Close()
	}
}

// TestALeftoverOfATaskNeverSurvivesIntoTheNextTaskOfItsCgroup: a process
// a task left behind (in a session of its own, without the environment)
// is killed when the task ends, and the next task of the group runs alone
// in its cgroup.
func TestALeftoverOfATaskNeverSurvivesIntoTheNextTaskOfItsCgroup(t *testing.T) {
	group := keptGroup(t, "-leftover")
	tmp := t.TempDir()
	first := Prepare(group, "job-1", "", false)
	dir := first.cgroup
	runIn(t, first, `env -i setsid sleep 318 >/dev/null & echo $! > `+tmp+`/pid`)
	left := pidFromFile(t, tmp+"/pid")
	if alive(left) {
		t.Fatalf("the leftover %d of the first task outlived the task", left)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cgroup %s whose leftover was killed is kept: %v", dir, err)
	}
	runsAlone(t, Prepare(group, "job-2", "", false))
}

// TestACgroupThatWasKilledIsNotKept: the kernel kills whatever later
// starts in a cgroup that was killed through cgroup.kill, so such a
// cgroup is removed, and the next task runs in a new one.
func TestACgroupThatWasKilledIsNotKept(t *testing.T) {
	group := keptGroup(t, "-killed")
	first := Prepare(group, "job-1", "", false)
	dir := first.cgroup
	cmd := startSleep(t, first, "319")
	first.Kill()
	if err := cmd.Wait(); err == nil {
		t.Fatal("the killed task exited normally")
	}
	first.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the killed cgroup %s is left: %v", dir, err)
	}
	if got := runIn(t, Prepare(group, "job-2", "", false), "echo ran"); got != "ran\n" {
		t.Errorf("the next task printed %q, want ran", got)
	}
}

// TestAnIdleCgroupAProcessEnteredIsNotTaken: a task starts only in a
// cgroup that is empty: one that holds a process when it is taken (a
// process moved into it from outside) is emptied and removed, and the task
// gets another.
func TestAnIdleCgroupAProcessEnteredIsNotTaken(t *testing.T) {
	group := keptGroup(t, "-entered")
	first := Prepare(group, "job-1", "", false)
	dir := first.cgroup
	runIn(t, first, "exit 0")
	intruder := exec.Command("sleep", "320")
	if err := intruder.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = intruder.Process.Kill(); _ = intruder.Wait() }()
	if err := os.WriteFile(dir+"/cgroup.procs", []byte(strconv.Itoa(intruder.Process.Pid)), 0); err != nil {
		t.Skipf("cannot move a process into a cgroup here: %v", err)
	}
	second := Prepare(group, "job-2", "", false)
	if second.cgroup == dir {
		t.Errorf("the second task got the cgroup %s that held a process", dir)
	}
	runsAlone(t, second)
	_ = intruder.Wait()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the cgroup that held a process is left: %v", err)
	}
}

// TestASignalOrKillAfterCloseDoesNotReachTheNextTask: a stop that comes
// late, after its task ended and its cgroup went to the next task, does
// not reach the next task.
func TestASignalOrKillAfterCloseDoesNotReachTheNextTask(t *testing.T) {
	group := keptGroup(t, "-late")
	first := Prepare(group, "job-1", "", false)
	runIn(t, first, "exit 0")
	second := Prepare(group, "job-2", "", false)
	if second.cgroup != first.slot.dir {
		t.Fatalf("the second task got cgroup %s, want the first one's %s", second.cgroup, first.slot.dir)
	}
	cmd := startSleep(t, second, "321")
	first.Signal(syscall.SIGTERM)
	first.Kill()
	if !alive(cmd.Process.Pid) {
		t.Error("a stop of the first task reached the second")
	}
	second.Kill()
	_ = cmd.Wait()
	second.Close()
}

// TestLeftoversOfALostJobAreFoundInItsKeptCgroup: after a crash, the
// cgroup that ran a lost job is found by the job it carries, its
// processes are killed, and it is removed.
func TestLeftoversOfALostJobAreFoundInItsKeptCgroup(t *testing.T) {
	group := keptGroup(t, "-lost")
	dir := t.TempDir()
	tree := Prepare(group, "job-7", "", false)
	cg := tree.cgroup
	// The task leaves a child and its owner "dies": nothing closes the
	// tree.
	cmd := exec.Command("sh", "-c", `env -i setsid sleep 317 & echo $! > `+dir+`/pid`)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	pid := pidFromFile(t, dir+"/pid")
	if !alive(pid) {
		t.Fatalf("the leftover child %d is not running", pid)
	}
	KillLeftovers(group, "job-7", "")
	if alive(pid) {
		t.Errorf("the leftover %d of the lost job survived", pid)
	}
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Errorf("the lost job's cgroup %s is left: %v", cg, err)
	}
}

// TestCgroupsAreKeptOnlyWhileAnExecutorOfTheGroupRuns: once the last
// executor of the group stopped (Keep released), the idle cgroups go, and
// a task's cgroup goes with its task.
func TestCgroupsAreKeptOnlyWhileAnExecutorOfTheGroupRuns(t *testing.T) {
	group := testGroup + "-unkept"
	needKeptCgroups(t, group)
	first, second := Keep(group), Keep(group) // two executors of the group
	runIn(t, Prepare(group, "job-1", "", false), "exit 0")
	second()
	if len(Cgroups(group)) != 1 {
		t.Errorf("cgroups %v with one executor of the group still running, want the one kept", Cgroups(group))
	}
	first()
	if left := Cgroups(group); len(left) > 0 {
		t.Errorf("cgroups %v are left after the last executor of the group stopped", left)
	}
	runIn(t, Prepare(group, "job-2", "", false), "exit 0")
	if left := Cgroups(group); len(left) > 0 {
		t.Errorf("cgroups %v were kept with no executor of the group running", left)
	}
}

// TestIdleCgroupsOfADeadProcessAreRemovedByTheNextKeep: the empty
// cgroups kept by a process that is gone (its pid runs another process,
// started later) are removed when an executor starts, whatever its group.
func TestIdleCgroupsOfADeadProcessAreRemovedByTheNextKeep(t *testing.T) {
	group := testGroup + "-dead"
	needKeptCgroups(t, group)
	pid, _, _ := strings.Cut(self(), ".")
	dead := cgroupBase() + "/" + testGroup + "-other" + slotInfix + pid + ".1-1"
	if err := os.Mkdir(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(dead)
	Keep(group)()
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		t.Errorf("the idle cgroup of a dead process outlived Keep: %v", err)
	}
}

// crashHelperEnv makes the test binary the crashing executor of
// TestACrashLeavesCgroupsThatTheNextStartAndRecoveryRemove.
const crashHelperEnv = "PROCTREE_CRASH_HELPER"

// TestCrashHelper is not a test: run with crashHelperEnv set to a group,
// it keeps that group's cgroups; job-1 runs to its end; job-2 takes its
// cgroup and leaves a process in a session of its own (the crash comes
// before its tree is closed); job-3 runs on; job-4 runs to its end. It
// prints the cgroups of jobs 2, 3 and 4 and the pids of job-2's leftover
// and job-3's process, and waits to be killed.
func TestCrashHelper(t *testing.T) {
	group := os.Getenv(crashHelperEnv)
	if group == "" {
		t.Skip("a helper process of another test")
	}
	Keep(group)
	runIn(t, Prepare(group, "job-1", "", false), "exit 0")
	two := Prepare(group, "job-2", "", false)
	sh := exec.Command("sh", "-c", `env -i setsid sleep 322 >/dev/null & echo $!`)
	sh.SysProcAttr = two.Attr()
	var out strings.Builder
	sh.Stdout = &out
	if err := two.Start(sh); err != nil {
		t.Fatal(err)
	}
	if err := sh.Wait(); err != nil {
		t.Fatal(err)
	}
	three := Prepare(group, "job-3", "", false)
	cmd := startSleep(t, three, "323")
	four := Prepare(group, "job-4", "", false)
	dir4 := four.cgroup
	runIn(t, four, "exit 0")
	fmt.Printf("cgroups %s %s %s\npids %s %d\n", two.cgroup, three.cgroup, dir4, strings.TrimSpace(out.String()), cmd.Process.Pid)
	select {}
}

// TestACrashLeavesCgroupsThatTheNextStartAndRecoveryRemove: an executor
// killed with SIGKILL leaves a cgroup that holds what a task left behind,
// the cgroup of a task it ran (whose process the kernel killed with it)
// and an idle one. The next Keep removes the empty ones; the recovery of
// the lost job kills its leftover and removes its cgroup. (Another process
// that starts an executor meanwhile may remove the empty ones first.)
func TestACrashLeavesCgroupsThatTheNextStartAndRecoveryRemove(t *testing.T) {
	group := testGroup + "-crash"
	needKeptCgroups(t, group)
	helper := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$", "-test.count=1")
	helper.Env = append(os.Environ(), crashHelperEnv+"="+group)
	stdout, err := helper.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := helper.Start(); err != nil {
		t.Fatal(err)
	}
	var dirs []string
	var pids []int
	sc := bufio.NewScanner(stdout)
	for len(pids) == 0 && sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) == 4 && f[0] == "cgroups":
			dirs = f[1:]
		case len(f) == 3 && f[0] == "pids":
			for _, p := range f[1:] {
				n, _ := strconv.Atoi(p)
				pids = append(pids, n)
			}
		}
	}
	if len(dirs) != 3 || len(pids) != 2 {
		_ = helper.Process.Kill()
		_ = helper.Wait()
		t.Fatalf("the helper printed cgroups %v and pids %v", dirs, pids)
	}
	if len(slices.Compact(slices.Sorted(slices.Values(dirs)))) != 3 {
		t.Fatalf("the helper's tasks ran in cgroups %v, want three", dirs)
	}
	leftover, running := pids[0], pids[1]
	if err := helper.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	_ = helper.Wait()
	waitfor.Cond(t, "the kernel to kill the task of the killed executor", func() bool {
		b, err := os.ReadFile(dirs[1] + "/cgroup.events")
		return (err != nil || strings.Contains(string(b), "populated 0\n")) && !alive(running)
	})
	Keep(group)()
	if got := Cgroups(group); !slices.Equal(got, dirs[:1]) {
		t.Errorf("after the next start: cgroups %v, want only %s, which holds a leftover", got, dirs[0])
	}
	if !alive(leftover) {
		t.Fatalf("the leftover %d of job-2 is gone before its recovery", leftover)
	}
	KillLeftovers(group, "job-2", "")
	if alive(leftover) {
		t.Errorf("the leftover %d of job-2 survived its recovery", leftover)
	}
	if got := Cgroups(group); len(got) > 0 {
		t.Errorf("cgroups %v are left after the recovery", got)
	}
}

// BenchmarkCgroupOfATask is what a task's cgroup costs baton, without the
// process: kept (taken from the group's idle ones, given back empty), or
// made and removed for the task as where no executor of the group runs.
func BenchmarkCgroupOfATask(b *testing.B) {
	if !KeepsCgroups() {
		b.Skip("no writable cgroup v2 hierarchy that takes extended attributes here")
	}
	b.Run("kept", func(b *testing.B) {
		group := testGroup + "-bench-kept"
		defer Keep(group)()
		for i := 0; b.Loop(); i++ {
			Prepare(group, "job-"+strconv.Itoa(i), "", false).Close()
		}
	})
	b.Run("made", func(b *testing.B) {
		group := testGroup + "-bench-made"
		for i := 0; b.Loop(); i++ {
			Prepare(group, "job-"+strconv.Itoa(i), "", false).Close()
		}
	})
}
