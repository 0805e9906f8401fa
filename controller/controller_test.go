package controller

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/internal/gitrepotest"
	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/reconciler"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

const fastHCL = `configuration "quick" { command = ["true"] }
orchestration "fast" {
  schedule {
    cron = "@every 2s"
  }
  phase "p" {
    task "t" { configuration = "quick" }
  }
}
`

const configs = `configuration "extract" { command = ["sh", "extract.sh"] }
`

const daily = `orchestration "daily" {
  schedule {
    cron     = "0 6 * * *"
    timezone = "Europe/Prague"
  }
  phase "extract" {
    task "x" { configuration = "extract" }
  }
}
`

// fixture is a Git source with one daily orchestration, a state and a
// fake clock.
type fixture struct {
	t     *testing.T
	repo  *gitrepotest.Repo
	store state.Store
	rec   *reconciler.Reconciler
	clock *clock.Fake
}

func newFixture(t *testing.T) *fixture {
	t.Helper()
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": daily})
	return attach(t, repo)
}

func attach(t *testing.T, repo *gitrepotest.Repo) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	src, err := reconciler.Open(reconciler.Options{Location: "file://" + repo.Dir, CacheDir: filepath.Join(dir, "git")})
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))
	return &fixture{t: t, repo: repo, store: store, clock: fake, rec: &reconciler.Reconciler{Source: src, Store: store, Clock: fake}}
}

func writeTestFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

type watchRig struct {
	*fixture
	exec       *executor.Executor
	reconciled chan error
	reload     chan struct{}
	cancel     context.CancelFunc
	done       chan error
	fetches    *fetchLog
}

func startWatch(t *testing.T, f *fixture) *watchRig {
	t.Helper()
	dir := t.TempDir()
	ex := executor.New(executor.Config{
		Store:     f.store,
		Clock:     f.clock,
		JobsDir:   filepath.Join(dir, "jobs"),
		SourceDir: f.rec.Source.Root,
	})
	rig := &watchRig{fixture: f, exec: ex, reconciled: make(chan error, 16), reload: make(chan struct{}, 1), done: make(chan error, 1), fetches: &fetchLog{}}
	w := &Controller{Reconciler: f.rec, Executor: ex, Clock: f.clock, Interval: time.Minute, Reconciled: rig.reconciled, Reload: rig.reload, Observer: rig.fetches}
	ctx, cancel := context.WithCancel(context.Background())
	rig.cancel = cancel
	go func() { rig.done <- w.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-rig.done; err != nil {
			t.Errorf("watcher: %v", err)
		}
	})
	return rig
}

// poll advances the fake clock to the next poll and waits for its outcome.
func (r *watchRig) poll() error {
	r.t.Helper()
	r.waitIdle()
	r.clock.Advance(time.Minute)
	select {
	case err := <-r.reconciled:
		return err
	case <-time.After(60 * time.Second):
		r.t.Fatal("no reconcile after a poll interval")
	}
	return nil
}

// waitIdle waits until the watcher sleeps on the clock.
func (r *watchRig) waitIdle() {
	r.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := r.clock.WaitForTimers(ctx, 1); err != nil {
		r.t.Fatal(err)
	}
}

func (r *watchRig) jobsOf(name string) []state.Job {
	jobs, err := r.store.ListJobs(context.Background(), state.JobFilter{Orchestration: name, Kind: state.KindOrchestrationJob})
	if err != nil {
		r.t.Fatal(err)
	}
	return jobs
}

