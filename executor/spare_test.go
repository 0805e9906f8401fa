package executor

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

func (s *spareDirs) ready() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.free)
}

func inode(t *testing.T, path string) uint64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Sys().(*syscall.Stat_t).Ino
}

// The data dirs of tasks due at once are made before they start: a task
// gets a spare with its own config.json written into it, private as ever.
func TestTaskDataDirIsASpareMadeAhead(t *testing.T) {
	e := newEnv(t, `
configuration "c1" {
  command    = ["true"]
  parameters = { n = 1 }
}
configuration "c2" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "a" { configuration = "c1" }
    task "b" { configuration = "c2" }
  }
}`)
	e.runBackground()
	sp := e.exec.spares
	e.waitFor("the executor to run", e.exec.Running)
	sp.prepareFor(2, true)
	e.waitFor("two spare data dirs", func() bool { return sp.ready() == 2 })
	spares := map[uint64]bool{}
	sp.mu.Lock()
	for _, name := range sp.free {
		spares[inode(t, filepath.Join(sp.dir, name))] = true
	}
	sp.mu.Unlock()
	j := e.submit(Request{Orchestration: "o"})
	e.waitFor("the job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job = %s: %s", got.Status, statuses(got))
	}
	for _, task := range e.job(j.ID).Tasks {
		dir := e.exec.dataDir(task.ID)
		if !spares[inode(t, dir)] {
			t.Errorf("task %s: its data dir was made at start, not taken from the spares", task.Task)
		}
		if fi, _ := os.Stat(dir); fi.Mode().Perm() != 0o700 {
			t.Errorf("task %s: data dir mode %v, want 0700", task.Task, fi.Mode().Perm())
		}
		path := filepath.Join(dir, "config.json")
		if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
			t.Errorf("task %s: config.json mode %v, want 0600", task.Task, fi.Mode().Perm())
		}
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var cfg struct {
			Parameters map[string]any `json:"parameters"`
			Action     string         `json:"action"`
		}
		if err := json.Unmarshal(b, &cfg); err != nil || cfg.Action != "run" {
			t.Fatalf("task %s: config.json = %q (%v)", task.Task, b, err)
		}
		if task.Task == "a" && cfg.Parameters["n"] != 1.0 {
			t.Errorf("task a: parameters = %v", cfg.Parameters)
		}
	}
}

// A spare never replaces a data dir that exists (a task started again
// after a restart keeps what it wrote).
func TestSpareNeverReplacesAnExistingDataDir(t *testing.T) {
	jobs := t.TempDir()
	sp := newSpares(jobs)
	if err := sp.reset(); err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	sp.prepareFor(1, true)
	waitForSpares(t, sp, 1)
	dst := filepath.Join(jobs, "7")
	if err := os.Mkdir(dst, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dst, "out"), []byte("kept"), 0o600); err != nil {
		t.Fatal(err)
	}
	if sp.take(dst) {
		t.Fatal("a spare was put in place of an existing data dir")
	}
	if b, err := os.ReadFile(filepath.Join(dst, "out")); err != nil || string(b) != "kept" {
		t.Errorf("the existing data dir lost its file: %q, %v", b, err)
	}
	if sp.ready() != 1 {
		t.Errorf("the spare was lost: %d ready", sp.ready())
	}
}

// Spares are made only while no task process is starting: they must not
// take the CPU from a burst of starts.
func TestSparesWaitForTheStartsInFlight(t *testing.T) {
	sp := newSpares(t.TempDir())
	if err := sp.reset(); err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	ended := sp.starts.begin()
	sp.prepareFor(2, true)
	sp.mu.Lock()
	filling := sp.filling
	sp.mu.Unlock()
	if filling {
		t.Fatal("spares were being made while a task was starting")
	}
	ended()
	waitForSpares(t, sp, 2)
}

// FireDue asks for the data dirs of the tasks due at the next instant: the
// first phase's enabled tasks of each orchestration due then.
func TestFireDueMakesTheDataDirsOfTheNextInstant(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 30, 0, time.UTC))
	e := newEnv(t, `
project { max_parallel_jobs = 8 }
configuration "c" { command = ["true"] }
orchestration "two" {
  schedule {
    cron = "* * * * *"
  }
  phase "p1" {
    task "a" { configuration = "c" }
    task "b" { configuration = "c" }
  }
  phase "p2" {
    task "c" { configuration = "c" }
  }
}
orchestration "one" {
  schedule {
    cron = "* * * * *"
  }
  phase "p" {
    task "a" { configuration = "c" }
    task "off" {
      configuration = "c"
      enabled       = false
    }
  }
}
orchestration "later" {
  schedule {
    cron = "0 * * * *"
  }
  phase "p" {
    task "a" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake })
	sp := e.exec.spares
	if err := os.MkdirAll(e.cfg.JobsDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := sp.reset(); err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	if _, _, err := e.exec.FireDue(context.Background(), fake.Now()); err != nil {
		t.Fatal(err)
	}
	waitForSpares(t, sp, 3)
	sp.mu.Lock()
	want := sp.want
	sp.mu.Unlock()
	if want != 3 {
		t.Errorf("asked for %d spares, want 3 (two of \"two\", one of \"one\")", want)
	}
}

func newSpares(jobsDir string) *spareDirs {
	sp := &spareDirs{dir: spareDir(jobsDir), starts: newStartsInFlight(clock.Real())}
	sp.starts.onQuiet = sp.kick
	return sp
}

func waitForSpares(t *testing.T, sp *spareDirs, n int) {
	t.Helper()
	e := &env{t: t}
	e.waitFor("spare data dirs", func() bool { return sp.ready() == n })
}
