package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// nodeSet starts baton watch nodes on one database and source.
type nodeSet struct {
	t     *testing.T
	dir   string
	dsn   string
	src   string
	baton string
	procs map[string]*exec.Cmd
}

func newNodeSet(t *testing.T, dsn, hcl string) *nodeSet {
	t.Helper()
	dir := t.TempDir()
	ns := &nodeSet{t: t, dir: dir, dsn: dsn, src: filepath.Join(dir, "src"), baton: filepath.Join(dir, "baton"), procs: map[string]*exec.Cmd{}}
	if err := os.MkdirAll(ns.src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ns.src, "baton.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, ns.baton); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, c := range ns.procs {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
		if t.Failed() {
			names, _ := filepath.Glob(filepath.Join(dir, "*.log"))
			for _, n := range names {
				b, _ := os.ReadFile(n)
				t.Logf("%s:\n%s", filepath.Base(n), b)
			}
		}
	})
	return ns
}

// start starts node name with extra watch flags.
func (ns *nodeSet) start(name string, flags ...string) {
	ns.t.Helper()
	args := append([]string{"--state", ns.dsn, "--data-dir", filepath.Join(ns.dir, name), "--source", ns.src,
		"watch", "--node", name, "--log-format", "json"}, flags...)
	cmd := exec.Command(ns.baton, args...)
	cmd.Env = append(os.Environ(), "BATON_TOKEN_KEY=0123456789abcdef0123456789abcdef-shared-by-nodes")
	logFile, err := os.Create(filepath.Join(ns.dir, name+".log"))
	if err != nil {
		ns.t.Fatal(err)
	}
	ns.t.Cleanup(func() { logFile.Close() })
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		ns.t.Fatal(err)
	}
	ns.procs[name] = cmd
}

// stop stops node name with SIGTERM and waits for it.
func (ns *nodeSet) stop(name string) {
	ns.t.Helper()
	c := ns.procs[name]
	if err := c.Process.Signal(syscall.SIGTERM); err != nil {
		ns.t.Fatal(err)
	}
	if err := c.Wait(); err != nil {
		ns.t.Errorf("node %s exited with %v", name, err)
	}
	delete(ns.procs, name)
}

// cli runs a baton command against the nodes' state.
func (ns *nodeSet) cli(args ...string) string {
	ns.t.Helper()
	out, err := exec.Command(ns.baton, append([]string{"--state", ns.dsn, "--data-dir", filepath.Join(ns.dir, "cli")}, args...)...).CombinedOutput()
	if err != nil {
		ns.t.Fatalf("baton %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// TestNodesRunTasksOnEveryNodeWithAFreeSlot: the tasks of a phase run in
// parallel on every node with a free slot (three nodes of one slot run
// three tasks at once, each waiting for the others to have started), and a
// fourth task waits, saying why, until a slot is free.
func TestNodesRunTasksOnEveryNodeWithAFreeSlot(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	marks := t.TempDir()
	var hcl strings.Builder
	hcl.WriteString("project { max_parallel_jobs = 6 }\n")
	for i := 1; i <= 4; i++ {
		// Each task notes the data dir it runs in (the node's) and waits
		// until the test lets it end.
		fmt.Fprintf(&hcl, `configuration "c%d" {
  command = ["sh", "-c", "echo \"$BATON_DATA_DIR\" > %[2]s/$BATON_TASK.started; while [ ! -f %[2]s/go ]; do sleep 0.02; done"]
}
`, i, marks)
	}
	hcl.WriteString("orchestration \"wide\" {\n  phase \"p\" {\n")
	for i := 1; i <= 4; i++ {
		fmt.Fprintf(&hcl, "    task \"t%d\" { configuration = \"c%d\" }\n", i, i)
	}
	hcl.WriteString("  }\n}\n")
	ns := newNodeSet(t, dsn, hcl.String())
	for _, n := range []string{"n1", "n2", "n3"} {
		ns.start(n, "--slots", "1")
	}
	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	waitfor.Cond(t, "three live nodes and the source applied", func() bool {
		nodes, err := st.Nodes(ctx)
		_, revErr := st.CurrentRevision(ctx)
		return err == nil && len(nodes) == 3 && revErr == nil
	})
	ns.cli("run", "wide", "--detach")

	var started []string
	waitfor.Cond(t, "three tasks started", func() bool {
		started, _ = filepath.Glob(filepath.Join(marks, "*.started"))
		return len(started) == 3
	})
	ranOn := map[string]string{}
	for _, f := range started {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		node := filepath.Base(filepath.Dir(filepath.Dir(strings.TrimSpace(string(b))))) // <data-dir>/jobs/<id>
		if other, ok := ranOn[node]; ok {
			t.Errorf("tasks %s and %s ran at once on node %s, which has one slot", other, filepath.Base(f), node)
		}
		ranOn[node] = filepath.Base(f)
	}
	if len(ranOn) != 3 {
		t.Errorf("the three running tasks ran on nodes %v, want n1, n2 and n3", ranOn)
	}
	// The fourth task waits for a slot, and says so.
	waitfor.Cond(t, "the fourth task waiting for a slot", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindTaskJob, Statuses: []state.JobStatus{state.JobWaiting}})
		return err == nil && len(jobs) == 1 && strings.Contains(jobs[0].Message, "waiting for a free slot") && strings.Contains(jobs[0].Message, "3 node(s)")
	})
	if out := ns.cli("nodes"); strings.Count(out, " 1 ") < 3 {
		t.Errorf("baton nodes does not show one running task on each node:\n%s", out)
	}
	if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitfor.Cond(t, "the job to succeed", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Statuses: []state.JobStatus{state.JobSuccess}})
		return err == nil && len(jobs) == 1
	})
	if !exists(filepath.Join(marks, "t4.started")) {
		t.Error("the fourth task never ran")
	}
	for _, n := range []string{"n2", "n3", "n1"} {
		ns.stop(n)
	}
}

