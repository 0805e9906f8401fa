package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// TestNodesAStandbyTakesOverWhenTheLeaderIsKilled runs three watchers on
// one PostgreSQL state. One leads; it is killed with SIGKILL while a task
// runs. A standby takes the lead, ends the lost node's task terminated
// with the node's name, and schedules go on. Checked from timestamps the
// tasks write themselves: one configuration never runs twice at once, no
// schedule instant fires twice, and nothing is left processing.
func TestNodesAStandbyTakesOverWhenTheLeaderIsKilled(t *testing.T) {
	cluster := pgtest.New(t)
	dsn := cluster.NewDatabase(t)
	dir := t.TempDir()
	stamps := filepath.Join(dir, "stamps")
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	// Two orchestrations share one configuration, so its jobs must wait
	// for each other across the takeover too.
	hcl := fmt.Sprintf(`
configuration "shared" {
  command = ["sh", "-c", "echo \"$BATON_JOB_ID start $(date +%%s%%N)\" >> %[1]s; sleep 0.7; echo \"$BATON_JOB_ID end $(date +%%s%%N)\" >> %[1]s"]
  outputs = ["out.shared"]
}
configuration "after" { command = ["true"] }
orchestration "after" {
  trigger {
    tables = ["out.shared"]
  }
  phase "p" {
    task "t" { configuration = "after" }
  }
}
orchestration "tick" {
  schedule {
    cron = "@every 2s"
  }
  phase "p" {
    task "t" { configuration = "shared" }
  }
}
orchestration "tock" {
  schedule {
    cron = "@every 3s"
  }
  phase "p" {
    task "t" { configuration = "shared" }
  }
}
`, stamps)
	if err := os.WriteFile(filepath.Join(src, "baton.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	bin := filepath.Join(dir, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, filepath.Join(bin, "baton")); err != nil {
		t.Fatal(err)
	}
	nodes := map[string]*exec.Cmd{}
	for _, name := range []string{"n1", "n2", "n3"} {
		cmd := exec.Command(filepath.Join(bin, "baton"), "--state", dsn, "--data-dir", filepath.Join(dir, name), "--source", src,
			"watch", "--node", name, "--grace", "20s", "--lease", "4s", "--log-format", "json")
		cmd.Env = append(os.Environ(), "BATON_TOKEN_KEY=0123456789abcdef0123456789abcdef-shared-by-nodes")
		logFile, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		defer logFile.Close()
		cmd.Stdout, cmd.Stderr = logFile, logFile
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		nodes[name] = cmd
	}
	t.Cleanup(func() {
		for _, c := range nodes {
			_ = c.Process.Kill()
			_ = c.Wait()
		}
	})
	defer func() {
		if t.Failed() {
			for _, name := range []string{"n1", "n2", "n3"} {
				b, _ := os.ReadFile(filepath.Join(dir, name+".log"))
				t.Logf("log of %s:\n%s", name, b)
			}
		}
	}()

	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()

	// The leader runs a task of the shared configuration (on a tie of
	// free slots, a leader hands a task to itself).
	var leader string
	var running state.Job
	waitfor.Cond(t, "the leader running a task", func() bool {
		leader = leadingNode(t, st)
		as, err := st.Assignments(ctx)
		if err != nil || leader == "" {
			return false
		}
		for _, a := range as {
			if a.Node == leader && a.Result == nil && !a.StartedAt.IsZero() {
				running, err = st.Job(ctx, a.JobID)
				return err == nil && running.Status == state.JobProcessing
			}
		}
		return false
	})
	if err := nodes[leader].Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = nodes[leader].Wait()
	killedAt := time.Now()
	delete(nodes, leader)

	// Another node takes the lead and ends the lost node's task.
	waitfor.Cond(t, "another node leading", func() bool {
		l := leadingNode(t, st)
		return l != "" && l != leader
	})
	waitfor.Cond(t, "the lost node's task ended", func() bool {
		j, err := st.Job(ctx, running.ID)
		return err == nil && j.Status.Terminal()
	})
	lost, err := st.Job(ctx, running.ID)
	if err != nil {
		t.Fatal(err)
	}
	if lost.Status != state.JobTerminated || !strings.Contains(lost.Message, "node "+leader+" lost") {
		t.Errorf("the killed leader's task = %s %q, want terminated naming node %s", lost.Status, lost.Message, leader)
	}
	// Schedules go on under the new leader.
	waitfor.Cond(t, "four more jobs succeeding after the takeover", func() bool {
		jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Statuses: []state.JobStatus{state.JobSuccess}})
		if err != nil {
			return false
		}
		n := 0
		for _, j := range jobs {
			if j.StartedAt.After(killedAt) {
				n++
			}
		}
		return n >= 4
	})
	// The standbys stop first, then the leader: each node stores how its
	// tasks ended before it exits, and the leader records them.
	newLeader := leadingNode(t, st)
	for _, name := range []string{"n1", "n2", "n3", newLeader} {
		c := nodes[name]
		if c == nil || (name == newLeader && len(nodes) > 1) {
			continue
		}
		if err := c.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatalf("stop %s: %v", name, err)
		}
		if err := c.Wait(); err != nil {
			t.Errorf("node %s exited with %v", name, err)
		}
		delete(nodes, name)
	}

	checkNoOverlap(t, stamps, killedAt)
	all, err := st.ListJobs(ctx, state.JobFilter{})
	if err != nil {
		t.Fatal(err)
	}
	scheduled, updates, triggered, triggeredAfterKill := 0, 0, 0, 0
	for _, j := range all {
		if j.Status == state.JobProcessing {
			t.Errorf("job %d (%s %s) is left processing after every node stopped", j.ID, j.Orchestration, j.Task)
		}
		switch {
		case j.Kind == state.KindOrchestrationJob && j.Trigger == "schedule":
			scheduled++
		case j.Kind == state.KindOrchestrationJob && j.Trigger == "event":
			triggered++
			if j.CreatedAt.After(killedAt) {
				triggeredAfterKill++
			}
		case j.Kind == state.KindTaskJob && j.Configuration == "shared" && j.Status == state.JobSuccess:
			updates++
		}
	}
	// Each success of the shared configuration updates out.shared once;
	// the trigger fires at most once per update, and goes on under the
	// new leader.
	if triggered > updates || triggeredAfterKill == 0 {
		t.Errorf("the trigger fired %d times (%d after the kill) for %d updates of its table", triggered, triggeredAfterKill, updates)
	}
	// Every node logs each fire with the instant it was due for: no
	// instant fired twice, on one node or across the takeover.
	fired := map[string]string{}
	for _, name := range []string{"n1", "n2", "n3"} {
		b, err := os.ReadFile(filepath.Join(dir, name+".log"))
		if err != nil {
			t.Fatal(err)
		}
		for _, line := range strings.Split(string(b), "\n") {
			var rec struct {
				Msg           string `json:"msg"`
				Orchestration string `json:"orchestration"`
				Job           int64  `json:"job"`
				Due           string `json:"due"`
			}
			if json.Unmarshal([]byte(line), &rec) != nil || rec.Msg != "schedule fired" {
				continue
			}
			key := rec.Orchestration + " at " + rec.Due
			if prev, ok := fired[key]; ok {
				t.Errorf("%s fired twice: %s and job %d on %s", key, prev, rec.Job, name)
			}
			fired[key] = fmt.Sprintf("job %d on %s", rec.Job, name)
		}
	}
	if len(fired) < 4 || len(fired) > scheduled {
		t.Errorf("%d fires logged for %d scheduled jobs", len(fired), scheduled)
	}
}