// The test: a commit adding an @every 2s orchestration makes it run
// within one poll; a commit removing it stops it; a broken commit changes
// nothing.
func TestWatchAppliesCommitsAndFiresSchedules(t *testing.T) {
	f := newFixture(t)
	rig := startWatch(t, f)
	if err := <-rig.reconciled; err != nil {
		t.Fatalf("first reconcile: %v", err)
	}

	f.repo.Commit("add fast", map[string]string{"orchestrations/fast.hcl": fastHCL})
	if err := rig.poll(); err != nil {
		t.Fatalf("reconcile of the new commit: %v", err)
	}
	rig.waitIdle()
	f.clock.Advance(2 * time.Second)
	var jobs []state.Job
	waitfor.Cond(t, "a run of the @every 2s orchestration to end", func() bool {
		jobs = rig.jobsOf("fast")
		return len(jobs) > 0 && jobs[0].Status.Terminal()
	})
	if jobs[0].Status != state.JobSuccess {
		t.Fatalf("the job ended %s: %+v", jobs[0].Status, jobs[0].Tasks)
	}
	if jobs[0].Trigger != executor.TriggerSchedule {
		t.Errorf("trigger = %s, want schedule", jobs[0].Trigger)
	}

	f.repo.Commit("remove fast", map[string]string{"orchestrations/fast.hcl": ""})
	if err := rig.poll(); err != nil {
		t.Fatalf("reconcile of the removal: %v", err)
	}
	before := len(rig.jobsOf("fast"))
	for i := 0; i < 5; i++ {
		rig.waitIdle()
		f.clock.Advance(2 * time.Second)
	}
	rig.waitIdle()
	if after := len(rig.jobsOf("fast")); after != before {
		t.Errorf("a removed orchestration fired: %d jobs, then %d", before, after)
	}

	applied, _ := f.store.CurrentRevision(context.Background())
	f.repo.Commit("broken", map[string]string{"orchestrations/bad.hcl": "orchestration {"})
	if err := rig.poll(); err == nil {
		t.Fatal("a broken commit reconciled without error")
	}
	if cur, _ := f.store.CurrentRevision(context.Background()); cur.ID != applied.ID {
		t.Errorf("a broken commit changed the applied revision")
	}
}

// A watched table file counts as updated when written, renamed over, or
// deleted and created again.
func TestWatchedTableFileUpdates(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "orders.csv")
	src := t.TempDir()
	writeTestFile(t, filepath.Join(src, "a.hcl"), `table "in.c-shared.orders" { watch = "`+file+`" }
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`)
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs})
	f := attach(t, repo)
	ds, err := reconciler.Open(reconciler.Options{Location: src})
	if err != nil {
		t.Fatal(err)
	}
	f.rec.Source = ds
	rig := startWatch(t, f)
	if err := <-rig.reconciled; err != nil {
		t.Fatal(err)
	}
	updates := func() int {
		history, err := f.store.TableHistory(context.Background(), "in.c-shared.orders", 1000)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, u := range history {
			if u.Source == "watch" {
				n++
			}
		}
		return n
	}
	waitUpdates := func(want int, what string) {
		t.Helper()
		waitfor.Cond(t, what+" to be recorded as a table update", func() bool { return updates() >= want })
	}
	// The directory watch is set up after the first reconcile, so the
	// first write is repeated until it is seen.
	waitfor.Cond(t, "a write to be recorded as a table update", func() bool {
		if err := os.WriteFile(file, []byte("a\n"), 0o644); err != nil {
			t.Fatal(err)
		}
		return updates() > 0
	})
	n := updates()
	tmp := filepath.Join(dir, "orders.tmp")
	writeTestFile(t, tmp, "b\n")
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
	waitUpdates(n+1, "a rename over the file")
	n = updates()
	os.Remove(file)
	writeTestFile(t, file, "c\n")
	waitUpdates(n+1, "a re-created file")
}

// The Git remote being down never stops schedules already applied; the
// state says since when the source is stale. SIGHUP (Reload) reconciles at
// once, without waiting for the poll.
func TestWatchKeepsFiringWhileTheRemoteIsDown(t *testing.T) {
	f := newFixture(t)
	f.repo.Commit("add fast", map[string]string{"orchestrations/fast.hcl": fastHCL})
	rig := startWatch(t, f)
	if err := <-rig.reconciled; err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(f.repo.Dir, f.repo.Dir+".gone"); err != nil {
		t.Fatal(err)
	}
	rig.waitIdle()
	rig.reload <- struct{}{}
	select {
	case err := <-rig.reconciled:
		if err == nil {
			t.Fatal("a reconcile with the remote gone succeeded")
		}
	case <-time.After(60 * time.Second):
		t.Fatal("reload did not reconcile")
	}
	st, _ := f.store.SourceStatus(context.Background())
	if st.StaleSince.IsZero() {
		t.Error("the state does not say the source is stale")
	}
	before := len(rig.jobsOf("fast"))
	rig.waitIdle()
	f.clock.Advance(2 * time.Second)
	waitfor.Cond(t, "the applied schedule to fire while the remote is down", func() bool { return len(rig.jobsOf("fast")) > before })
}
