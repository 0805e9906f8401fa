package proctree

import (
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-dev/baton/internal/waitfor"
)

// testGroup keeps the cgroups of this test process apart.
var testGroup = "baton-test-" + strconv.Itoa(os.Getpid())

func alive(pid int) bool {
	p, ok := readProc(pid)
	return ok && p.state != 'Z'
}

// startTree starts sh in a new tree; sh starts a child that leaves the
// process group and clears its environment, writes its pid and exits.
func startTree(t *testing.T, noCgroup bool) (*Tree, int) {
	t.Helper()
	dir := t.TempDir()
	pidFile := filepath.Join(dir, "pid")
	tree := Prepare(testGroup, strings.ReplaceAll(t.Name(), "/", "-"), "BATON_TEST_MARK="+dir, noCgroup)
	t.Cleanup(tree.Close)
	runInTree(t, tree, dir, `env -i setsid sleep 313 & echo $! > `+pidFile+`.tmp; mv `+pidFile+`.tmp `+pidFile)
	b, err := os.ReadFile(pidFile)
	if err != nil {
		t.Fatal(err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		t.Fatal(err)
	}
	if !alive(pid) {
		t.Fatalf("the escaped child %d is not running before the kill", pid)
	}
	return tree, pid
}

// runInTree runs script with sh in tree, marked with dir, until sh exits
// successfully; what it started in the background stays.
func runInTree(t *testing.T, tree *Tree, dir, script string) {
	t.Helper()
	cmd := exec.Command("sh", "-c", script)
	cmd.Env = append(os.Environ(), "BATON_TEST_MARK="+dir)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
}

func TestCgroupKillsAChildThatLeftGroupSessionAndEnvironment(t *testing.T) {
	if cgroupBase() == "" {
		t.Skip("no writable cgroup v2 hierarchy here")
	}
	tree, pid := startTree(t, false)
	if !tree.InCgroup() {
		t.Fatal("the tree has no cgroup although the hierarchy is writable")
	}
	dir := tree.cgroup
	tree.Kill()
	if alive(pid) {
		t.Errorf("escaped child %d survived the kill of its cgroup", pid)
	}
	tree.Close()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left behind: %v", dir, err)
	}
}

func TestSubreaperFindsAChildThatLeftTheGroupByItsParent(t *testing.T) {
	// The child left the process group; it is found as a descendant of
	// the task's process (and by its marker), and the kill spares this
	// process.
	dir := t.TempDir()
	tree := Prepare(testGroup, "unused", "BATON_TEST_MARK="+dir, true)
	cmd := exec.Command("sh", "-c", `setsid sleep 314 & echo $! > `+dir+`/pid.tmp; mv `+dir+`/pid.tmp `+dir+`/pid; exec sleep 315`)
	cmd.Env = append(os.Environ(), "BATON_TEST_MARK="+dir)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	var pid int
	waitfor.Cond(t, "the task to write its child's pid", func() bool {
		if b, err := os.ReadFile(dir + "/pid"); err == nil {
			pid, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		}
		return pid != 0
	})
	tree.Kill()
	_ = cmd.Wait()
	if alive(pid) || alive(cmd.Process.Pid) {
		t.Errorf("tree survived the kill: child %d alive %v, main alive %v", pid, alive(pid), alive(cmd.Process.Pid))
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(os.Getpid())); err != nil {
		t.Fatal("the kill reached this process")
	}
}

func TestSubreaperReapsAnOrphanThatLeftItsGroupAndExitedOnItsOwn(t *testing.T) {
	dir := t.TempDir()
	tree := Prepare(testGroup, "unused", "", true)
	// A double fork: the orphan leaves the group and the session, writes
	// its pid and exits while the task still runs; it is then a zombie
	// child of this process that no tree knows of.
	script := `(setsid sh -c 'echo $$ > ` + dir + `/pid.tmp; mv ` + dir + `/pid.tmp ` + dir + `/pid' &)
while [ ! -e ` + dir + `/pid ]; do sleep 0.01; done
p=$(cat ` + dir + `/pid)
while ! grep -q '^State:.*Z' /proc/$p/status 2>/dev/null; do [ -e /proc/$p ] || exit 1; sleep 0.01; done`
	cmd := exec.Command("sh", "-c", script)
	cmd.SysProcAttr = tree.Attr()
	if err := tree.Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("the task did not see its orphan as a zombie of this process: %v", err)
	}
	tree.Close()
	b, err := os.ReadFile(dir + "/pid")
	if err != nil {
		t.Fatal(err)
	}
	pid, _ := strconv.Atoi(strings.TrimSpace(string(b)))
	if p, ok := readProc(pid); ok && p.state == 'Z' && p.ppid == os.Getpid() {
		t.Errorf("orphan %d is left a zombie of this process", pid)
	}
}

// TestCgroupCloseKillsWhatTheTaskLeftBehind: Close first tries to remove
// the cgroup, which the kernel refuses while a process is in it; the
// escaped child must then be killed and the cgroup removed all the same.
func TestCgroupCloseKillsWhatTheTaskLeftBehind(t *testing.T) {
	if cgroupBase() == "" {
		t.Skip("no writable cgroup v2 hierarchy here")
	}
	tree, pid := startTree(t, false)
	dir := tree.cgroup
	tree.Close()
	if alive(pid) {
		t.Errorf("escaped child %d survived Close", pid)
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("cgroup %s left behind: %v", dir, err)
	}
}

// A killed tree gets no turn to react to its own kill: a process whose
// child was killed first must not run on (here: write "late") before it is
// killed too. Each pair below is a shell waiting on a sleep; the kill takes
// them one by one in no set order.
func TestAKilledTreeRunsNothingAfterTheKillBegan(t *testing.T) {
	for _, noCgroup := range []bool{true, false} {
		name := map[bool]string{true: "subreaper", false: "cgroup"}[noCgroup]
		t.Run(name, func(t *testing.T) {
			if !noCgroup && cgroupBase() == "" {
				t.Skip("no writable cgroup v2 hierarchy here")
			}
			const pairs = 40
			for round := range 5 {
				dir := t.TempDir()
				tree := Prepare(testGroup, strings.ReplaceAll(t.Name(), "/", "-")+"-"+strconv.Itoa(round), "BATON_TEST_MARK="+dir, noCgroup)
				script := `i=0; while [ $i -lt ` + strconv.Itoa(pairs) + ` ]; do (sleep 300 & echo $! >> ` + dir + `/started; wait; echo late >> ` + dir + `/late) & i=$((i+1)); done`
				runInTree(t, tree, dir, script)
				waitfor.Cond(t, "every pair to start its sleep", func() bool {
					b, _ := os.ReadFile(dir + "/started")
					return strings.Count(string(b), "\n") == pairs
				})
				tree.Kill()
				tree.Close()
				if b, err := os.ReadFile(dir + "/late"); err == nil {
					t.Fatalf("round %d: %d processes ran on after the kill began and wrote %q", round, strings.Count(string(b), "\n"), b)
				}
			}
		})
	}
}
