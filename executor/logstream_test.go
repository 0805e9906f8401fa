package executor

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// waitingTask prints a line, waits until the test creates $T/go, and prints
// another.
const waitingTask = `
configuration "c" {
  command = ["sh", "-c", "echo first; while [ ! -e \"$T/go\" ]; do sleep 0.02; done; echo second"]
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`

// elsewhere is t as a node that does not have its log file sees it.
func elsewhere(t state.Job) state.Job {
	t.LogPath = filepath.Join("/nonexistent-node", filepath.Base(t.LogPath))
	return t
}

// TestRunningTaskLogIsReadFromTheStateOnAnotherNode: on PostgreSQL the
// output of a running task reaches the database while it runs, so a
// reader on another handle, without the log file, sees the first line
// before the task may go on; when the task ends the whole log is there.
func TestRunningTaskLogIsReadFromTheStateOnAnotherNode(t *testing.T) {
	ctx := context.Background()
	dsn := pgtest.New(t).NewDatabase(t)
	store, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnvOn(t, t.TempDir(), store, waitingTask)
	other, err := postgres.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	e.runBackground()
	job := e.submit(Request{Orchestration: "o"})

	var task state.Job
	e.waitFor("the first line read from the state on another node", func() bool {
		j, err := other.Job(ctx, job.ID)
		if err != nil || len(j.Tasks) == 0 {
			return false
		}
		task = j.Tasks[0]
		b, ok := ReadLog(ctx, other, elsewhere(task), 0, 0)
		return ok && string(b) == "first\n"
	})
	if task.Status != state.JobProcessing {
		t.Fatalf("the task is %s while it waits for the test, want processing", task.Status)
	}
	if err := os.WriteFile(filepath.Join(e.dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the job to end", func() bool { return e.job(job.ID).Status.Terminal() })
	if j := e.job(job.ID); j.Status != state.JobSuccess {
		t.Fatalf("job ended %s (%s), want success", j.Status, statuses(j))
	}
	task = e.job(job.ID).Tasks[0]
	if b, ok := ReadLog(ctx, other, elsewhere(task), 0, 0); !ok || string(b) != "first\nsecond\n" {
		t.Errorf("the ended task's log on another node = %q %v, want both lines", b, ok)
	}
	if b, ok := ReadLog(ctx, other, elsewhere(task), 6, 0); !ok || string(b) != "second\n" {
		t.Errorf("the log from offset 6 = %q %v, want the second line", b, ok)
	}
}

// failingLogs is a state whose log writes all fail, as when the database
// is cut off from the node that runs the task.
type failingLogs struct {
	state.Store
	mu      sync.Mutex
	appends int
	first   chan struct{}
}

var errCutOff = errors.New("database cut off")

func (f *failingLogs) AppendLog(ctx context.Context, id state.JobID, offset int64, data []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.appends++; f.appends == 1 {
		close(f.first)
	}
	return errCutOff
}

func (f *failingLogs) StoreLog(ctx context.Context, id state.JobID, log []byte) error {
	return errCutOff
}

func (f *failingLogs) Log(ctx context.Context, id state.JobID, offset int64) ([]byte, bool, error) {
	return nil, false, errCutOff
}

// TestFailingLogCopiesNeverFailTheTask: when every copy of a running
// task's log to the state fails, the task still succeeds, its log file is
// whole, and the failure is logged once as a warning rather than each
// second.
func TestFailingLogCopiesNeverFailTheTask(t *testing.T) {
	var logged bytes.Buffer
	var logMu sync.Mutex
	e := newEnv(t, waitingTask, func(c *Config) {
		c.Logger = slog.New(slog.NewTextHandler(&lockedWriter{w: &logged, mu: &logMu}, nil))
	})
	failing := &failingLogs{Store: e.store, first: make(chan struct{})}
	e.cfg.Store = failing
	e.exec = New(e.cfg)
	e.runBackground()
	job := e.submit(Request{Orchestration: "o"})
	<-failing.first // a copy was tried (and failed) while the task waits
	if err := os.WriteFile(filepath.Join(e.dir, "go"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("the job to end", func() bool { return e.job(job.ID).Status.Terminal() })
	j := e.job(job.ID)
	if j.Status != state.JobSuccess {
		t.Fatalf("job ended %s (%s), want success despite the failing log copies", j.Status, statuses(j))
	}
	if b, err := os.ReadFile(j.Tasks[0].LogPath); err != nil || string(b) != "first\nsecond\n" {
		t.Errorf("log file = %q %v, want both lines", b, err)
	}
	logMu.Lock()
	defer logMu.Unlock()
	if n := strings.Count(logged.String(), "copy a running task's log into the state; trying again"); n != 1 {
		t.Errorf("the failing copy was logged %d times, want once:\n%s", n, logged.String())
	}
}

type lockedWriter struct {
	w  *bytes.Buffer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(b)
}

// flakyLogs is a state that keeps logs except while down.
type flakyLogs struct {
	state.Store
	down   bool
	kept   map[state.JobID][]byte
	stores int
}

func (f *flakyLogs) StoreLog(ctx context.Context, id state.JobID, log []byte) error {
	f.stores++
	if f.down {
		return errCutOff
	}
	f.kept[id] = log
	return nil
}

func (f *flakyLogs) AppendLog(ctx context.Context, id state.JobID, offset int64, data []byte) error {
	return errCutOff
}

func (f *flakyLogs) Log(ctx context.Context, id state.JobID, offset int64) ([]byte, bool, error) {
	b, ok := f.kept[id]
	return b, ok, nil
}

// TestALogNotKeptAtTheEndIsKeptOnceTheStateIsBack: a task that ended while
// the database was out of reach has its log kept by a later try, once,
// after the database is back.
func TestALogNotKeptAtTheEndIsKeptOnceTheStateIsBack(t *testing.T) {
	e := newEnv(t, waitingTask)
	logs := &flakyLogs{Store: e.store, down: true, kept: map[state.JobID][]byte{}}
	e.cfg.Store = logs
	e.exec = New(e.cfg)
	if err := os.MkdirAll(e.cfg.JobsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(e.exec.logPath(5), []byte("the whole log\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	e.exec.keepLog(5)
	e.exec.keepUnkeptLogs(ctx, time.Second)
	if _, ok := logs.kept[5]; ok || logs.stores != 2 {
		t.Fatalf("kept %v after %d tries while the state is down", ok, logs.stores)
	}
	logs.down = false
	e.exec.keepUnkeptLogs(ctx, time.Second)
	if string(logs.kept[5]) != "the whole log\n" {
		t.Fatalf("kept %q once the state is back, want the whole log", logs.kept[5])
	}
	e.exec.keepUnkeptLogs(ctx, time.Second)
	if logs.stores != 3 {
		t.Errorf("the log was stored %d times in all, want once more after the state came back", logs.stores)
	}
}
