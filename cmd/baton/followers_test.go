package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

// project is a state with one orchestration applied; baton runs real
// baton processes (the test binary, as testscript set up in PATH) on it.
type project struct {
	t   *testing.T
	dir string
}

func newProject(t *testing.T, hcl string) *project {
	t.Helper()
	p := &project{t: t, dir: t.TempDir()}
	if err := os.MkdirAll(filepath.Join(p.dir, "src"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(p.dir, "src", "baton.hcl"), []byte(hcl), 0o644); err != nil {
		t.Fatal(err)
	}
	if out, err := p.command("--source", "src", "apply").CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	return p
}

func (p *project) command(args ...string) *exec.Cmd {
	cmd := exec.Command("baton", args...)
	cmd.Dir = p.dir
	cmd.Env = append(os.Environ(), "BATON_STATE="+filepath.Join(p.dir, ".baton", "state.db"), "W="+p.dir)
	return cmd
}

// started is a baton process with its output.
type started struct {
	cmd    *exec.Cmd
	stderr *bytes.Buffer
	done   chan error
}

func (p *project) start(args ...string) *started {
	p.t.Helper()
	s := &started{cmd: p.command(args...), stderr: &bytes.Buffer{}, done: make(chan error, 1)}
	s.cmd.Stderr = s.stderr
	if err := s.cmd.Start(); err != nil {
		p.t.Fatal(err)
	}
	go func() { s.done <- s.cmd.Wait() }()
	p.t.Cleanup(func() {
		_ = s.cmd.Process.Kill()
	})
	return s
}

// wait waits for the process to exit; the deadline only fails a broken
// build instead of hanging it.
func (s *started) wait(t *testing.T, what string) error {
	t.Helper()
	select {
	case err := <-s.done:
		return err
	case <-time.After(2 * time.Minute):
		t.Fatalf("%s did not exit; stderr:\n%s", what, s.stderr)
		return nil
	}
}

func (p *project) jobs() []state.Job {
	p.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(p.dir, ".baton", "state.db"))
	if err != nil {
		p.t.Fatal(err)
	}
	defer st.Close()
	all, err := st.ListJobs(context.Background(), state.JobFilter{})
	if err != nil {
		p.t.Fatal(err)
	}
	var jobs []state.Job
	for _, j := range all {
		if j.Kind == state.KindOrchestrationJob {
			jobs = append(jobs, j)
		}
	}
	return jobs
}

func (p *project) waitForFile(pattern string) {
	p.t.Helper()
	waitfor.Cond(p.t, pattern, func() bool {
		m, _ := filepath.Glob(filepath.Join(p.dir, pattern))
		return len(m) > 0
	})
}

const slowHCL = `
configuration "slow" {
  command = ["sh", "-c", "touch $W/started-$BATON_JOB_ID; while [ ! -e $W/release ]; do sleep 0.02; done"]
}
orchestration "slow" {
  phase "p" {
    task "t" { configuration = "slow" }
  }
}`

func TestParallelFollowedRunsAllEndAndAllProcessesExit(t *testing.T) {
	for _, n := range []int{3, 10} {
		t.Run(fmt.Sprint(n), func(t *testing.T) {
			p := newProject(t, slowHCL)
			var runs []*started
			for range n {
				runs = append(runs, p.start("run", "slow"))
			}
			// Each process has queued its job before any is let go.
			waitfor.Cond(t, "the runs to queue their jobs", func() bool { return len(p.jobs()) >= n })
			if err := os.WriteFile(filepath.Join(p.dir, "release"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			for i, r := range runs {
				if err := r.wait(t, fmt.Sprintf("baton run #%d", i)); err != nil {
					t.Errorf("baton run #%d: %v\n%s", i, err, r.stderr)
				}
			}
			jobs := p.jobs()
			if len(jobs) != n {
				t.Fatalf("%d jobs, want %d", len(jobs), n)
			}
			for _, j := range jobs {
				if j.Status != state.JobSuccess {
					t.Errorf("job %d = %s %q, want success", j.ID, j.Status, j.Message)
				}
			}
		})
	}
}

func TestFollowerLeavesOnASignalAndItsJobGoesOn(t *testing.T) {
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			p := newProject(t, slowHCL)
			holder := p.start("run", "slow")
			p.waitForFile("started-*")
			follower := p.start("run", "slow")
			waitfor.Cond(t, "the follower to queue its job", func() bool { return len(p.jobs()) >= 2 })
			if err := follower.cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			_ = follower.wait(t, "the follower after "+sig.String())
			if !strings.Contains(follower.stderr.String(), "goes on") {
				t.Errorf("the follower did not say its job goes on:\n%s", follower.stderr)
			}
			if err := os.WriteFile(filepath.Join(p.dir, "release"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := holder.wait(t, "the executing run"); err != nil {
				t.Errorf("baton run: %v\n%s", err, holder.stderr)
			}
			for _, j := range p.jobs() {
				if j.Status != state.JobSuccess {
					t.Errorf("job %d = %s %q, want success: the executing process drains the queue", j.ID, j.Status, j.Message)
				}
			}
		})
	}
}