// TestNodeTaskFinishesThroughADatabaseOutage: a task that ends while
// PostgreSQL is down is not stopped; its outcome is stored when the
// database is back, and its job goes on.
func TestNodeTaskFinishesThroughADatabaseOutage(t *testing.T) {
	cluster := pgtest.New(t)
	dsn := cluster.NewDatabase(t)
	marks := t.TempDir()
	hcl := fmt.Sprintf(`
configuration "slow" {
  command = ["sh", "-c", "touch %[1]s/started; while [ ! -f %[1]s/go ]; do sleep 0.02; done; touch %[1]s/ended"]
}
configuration "after" { command = ["touch", "%[1]s/second-phase"] }
orchestration "outage" {
  phase "p1" {
    task "slow" { configuration = "slow" }
  }
  phase "p2" {
    task "after" { configuration = "after" }
  }
}
`, marks)
	ns := newNodeSet(t, dsn, hcl)
	ns.start("n1")
	ns.start("n2")
	ctx := context.Background()
	waitfor.Cond(t, "two nodes and the source applied", func() bool {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			return false
		}
		defer st.Close()
		nodes, err := st.Nodes(ctx)
		_, revErr := st.CurrentRevision(ctx)
		return err == nil && len(nodes) == 2 && revErr == nil
	})
	ns.cli("run", "outage", "--detach")
	waitfor.Cond(t, "the task started", func() bool { return exists(filepath.Join(marks, "started")) })
	if err := cluster.StopServer(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitfor.Cond(t, "the task to end while the database is down", func() bool { return exists(filepath.Join(marks, "ended")) })
	if err := cluster.StartServer(); err != nil {
		t.Fatal(err)
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var job state.Job
	waitfor.Cond(t, "the job to end", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob})
		if err != nil || len(jobs) != 1 || !jobs[0].Status.Terminal() {
			return false
		}
		job, err = st.Job(ctx, jobs[0].ID)
		return err == nil
	})
	if job.Status != state.JobSuccess {
		t.Errorf("job = %s %q, want success: the task ended well while the database was down", job.Status, job.Message)
	}
	for _, task := range job.Tasks {
		if task.Status != state.JobSuccess {
			t.Errorf("task %s = %s %q, want success", task.Task, task.Status, task.Message)
		}
	}
	if !exists(filepath.Join(marks, "second-phase")) {
		t.Error("the second phase did not run after the database came back")
	}
	ns.stop("n2")
	ns.stop("n1")
}
