package retention

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

const hourly = `project {
  retention {
    jobs = "3h"
    logs = "1h"
  }
}
configuration "extract" { command = ["extract"] }
orchestration "often" {
  schedule { cron = "*/10 * * * *" }
  phase "p" {
    task "t" { configuration = "extract" }
  }
}
orchestration "rare" {
  schedule { cron = "5 0 * * *" }
  phase "p" {
    task "t" { configuration = "extract" }
  }
}
`

func exists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// On a fake clock: logs and data dirs go after logs = "1h", job records
// after jobs = "3h"; the last job of an orchestration stays however old; a
// dry run counts the same and deletes nothing.
func TestSweepDeletesExpiredJobsAndFilesAndKeepsTheLastJob(t *testing.T) {
	ctx := context.Background()
	r := newSoakRig(t, hourly, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for range 6 * 60 { // 00:01 .. 06:00
		r.minute(ctx)
	}
	jobs, err := r.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob})
	if err != nil {
		t.Fatal(err)
	}
	if len(jobs) != 37 { // 36 every ten minutes, one at 00:05
		t.Fatalf("%d jobs before the sweep", len(jobs))
	}
	policy, err := PolicyOf(ctx, r.store)
	if err != nil || policy != (Policy{Jobs: 3 * time.Hour, Logs: time.Hour}) {
		t.Fatalf("policy = %+v (%v)", policy, err)
	}
	dry, err := r.sweeper.Sweep(ctx, policy, true)
	if err != nil {
		t.Fatal(err)
	}
	if left, _ := r.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob}); len(left) != 37 || dry.Files == 0 {
		t.Fatalf("the dry run deleted: %d jobs left; report %+v", len(left), dry)
	}
	rep := r.sweep(ctx)
	// Jobs that ended before 03:00 go: 00:10 .. 02:50 of "often" (17); the
	// 00:05 job of "rare" stays, being its last.
	if rep.Jobs != 17 || rep.Records != 34 || dry.Jobs != rep.Jobs || dry.Files != rep.Files || dry.Bytes != rep.Bytes {
		t.Errorf("sweep %+v, dry run %+v: want 17 jobs with their 17 tasks, the dry run the same", rep, dry)
	}
	left, err := r.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob})
	if err != nil {
		t.Fatal(err)
	}
	var rare state.Job
	for _, j := range left {
		if j.Orchestration == "rare" {
			rare = j
		}
		if j.Orchestration == "often" && j.FinishedAt.Before(r.clock.Now().Add(-3*time.Hour)) {
			t.Errorf("job %d ended %v, before the cut-off, and is kept", j.ID, j.FinishedAt)
		}
	}
	if rare.ID == 0 {
		t.Fatal("the last job of rare was deleted")
	}
	// Files: those of tasks that ended in the last hour stay, older ones go.
	for _, j := range left {
		full, err := r.store.Job(ctx, j.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, task := range full.Tasks {
			dir := filepath.Join(r.sweeper.JobsDir, strconv.FormatInt(int64(task.ID), 10))
			recent := !task.FinishedAt.Before(r.clock.Now().Add(-time.Hour))
			if exists(dir) != recent || exists(dir+".log") != recent {
				t.Errorf("task %d ended %v: data dir kept %v, log kept %v; want %v", task.ID, task.FinishedAt, exists(dir), exists(dir+".log"), recent)
			}
		}
	}
	if again := r.sweep(ctx); again != (Report{}) {
		t.Errorf("a second sweep freed %+v", again)
	}
}

func TestPolicyDefaultsWithoutAProject(t *testing.T) {
	r := newSoakRig(t, `configuration "c" { command = ["x"] }`, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	p, err := PolicyOf(context.Background(), r.store)
	if err != nil || p.Jobs != spec.DefaultJobRetention || p.Logs != spec.DefaultLogRetention {
		t.Errorf("policy = %+v (%v), want 90d and 14d", p, err)
	}
}

// With an executor running in another process (baton gc beside a
// watcher), a sweep leaves alone the files of ids the state does not know:
// they may be the data dirs of new jobs that process is storing. The files
// of the jobs the sweep itself deleted go all the same; and a sweep
// without that doubt removes the unknown ones.
func TestASweepBesideAnotherExecutorKeepsFilesOfUnknownJobs(t *testing.T) {
	ctx := context.Background()
	r := newSoakRig(t, hourly, time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC))
	for range 6 * 60 {
		r.minute(ctx)
	}
	unknown := filepath.Join(r.sweeper.JobsDir, "1000000")
	if err := os.MkdirAll(unknown, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(unknown, "config.json"), []byte("{}"), 0o600); err != nil {
		t.Fatal(err)
	}
	r.sweeper.KeepUnknown = true
	rep := r.sweep(ctx)
	if rep.Jobs != 17 {
		t.Fatalf("sweep %+v, want the 17 expired jobs deleted", rep)
	}
	if !exists(unknown) {
		t.Error("the data dir of an unknown job was removed beside another executor")
	}
	entries, err := os.ReadDir(r.sweeper.JobsDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		id, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".log"), 10, 64)
		if err != nil || id == 1000000 {
			continue
		}
		if _, err := r.store.Job(ctx, state.JobID(id)); err != nil {
			t.Errorf("%s is kept although the sweep deleted its job (%v)", e.Name(), err)
		}
	}
	r.sweeper.KeepUnknown = false
	if again := r.sweep(ctx); again.Files != 1 || exists(unknown) {
		t.Errorf("a sweep with no other executor freed %+v and kept the unknown dir: %v", again, exists(unknown))
	}
}
