package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// anotherMachine is a PostgreSQL state as a machine without the log files
// of the watcher's data dir sees it.
type anotherMachine struct{ *postgres.Store }

func (m anotherMachine) Job(ctx context.Context, id state.JobID) (state.Job, error) {
	j, err := m.Store.Job(ctx, id)
	j.LogPath = relocate(j.LogPath)
	for i := range j.Tasks {
		j.Tasks[i].LogPath = relocate(j.Tasks[i].LogPath)
	}
	return j, err
}

func relocate(path string) string {
	if path == "" {
		return ""
	}
	return filepath.Join("/nonexistent-machine", filepath.Base(path))
}

// signalWriter collects output and says when it holds a string.
type signalWriter struct {
	mu   sync.Mutex
	buf  bytes.Buffer
	want string
	seen chan struct{}
}

func (w *signalWriter) Write(b []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	n, err := w.buf.Write(b)
	if w.seen != nil && strings.Contains(w.buf.String(), w.want) {
		close(w.seen)
		w.seen = nil
	}
	return n, err
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.buf.String()
}

// TestJobsLogsFollowsATaskRunningOnAnotherNode: a watcher on PostgreSQL
// runs a task that prints a line and waits for the test; jobs logs -f on
// a machine without the log file prints that line while the task waits,
// then the rest, and returns when the job ends.
func TestJobsLogsFollowsATaskRunningOnAnotherNode(t *testing.T) {
	dsn := pgtest.New(t).NewDatabase(t)
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	gate := filepath.Join(dir, "go")
	hcl := `configuration "c" {
  command = ["sh", "-c", "echo first; while [ ! -e ` + gate + ` ]; do sleep 0.02; done; echo second"]
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`
	if err := os.WriteFile(filepath.Join(src, "baton.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	baton := filepath.Join(dir, "baton")
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(self, baton); err != nil {
		t.Fatal(err)
	}
	args := []string{"--state", dsn, "--data-dir", filepath.Join(dir, "n1"), "--source", src}
	var watchOut bytes.Buffer
	watch := exec.Command(baton, append(args, "watch", "--node", "n1")...)
	watch.Stdout, watch.Stderr = &watchOut, &watchOut
	if err := watch.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		_ = watch.Process.Signal(syscall.SIGTERM)
		_ = watch.Wait()
		if t.Failed() {
			t.Logf("watcher output:\n%s", watchOut.String())
		}
	}()
	// The watcher applies the source; a run queued before that fails.
	var id int64
	var runOut []byte
	waitfor.Cond(t, "a run queued", func() bool {
		runOut, err = exec.Command(baton, append(args, "run", "o", "--detach")...).Output()
		if err != nil {
			return false
		}
		id, err = strconv.ParseInt(strings.TrimSpace(string(runOut)), 10, 64)
		return err == nil
	})

	ctx := context.Background()
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	job, err := anotherMachine{st}.Job(ctx, state.JobID(id))
	if err != nil {
		t.Fatal(err)
	}
	out := &signalWriter{want: "first\n", seen: make(chan struct{})}
	seen := out.seen
	done := make(chan error, 1)
	go func() { done <- printLogs(ctx, out, anotherMachine{st}, job, true) }()
	select {
	case <-seen:
	case err := <-done:
		t.Fatalf("jobs logs -f returned (%v) before the task printed, output %q", err, out.String())
	case <-time.After(waitfor.Timeout):
		t.Fatalf("jobs logs -f printed %q, not the first line, within %v", out.String(), waitfor.Timeout)
	}
	if strings.Contains(out.String(), "second") {
		t.Fatalf("output %q has the second line before the task was let go on", out.String())
	}
	if err := os.WriteFile(gate, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "first\nsecond\n" {
		t.Errorf("jobs logs -f printed %q, want both lines once", got)
	}
	if j, err := st.Job(ctx, state.JobID(id)); err != nil || j.Status != state.JobSuccess {
		t.Errorf("job = %s %v, want success once logs -f returned", j.Status, err)
	}
}
