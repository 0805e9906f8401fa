package proctree

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
)

// runIn runs sh -c script as the task of tree and waits for it.
func runIn(t *testing.T, tree *Tree, script string) error {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	return cmd.Wait()
}

func needKeptCgroups(t *testing.T, group string) {
	t.Helper()
	if cgroupBase() == "" {
		t.Skip("no writable cgroup v2 hierarchy here")
	}
	probe := Prepare(group, "probe", "", false)
	defer probe.Close()
	if !probe.kept {
		t.Skip("the cgroup hierarchy takes no extended attributes: cgroups are not kept here")
	}
}

// TestACgroupItsTaskLeftEmptyRunsTheNextTask: the cgroup of a task that
// ended cleanly is not removed but runs the next task of its group.
func TestACgroupItsTaskLeftEmptyRunsTheNextTask(t *testing.T) {
	group := testGroup + "-reuse"
	needKeptCgroups(t, group)
	t.Cleanup(Keep(group))
	first := Prepare(group, "job-1", "", false)
	if err := runIn(t, first, "exit 0"); err != nil {
		t.Fatal(err)
	}
	dir := first.cgroup
	first.Close()
	second := Prepare(group, "job-2", "", false)
	defer second.Close()
	if second.cgroup != dir {
		t.Fatalf("the second task got cgroup %s, want the first one's %s", second.cgroup, dir)
	}
	if err := runIn(t, second, "grep -q '"+dir[len(cgroupBase()):]+"$' /proc/self/cgroup"); err != nil {
		t.Fatalf("the second task did not run in the kept cgroup: %v", err)
	}
}

// TestACgroupThatWasKilledIsNotKept: the kernel kills whatever later
// starts in a cgroup that was killed through cgroup.kill, so such a
// cgroup is removed, and the next task runs in a new one.
func TestACgroupThatWasKilledIsNotKept(t *testing.T) {
	group := testGroup + "-killed"
	needKeptCgroups(t, group)
	t.Cleanup(Keep(group))
	first := Prepare(group, "job-1", "", false)
	if err := runIn(t, first, "exit 0"); err != nil {
		t.Fatal(err)
	}
	dir := first.cgroup
	first.Kill()
	first.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("the killed cgroup %s is left: %v", dir, err)
	}
	second := Prepare(group, "job-2", "", false)
	defer second.Close()
	if err := runIn(t, second, "exit 0"); err != nil {
		t.Fatalf("the next task did not run: %v", err)
	}
}

// TestLeftoversOfALostJobAreFoundInItsKeptCgroup: after a crash, the
// cgroup that ran a lost job is found by the job it carries, its
// processes are killed, and it is removed.
func TestLeftoversOfALostJobAreFoundInItsKeptCgroup(t *testing.T) {
	group := testGroup + "-lost"
	needKeptCgroups(t, group)
	dir := t.TempDir()
	tree := Prepare(group, "job-7", "", false)
	if !tree.kept {
		t.Fatal("no kept cgroup")
	}
	cg := tree.cgroup
	// The task leaves a child and its owner "dies": nothing closes the
	// tree.
	if err := runIn(t, tree, `env -i setsid sleep 317 & echo $! > `+dir+`/pid`); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(dir + "/pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil || !alive(pid) {
		t.Fatalf("the leftover child is not running: %q %v", b, err)
	}
	KillLeftovers(group, "job-7", "")
	if alive(pid) {
		t.Errorf("the leftover %d of the lost job survived", pid)
	}
	if _, err := os.Stat(cg); !os.IsNotExist(err) {
		t.Errorf("the lost job's cgroup %s is left: %v", cg, err)
	}
}

// TestIdleCgroupsOfADeadProcessAreRemoved: empty cgroups kept by a
// process that died are removed at the next recovery of the group.
func TestIdleCgroupsOfADeadProcessAreRemoved(t *testing.T) {
	group := testGroup + "-dead"
	needKeptCgroups(t, group)
	dead := cgroupBase() + "/" + slotPrefix(group) + "4194000-1"
	if err := os.Mkdir(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	KillLeftovers(group, "job-1", "")
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		os.Remove(dead)
		t.Errorf("the idle cgroup of a dead process is left: %v", err)
	}
}

// TestCgroupsAreKeptOnlyWhileAnExecutorOfTheGroupRuns: with no executor
// of the group running (Keep released), a task's cgroup goes with it, and
// the first Keep removes the idle cgroups a dead process left.
func TestCgroupsAreKeptOnlyWhileAnExecutorOfTheGroupRuns(t *testing.T) {
	group := testGroup + "-unkept"
	needKeptCgroups(t, group)
	dead := cgroupBase() + "/" + slotPrefix(group) + "4194001-1"
	if err := os.Mkdir(dead, 0o755); err != nil {
		t.Fatal(err)
	}
	release := Keep(group)
	if _, err := os.Stat(dead); !os.IsNotExist(err) {
		os.Remove(dead)
		t.Errorf("the idle cgroup of a dead process outlived Keep: %v", err)
	}
	release()
	tree := Prepare(group, "job-1", "", false)
	if err := runIn(t, tree, "exit 0"); err != nil {
		t.Fatal(err)
	}
	dir := tree.cgroup
	tree.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s was kept with no executor running: %v", dir, err)
	}
}
