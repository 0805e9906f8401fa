package executor

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// env is an executor on a real state file with an applied revision.
type env struct {
	t     testing.TB
	dir   string
	store state.Store
	exec  *Executor
	cfg   Config
}

// newEnv applies src (HCL) and returns an executor that runs real
// processes. Scripts in src may use $T, the test's scratch directory.
func newEnv(t testing.TB, src string, opts ...func(*Config)) *env {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	return newEnvOn(t, dir, store, src, opts...)
}

// newEnvOn is newEnv on a state of the test's choice, closed when the test
// ends; dir is the test's scratch directory.
func newEnvOn(t testing.TB, dir string, store state.Store, src string, opts ...func(*Config)) *env {
	t.Helper()
	t.Cleanup(func() { store.Close() })
	e := &env{t: t, dir: dir, store: store}
	cfg := Config{
		Store:     store,
		Clock:     clock.Real(),
		Runner:    OSRunner{},
		JobsDir:   filepath.Join(dir, "jobs"),
		KillGrace: 200 * time.Millisecond,
		Environ:   append(os.Environ(), "T="+dir),
	}
	for _, o := range opts {
		o(&cfg)
	}
	e.cfg = cfg
	e.apply(src)
	e.exec = New(cfg)
	return e
}

// apply applies src as a new revision.
func (e *env) apply(src string) {
	e.t.Helper()
	e.applySpec(e.parse(src))
}

func (e *env) parse(src string) *spec.Spec {
	e.t.Helper()
	s, diags := hcl.Parse([]hcl.File{{Name: "test.hcl", Src: []byte(src)}})
	if diags.HasErrors() {
		var b bytes.Buffer
		diags.WriteText(&b)
		e.t.Fatalf("test HCL is invalid:\n%s", b.String())
	}
	return s
}

// applySpec applies s as a new revision, at the executor's clock's time.
func (e *env) applySpec(s *spec.Spec) {
	e.t.Helper()
	objs, err := s.Objects()
	if err != nil {
		e.t.Fatal(err)
	}
	if _, err := e.store.ApplyRevision(context.Background(), state.Revision{Ref: "test", Source: "test", AppliedAt: e.cfg.Clock.Now().UTC()}, objs); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) submit(req Request) state.Job {
	e.t.Helper()
	if req.Trigger == "" {
		req.Trigger = TriggerManual
	}
	j, err := e.exec.Submit(context.Background(), req)
	if err != nil {
		e.t.Fatalf("submit %s: %v", req.Orchestration, err)
	}
	return j
}

// runIdle runs the executor until the queue is empty.
func (e *env) runIdle() []state.Job {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	ended, err := e.exec.Run(ctx, RunOptions{UntilIdle: true})
	if err != nil {
		e.t.Fatalf("run: %v", err)
	}
	return ended
}

// runBackground runs the executor until the test ends.
func (e *env) runBackground() {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		_, err := e.exec.Run(ctx, RunOptions{Grace: time.Second})
		done <- err
	}()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("executor: %v", err)
		}
	})
}

func (e *env) job(id state.JobID) state.Job {
	e.t.Helper()
	j, err := e.store.Job(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return j
}

// waitFor polls the state until cond holds; the deadline is only a
// fail-safe for a broken build.
func (e *env) waitFor(what string, cond func() bool) {
	e.t.Helper()
	waitfor.Cond(e.t, what, cond)
}

func taskByName(j state.Job, name string) state.Job {
	for _, t := range j.Tasks {
		if t.Task == name {
			return t
		}
	}
	return state.Job{}
}

func statuses(j state.Job) string {
	var parts []string
	for _, t := range j.Tasks {
		parts = append(parts, t.Task+"="+string(t.Status))
	}
	return strings.Join(parts, " ")
}

func writeScript(t *testing.T, path, body string) {
	t.Helper()
	if err := os.WriteFile(path, []byte("#!/bin/sh\n"+body), 0o755); err != nil {
		t.Fatal(err)
	}
}

// runScript runs script with sh under r as task key of group and returns
// its output; it fails t unless the script exits 0. Wait returns after the
// output was copied, so the buffer needs no lock.
func runScript(t *testing.T, r OSRunner, group, key, script string) string {
	t.Helper()
	var log bytes.Buffer
	dir := t.TempDir()
	p, err := r.Start(context.Background(), Command{
		Argv: []string{"sh", "-c", script},
		Dir:  dir,
		// The data dir is the marker that finds the task's processes
		// without a cgroup: it must be this run's alone, not one that
		// another test process running the same test at the same time
		// has too (its kill would take this task's processes).
		Env:   []string{"PATH=/usr/bin:/bin", "BATON_DATA_DIR=" + filepath.Join(dir, key)},
		Group: group,
		Key:   key,
		Log:   &log,
	})
	if err != nil {
		t.Fatal(err)
	}
	if code, err := p.Wait(); err != nil || code != 0 {
		t.Fatalf("%s: exit %d, %v", key, code, err)
	}
	return log.String()
}
