package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"
	"time"
)

// Command is one task process to start. Argv is never passed through a
// shell.
type Command struct {
	Argv []string
	Dir  string
	Env  []string
	// Log receives stdout and stderr, interleaved as written.
	Log io.Writer
}

// Process is a started task process.
type Process interface {
	// Wait blocks until the process has exited and returns its exit code
	// (-1 when it was killed by a signal).
	Wait() (exitCode int, err error)
	// Stop asks the process group to end (SIGTERM) and kills it (SIGKILL)
	// when it is still alive after grace. It returns at once.
	Stop(grace time.Duration)
	// PID is the process id, for operators.
	PID() int
}

// Runner starts task processes. The real one runs OS processes; tests may
// use a fake to drive thousands of jobs without forking.
type Runner interface {
	Start(ctx context.Context, cmd Command) (Process, error)
}

// OSRunner runs each task in its own process group, so that a timeout or a
// cancel reaches every process the task started, and asks the kernel to kill
// the task when the executor dies, so that nothing outlives it.
type OSRunner struct{}

// Start starts cmd. The process is not tied to ctx: the executor ends it
// with Stop, which gives it a grace period.
func (OSRunner) Start(_ context.Context, c Command) (Process, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("start task: empty command")
	}
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdout = c.Log
	cmd.Stderr = c.Log
	// The parent-death signal is bound to the forking thread. The Go runtime
	// retires a thread only when a goroutine exits while locked to it, which
	// baton never does, so the signal fires exactly when the executor dies.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	return &osProcess{cmd: cmd, done: make(chan struct{})}, nil
}

type osProcess struct {
	cmd      *exec.Cmd
	done     chan struct{}
	stopOnce sync.Once
}

func (p *osProcess) PID() int { return p.cmd.Process.Pid }

func (p *osProcess) Wait() (int, error) {
	err := p.cmd.Wait()
	close(p.done)
	if err == nil {
		return 0, nil
	}
	var exit *exec.ExitError
	if errors.As(err, &exit) {
		if ws, ok := exit.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1, nil
		}
		return exit.ExitCode(), nil
	}
	return -1, fmt.Errorf("wait for task process: %w", err)
}

func (p *osProcess) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		pgid := p.cmd.Process.Pid
		_ = syscall.Kill(-pgid, syscall.SIGTERM)
		go func() {
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-p.done:
				// The leader is gone; members of its group that ignored
				// SIGTERM still get killed below.
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			case <-t.C:
				_ = syscall.Kill(-pgid, syscall.SIGKILL)
			}
		}()
	})
}

// cappedLog writes a job's log to a file, keeping the first part and a
// rolling tail when a task writes more than the cap, so a chatty task cannot
// fill the disk and the end of the log, where errors are, survives. The
// file is created on the first write: a quiet task costs no file.
type cappedLog struct {
	mu      sync.Mutex
	path    string
	f       *os.File
	head    int64 // bytes kept from the start
	written int64
	tail    []byte // the last bytes once head is full
	tailCap int
	dropped int64
}

func newCappedLog(path string, limit int64) *cappedLog {
	return &cappedLog{path: path, head: limit / 2, tailCap: int(limit - limit/2)}
}

func (l *cappedLog) open() error {
	if l.f != nil {
		return nil
	}
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("create job log: %w", err)
	}
	l.f = f
	return nil
}

func (l *cappedLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := l.open(); err != nil {
		return 0, err
	}
	n := len(b)
	if room := l.head - l.written; room > 0 {
		k := min(int64(len(b)), room)
		if _, err := l.f.Write(b[:k]); err != nil {
			return 0, err
		}
		l.written += k
		b = b[k:]
	}
	if len(b) > 0 {
		l.tail = append(l.tail, b...)
		if over := len(l.tail) - l.tailCap; over > 0 {
			l.dropped += int64(over)
			l.tail = append(l.tail[:0], l.tail[over:]...)
		}
	}
	return n, nil
}

// Close writes the kept tail after a marker saying how much was dropped.
func (l *cappedLog) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	if l.dropped > 0 {
		fmt.Fprintf(l.f, "\n... [baton: %d bytes of output dropped; the log keeps its start and end] ...\n", l.dropped)
	}
	if _, err := l.f.Write(l.tail); err != nil {
		l.f.Close()
		return fmt.Errorf("write job log: %w", err)
	}
	return l.f.Close()
}