func leadingNode(t *testing.T, st state.Store) string {
	nodes, err := st.Nodes(context.Background())
	if err != nil {
		return ""
	}
	for _, n := range nodes {
		if n.Leading && n.StoppedAt.IsZero() {
			return n.Name
		}
	}
	return ""
}

// checkNoOverlap reads the start and end stamps the tasks wrote: no two
// runs of the shared configuration overlap. A run killed with its node
// has no end; it counts as running until the kill.
func checkNoOverlap(t *testing.T, path string, killedAt time.Time) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type span struct {
		job        string
		start, end int64
	}
	spans := map[string]*span{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 3 {
			t.Fatalf("bad stamp line %q", sc.Text())
		}
		ns, err := strconv.ParseInt(fields[2], 10, 64)
		if err != nil {
			t.Fatal(err)
		}
		s := spans[fields[0]]
		if s == nil {
			s = &span{job: fields[0]}
			spans[fields[0]] = s
		}
		switch fields[1] {
		case "start":
			if s.start != 0 {
				t.Errorf("task job %s started twice", s.job)
			}
			s.start = ns
		case "end":
			s.end = ns
		}
	}
	var list []*span
	for _, s := range spans {
		if s.end == 0 {
			s.end = killedAt.UnixNano()
		}
		list = append(list, s)
	}
	sort.Slice(list, func(i, j int) bool { return list[i].start < list[j].start })
	if len(list) < 3 {
		t.Fatalf("only %d runs of the shared configuration were stamped", len(list))
	}
	for i := 1; i < len(list); i++ {
		if list[i].start < list[i-1].end {
			t.Errorf("task jobs %s and %s of one configuration overlap", list[i-1].job, list[i].job)
		}
	}
}

// TestNodeRidesOutADatabaseRestart: PostgreSQL restarting under a watcher
// does not end it; it leads again when the database is back and its
// schedule goes on.
func TestNodeRidesOutADatabaseRestart(t *testing.T) {
	cluster := pgtest.New(t)
	dsn := cluster.NewDatabase(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	hcl := `
configuration "tick" { command = ["true"] }
orchestration "tick" {
  schedule {
    cron = "@every 1s"
  }
  phase "p" {
    task "t" { configuration = "tick" }
  }
}
`
	if err := os.WriteFile(filepath.Join(src, "baton.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	baton := filepath.Join(dir, "baton")
	if err := os.Symlink(self, baton); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(baton, "--state", dsn, "--data-dir", filepath.Join(dir, "data"), "--source", src, "watch", "--log-format", "json")
	logPath := filepath.Join(dir, "watch.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logFile.Close()
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
	})
	defer func() {
		if t.Failed() {
			b, _ := os.ReadFile(logPath)
			t.Logf("log of the watcher:\n%s", b)
		}
	}()

	ctx := context.Background()
	succeededAfter := func(after time.Time) func() bool {
		return func() bool {
			st, err := postgres.Open(ctx, dsn)
			if err != nil {
				return false
			}
			defer st.Close()
			jobs, err := st.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Statuses: []state.JobStatus{state.JobSuccess}, Limit: 1})
			return err == nil && len(jobs) == 1 && jobs[0].CreatedAt.After(after)
		}
	}
	waitfor.Cond(t, "a scheduled job to succeed", succeededAfter(time.Time{}))
	if err := cluster.Restart(); err != nil {
		t.Fatal(err)
	}
	restarted := time.Now()
	waitfor.Cond(t, "a scheduled job to succeed after the restart", succeededAfter(restarted))
	select {
	case err := <-exited:
		t.Fatalf("the watcher exited when the database restarted: %v", err)
	default:
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := <-exited; err != nil {
		t.Errorf("the watcher ended with %v after SIGTERM, want a clean stop", err)
	}
	exited <- nil
}
