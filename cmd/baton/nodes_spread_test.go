package main

import (
	"context"
	"fmt"
	"net/http"
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

// open opens the nodes' state for the test; it is closed when the test ends.
func (ns *nodeSet) open() *postgres.Store {
	ns.t.Helper()
	st, err := postgres.Open(context.Background(), ns.dsn)
	if err != nil {
		ns.t.Fatal(err)
	}
	ns.t.Cleanup(func() { st.Close() })
	return st
}

// waitStarted waits until n nodes recorded their heartbeat and the source
// is applied.
func (ns *nodeSet) waitStarted(n int) {
	ns.t.Helper()
	ctx := context.Background()
	waitfor.Cond(ns.t, fmt.Sprintf("%d node(s) and the source applied", n), func() bool {
		st, err := postgres.Open(ctx, ns.dsn)
		if err != nil {
			return false
		}
		defer st.Close()
		nodes, err := st.Nodes(ctx)
		_, revErr := st.CurrentRevision(ctx)
		return err == nil && len(nodes) == n && revErr == nil
	})
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
		// until the test lets it end. The note is renamed into place, so
		// that the test never reads one created but not yet written.
		fmt.Fprintf(&hcl, `configuration "c%d" {
  command = ["sh", "-c", "echo \"$BATON_DATA_DIR\" > %[2]s/$BATON_TASK.tmp; mv %[2]s/$BATON_TASK.tmp %[2]s/$BATON_TASK.started; while [ ! -f %[2]s/go ]; do sleep 0.02; done"]
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
	st := ns.open()
	ns.waitStarted(3)
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
	// Each task's log is recorded where it is: on the node that ran it.
	tasks, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindTaskJob})
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(filepath.Join(marks, task.Task+".started"))
		if err != nil {
			t.Fatal(err)
		}
		jobsDir := filepath.Dir(strings.TrimSpace(string(b)))
		if filepath.Dir(task.LogPath) != jobsDir {
			t.Errorf("task %s ran in %s but its log is recorded at %q", task.Task, jobsDir, task.LogPath)
		}
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
	urlFile := filepath.Join(ns.dir, "n1.url")
	ns.start("n1", "--listen", "127.0.0.1:0", "--api-url-file", urlFile)
	ns.start("n2")
	ctx := context.Background()
	var apiURL []byte
	waitfor.Cond(t, "n1 serving", func() bool {
		apiURL, _ = os.ReadFile(urlFile)
		return strings.HasSuffix(string(apiURL), "\n")
	})
	readyz := func() int {
		resp, err := http.Get(strings.TrimSpace(string(apiURL)) + "/readyz")
		if err != nil {
			t.Logf("GET /readyz: %v", err)
			return 0
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	ns.waitStarted(2)
	ns.cli("run", "outage", "--detach")
	waitfor.Cond(t, "the task started", func() bool { return exists(filepath.Join(marks, "started")) })
	if err := cluster.StopServer(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	waitfor.Cond(t, "the task to end while the database is down", func() bool { return exists(filepath.Join(marks, "ended")) })
	if code := readyz(); code != http.StatusServiceUnavailable {
		t.Errorf("/readyz while the database is down = %d, want 503", code)
	}
	if err := cluster.StartServer(); err != nil {
		t.Fatal(err)
	}
	st := ns.open()
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
	waitfor.Cond(t, "/readyz 200 once the database is back", func() bool { return readyz() == http.StatusOK })
	ns.stop("n2")
	ns.stop("n1")
}

// TestNodesAWorkerKilledMidTaskIsLostAndTheWorkGoesOn: kill -9 of a node
// that is not the leader, while it runs a task: within the lease the task
// ends terminated naming the node, the next run goes to the live nodes,
// and the node started again under its name runs nothing twice.
func TestNodesAWorkerKilledMidTaskIsLostAndTheWorkGoesOn(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	marks := t.TempDir()
	hcl := fmt.Sprintf(`
project { max_parallel_jobs = 6 }
configuration "a" {
  command = ["sh", "-c", "echo \"$BATON_JOB_ID $BATON_DATA_DIR\" >> %[1]s/starts; while [ ! -f %[1]s/go ]; do sleep 0.02; done"]
}
configuration "b" {
  command = ["sh", "-c", "echo \"$BATON_JOB_ID $BATON_DATA_DIR\" >> %[1]s/starts; while [ ! -f %[1]s/go ]; do sleep 0.02; done"]
}
orchestration "pair" {
  phase "p" {
    task "a" { configuration = "a" }
    task "b" { configuration = "b" }
  }
}
`, marks)
	ns := newNodeSet(t, dsn, hcl)
	for _, n := range []string{"n1", "n2", "n3"} {
		ns.start(n, "--slots", "1", "--lease", "3s")
	}
	ctx := context.Background()
	st := ns.open()
	ns.waitStarted(3)
	ns.cli("run", "pair", "--detach")
	// Both tasks run, one of them on a node that does not lead.
	var victim string
	var victimTask state.JobID
	waitfor.Cond(t, "both tasks running, one on a node that does not lead", func() bool {
		leader := leadingNode(t, st)
		as, err := st.Assignments(ctx)
		if err != nil || leader == "" {
			return false
		}
		started := 0
		for _, a := range as {
			if !a.StartedAt.IsZero() {
				started++
				if a.Node != leader {
					victim, victimTask = a.Node, a.JobID
				}
			}
		}
		return started == 2 && victim != ""
	})
	waitfor.Cond(t, "both task processes started", func() bool {
		b, _ := os.ReadFile(filepath.Join(marks, "starts"))
		return strings.Count(string(b), "\n") == 2
	})
	c := ns.procs[victim]
	if err := c.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = c.Wait()
	delete(ns.procs, victim)

	waitfor.Cond(t, "the killed node's task ended", func() bool {
		j, err := st.Job(ctx, victimTask)
		return err == nil && j.Status.Terminal()
	})
	lost, err := st.Job(ctx, victimTask)
	if err != nil {
		t.Fatal(err)
	}
	if lost.Status != state.JobTerminated || !strings.Contains(lost.Message, "node "+victim+" lost") {
		t.Errorf("the killed node's task = %s %q, want terminated naming node %s", lost.Status, lost.Message, victim)
	}
	if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	// The node comes back under its name; the next run uses the live nodes.
	ns.start(victim, "--slots", "1", "--lease", "3s")
	ns.cli("run", "pair", "--detach")
	waitfor.Cond(t, "the second run to succeed", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Statuses: []state.JobStatus{state.JobSuccess}})
		return err == nil && len(jobs) == 1
	})
	b, err := os.ReadFile(filepath.Join(marks, "starts"))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		id := strings.Fields(line)[0]
		if seen[id] {
			t.Errorf("task job %s started twice:\n%s", id, b)
		}
		seen[id] = true
	}
	if len(seen) != 4 {
		t.Errorf("%d task processes started, want 4 (two runs of two tasks):\n%s", len(seen), b)
	}
	all, err := st.ListJobs(ctx, state.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range all {
		if j.Status == state.JobProcessing {
			t.Errorf("job %d (%s %s) is left processing", j.ID, j.Orchestration, j.Task)
		}
	}
	for _, n := range []string{"n1", "n2", "n3"} {
		if n != leadingNode(t, st) {
			ns.stop(n)
		}
	}
	ns.stop(leadingNode(t, st))
}

// TestNodesCancelStopsTasksOnEveryNode: cancelling a job stops its tasks
// on whichever node runs them; they end cancelled.
func TestNodesCancelStopsTasksOnEveryNode(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	marks := t.TempDir()
	hcl := fmt.Sprintf(`
project { max_parallel_jobs = 4 }
configuration "a" { command = ["sh", "-c", "touch %[1]s/$BATON_TASK; exec sleep 600"] }
configuration "b" { command = ["sh", "-c", "touch %[1]s/$BATON_TASK; exec sleep 600"] }
orchestration "pair" {
  phase "p" {
    task "a" { configuration = "a" }
    task "b" { configuration = "b" }
  }
}
`, marks)
	ns := newNodeSet(t, dsn, hcl)
	ns.start("n1", "--slots", "1")
	ns.start("n2", "--slots", "1")
	ctx := context.Background()
	st := ns.open()
	ns.waitStarted(2)
	ns.cli("run", "pair", "--detach")
	waitfor.Cond(t, "both tasks running, on two nodes", func() bool {
		as, err := st.Assignments(ctx)
		return err == nil && len(as) == 2 && as[0].Node != as[1].Node &&
			exists(filepath.Join(marks, "a")) && exists(filepath.Join(marks, "b"))
	})
	jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob})
	if err != nil || len(jobs) != 1 {
		t.Fatalf("jobs = %v %v", jobs, err)
	}
	ns.cli("jobs", "cancel", fmt.Sprint(jobs[0].ID))
	var job state.Job
	waitfor.Cond(t, "the job to end", func() bool {
		job, err = st.Job(ctx, jobs[0].ID)
		return err == nil && job.Status.Terminal()
	})
	if job.Status != state.JobCancelled {
		t.Errorf("job = %s %q, want cancelled", job.Status, job.Message)
	}
	for _, task := range job.Tasks {
		if task.Status != state.JobCancelled {
			t.Errorf("task %s = %s %q, want cancelled", task.Task, task.Status, task.Message)
		}
	}
	ns.stop("n2")
	ns.stop("n1")
}

// TestNodesALeaderStoppingHandsItsJobsOver: SIGTERM of the leader while
// its job runs on two nodes: the leader lets its own task finish, the
// other node takes the lead and the job over, and the job ends as if
// nothing had happened.
func TestNodesALeaderStoppingHandsItsJobsOver(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	marks := t.TempDir()
	hcl := fmt.Sprintf(`
project { max_parallel_jobs = 4 }
configuration "a" { command = ["sh", "-c", "touch %[1]s/$BATON_TASK; while [ ! -f %[1]s/go ]; do sleep 0.02; done"] }
configuration "b" { command = ["sh", "-c", "touch %[1]s/$BATON_TASK; while [ ! -f %[1]s/go ]; do sleep 0.02; done"] }
configuration "c" { command = ["sh", "-c", "echo \"$BATON_DATA_DIR\" > %[1]s/c"] }
orchestration "handover" {
  phase "first" {
    task "a" { configuration = "a" }
    task "b" { configuration = "b" }
  }
  phase "second" {
    task "c" { configuration = "c" }
  }
}
`, marks)
	ns := newNodeSet(t, dsn, hcl)
	ns.start("n1", "--slots", "1", "--grace", "60s")
	ns.start("n2", "--slots", "1", "--grace", "60s")
	ctx := context.Background()
	st := ns.open()
	ns.waitStarted(2)
	ns.cli("run", "handover", "--detach")
	waitfor.Cond(t, "both tasks of the first phase running", func() bool {
		return exists(filepath.Join(marks, "a")) && exists(filepath.Join(marks, "b"))
	})
	leader := leadingNode(t, st)
	other := map[string]string{"n1": "n2", "n2": "n1"}[leader]
	if err := ns.procs[leader].Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(marks, "go"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := ns.procs[leader].Wait(); err != nil {
		t.Errorf("leader %s exited with %v", leader, err)
	}
	delete(ns.procs, leader)
	var job state.Job
	waitfor.Cond(t, "the job to end under the new leader", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob})
		if err != nil || len(jobs) != 1 || !jobs[0].Status.Terminal() {
			return false
		}
		job, err = st.Job(ctx, jobs[0].ID)
		return err == nil
	})
	if job.Status != state.JobSuccess {
		t.Errorf("job = %s %q, want success", job.Status, job.Message)
		for _, task := range job.Tasks {
			t.Logf("task %s: %s %q", task.Task, task.Status, task.Message)
		}
	}
	if b, err := os.ReadFile(filepath.Join(marks, "c")); err != nil || !strings.Contains(string(b), "/"+other+"/") {
		t.Errorf("the second phase ran in %q (%v), want on %s", b, err, other)
	}
	ns.stop(other)
}

// TestNodeStopsItsTasksWhenItsHeartbeatIsOutOfReachForMostOfTheLease: a
// node that cannot record its heartbeat cannot tell a database outage from
// being cut off alone, when its work may start elsewhere at the end of the
// lease; it stops its tasks before then and says why.
func TestNodeStopsItsTasksWhenItsHeartbeatIsOutOfReachForMostOfTheLease(t *testing.T) {
	cluster := pgtest.New(t)
	dsn := cluster.NewDatabase(t)
	marks := t.TempDir()
	hcl := fmt.Sprintf(`
configuration "forever" {
  command = ["sh", "-c", "trap 'touch %[1]s/stopped; exit 1' TERM; touch %[1]s/started; while :; do sleep 0.02; done"]
}
orchestration "fenced" {
  phase "p" {
    task "forever" { configuration = "forever" }
  }
}
`, marks)
	ns := newNodeSet(t, dsn, hcl)
	ns.start("n1", "--lease", "3s")
	ctx := context.Background()
	ns.waitStarted(1)
	ns.cli("run", "fenced", "--detach")
	waitfor.Cond(t, "the task started", func() bool { return exists(filepath.Join(marks, "started")) })
	if err := cluster.StopServer(); err != nil {
		t.Fatal(err)
	}
	waitfor.Cond(t, "the node to stop its task with the database out of reach", func() bool { return exists(filepath.Join(marks, "stopped")) })
	if err := cluster.StartServer(); err != nil {
		t.Fatal(err)
	}
	st := ns.open()
	var task state.Job
	waitfor.Cond(t, "the task's end recorded", func() bool {
		tasks, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindTaskJob})
		if err != nil || len(tasks) != 1 {
			return false
		}
		task = tasks[0]
		return task.Status.Terminal()
	})
	if task.Status != state.JobTerminated || !strings.Contains(task.Message, "node n1 could not reach the state") {
		t.Errorf("task = %s %q, want terminated saying node n1 stopped it", task.Status, task.Message)
	}
	ns.stop("n1")
}
