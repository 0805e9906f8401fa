package executor

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/baton-dev/baton/proctree"
)

// outputRunners are the runners, and the cgroup one again as on kernels
// without pidfds, where a goroutine waits for the task's exit.
var outputRunners = append(runners[:len(runners):len(runners)], struct {
	name   string
	runner OSRunner
}{"cgroup without pidfd", OSRunner{noPidfd: true}})

// A task's output is its log whole and in order, up to what it wrote just
// before it exited (still in the pipe when its process ended), with either
// runner; also when a process it left behind wrote on after it and was
// killed at its end, and when it closed its output before it exited.
func TestTaskOutputIsKeptWholeUpToItsExit(t *testing.T) {
	group := fmt.Sprintf("baton-output-test-%d", os.Getpid())
	t.Cleanup(proctree.Keep(group))
	const size = 60000 // under a pipe's buffer: all of it may still be there at the exit
	want := strings.Repeat("x", size) + "end\n"
	scripts := map[string]string{
		"alone":                             fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo end", size),
		"with a process left behind":        fmt.Sprintf("(sleep 30; echo late) & head -c %d /dev/zero | tr '\\0' x; echo end", size),
		"closing its output and running on": fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo end; exec >&- 2>&-; sleep 0.05", size),
	}
	for _, r := range outputRunners {
		for name, script := range scripts {
			t.Run(r.name+"/"+name, func(t *testing.T) {
				for i := range 10 {
					if got := runScript(t, r.runner, group, fmt.Sprintf("output-test-%d", i), script); got != want {
						t.Fatalf("run %d: %d bytes of output ending %q, want %d ending %q", i, len(got), got[max(0, len(got)-8):], len(want), want[len(want)-8:])
					}
				}
			})
		}
	}
}

// signalLog is a task's log that says when it first holds want.
type signalLog struct {
	mu   sync.Mutex
	b    strings.Builder
	want string
	seen chan struct{}
}

func (l *signalLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	had := strings.Contains(l.b.String(), l.want)
	l.b.Write(p)
	if !had && strings.Contains(l.b.String(), l.want) {
		close(l.seen)
	}
	return len(p), nil
}

// A running task's output reaches its log as it comes, not at its end,
// also when it writes more than a pipe holds, on stdout and stderr alike:
// the task goes on only once the test saw its output in the log.
func TestTaskOutputReachesTheLogWhileTheTaskRuns(t *testing.T) {
	group := fmt.Sprintf("baton-live-output-test-%d", os.Getpid())
	t.Cleanup(proctree.Keep(group))
	const size = 300000 // several times a pipe's buffer
	for _, r := range outputRunners {
		t.Run(r.name, func(t *testing.T) {
			dir := t.TempDir()
			fifo := filepath.Join(dir, "go")
			if err := syscall.Mkfifo(fifo, 0o600); err != nil {
				t.Fatal(err)
			}
			script := fmt.Sprintf("head -c %d /dev/zero | tr '\\0' x; echo ready >&2; read answer < %s; echo \"got $answer\"", size, fifo)
			log := &signalLog{want: "ready\n", seen: make(chan struct{})}
			p, err := r.runner.Start(context.Background(), Command{
				Argv: []string{"sh", "-c", script}, Dir: dir, Log: log,
				Env:   []string{"PATH=/usr/bin:/bin", "BATON_DATA_DIR=" + dir},
				Group: group, Key: "live-output-test",
			})
			if err != nil {
				t.Fatal(err)
			}
			waited := make(chan error, 1)
			go func() {
				code, err := p.Wait()
				if err == nil && code != 0 {
					err = fmt.Errorf("exit code %d", code)
				}
				waited <- err
			}()
			select {
			case <-log.seen:
			case err := <-waited:
				t.Fatalf("the task ended (%v) before its output was in the log", err)
			case <-time.After(time.Minute):
				p.Stop(0)
				<-waited
				t.Fatal("the task's output did not reach the log within a minute")
			}
			if err := os.WriteFile(fifo, []byte("go\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := <-waited; err != nil {
				t.Fatal(err)
			}
			want := strings.Repeat("x", size) + "ready\ngot go\n"
			if got := log.b.String(); got != want {
				t.Fatalf("log of %d bytes ending %q, want %d ending %q", len(got), got[max(0, len(got)-16):], len(want), want[len(want)-16:])
			}
		})
	}
}
