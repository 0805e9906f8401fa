package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/baton-dev/baton/proctree"
)

// Command is one task process to start. Argv is never passed through a
// shell.
type Command struct {
	Argv []string
	Dir  string
	Env  []string
	// Log receives stdout and stderr, interleaved as written.
	Log io.Writer
	// Group is shared by the tasks of one jobs dir, whose cgroups may be
	// kept for one another; Key names the task's process tree within it:
	// unique per task and the same after a restart, so recovery finds what
	// a dead executor left.
	Group, Key string
}

// Process is a started task process.
type Process interface {
	// Wait blocks until the process has exited and returns its exit code
	// (-1 when it was killed by a signal). Processes it left behind do not
	// hold it up: they are killed. The task's output is copied to its Log
	// by Wait itself (no other goroutine wakes at the task's end), so Wait
	// is called at once after Start: until then, a task that fills its
	// pipe waits.
	Wait() (exitCode int, err error)
	// Stop asks the process group to end (SIGTERM) and kills its tree
	// (SIGKILL) when it is still alive after grace. It returns at once.
	Stop(grace time.Duration)
	// PID is the process id, for operators.
	PID() int
}

// Runner starts task processes. The real one runs OS processes; tests may
// use a fake to drive thousands of jobs without forking.
type Runner interface {
	Start(ctx context.Context, cmd Command) (Process, error)
}

// OSRunner runs each task in its own process group and, where the system
// allows, its own cgroup (else this process becomes a child subreaper), so
// that a timeout or a cancel reaches every process the task started, and
// the processes it leaves behind end when it exits. It asks the kernel to
// kill the task when the executor dies, so that nothing outlives it.
type OSRunner struct {
	// NoCgroup finds a task's processes through /proc (with this process
	// as their subreaper) even where a cgroup per task is possible.
	NoCgroup bool
	// noPidfd watches for a task's exit with a goroutine that waits for
	// it, as on kernels without pidfds (before Linux 5.3).
	noPidfd bool
}

// readerGrace bounds how long output is still read after the task's tree
// was killed, for a process that escaped it and still holds the pipe.
const readerGrace = 2 * time.Second

// Start starts cmd. The process is not tied to ctx: the executor ends it
// with Stop, which gives it a grace period.
func (r OSRunner) Start(_ context.Context, c Command) (Process, error) {
	if len(c.Argv) == 0 {
		return nil, errors.New("start task: empty command")
	}
	tree := proctree.Prepare(c.Group, c.Key, marker(c.Env), r.NoCgroup)
	p, err := startIn(tree, c, r.noPidfd)
	if err != nil && tree.InCgroup() {
		tree.WithoutCgroup()
		p, err = startIn(tree, c, r.noPidfd)
	}
	if err != nil {
		tree.Close()
		return nil, fmt.Errorf("start %s: %w", c.Argv[0], err)
	}
	return p, nil
}

// marker is the environment entry every process of the task inherits.
func marker(env []string) string {
	for _, kv := range env {
		if strings.HasPrefix(kv, "BATON_DATA_DIR=") {
			return kv
		}
	}
	return ""
}

// startIn starts the task in tree. Its output goes through a pipe of our
// own rather than one of os/exec, whose Wait would also wait for every
// process that inherited the pipe.
func startIn(tree *proctree.Tree, c Command, noPidfd bool) (*osProcess, error) {
	cmd := exec.Command(c.Argv[0], c.Argv[1:]...)
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	// The parent-death signal is bound to the forking thread. The Go runtime
	// retires a thread only when a goroutine exits while locked to it, which
	// baton never does, so the signal fires exactly when the executor dies.
	cmd.SysProcAttr = tree.Attr()
	// Tasks read nothing from baton. os/exec would open /dev/null anew
	// for every process (seven system calls); one shared descriptor is
	// handed to each child as is.
	if null, err := devNull(); err == nil {
		cmd.Stdin = null
	}
	p := &osProcess{cmd: cmd, tree: tree, done: make(chan struct{}), exited: -1}
	if c.Log == nil {
		if err := tree.Start(cmd); err != nil {
			return nil, err
		}
		return p, nil
	}
	out, w, err := outputPipe(c.Log)
	if err != nil {
		return nil, err
	}
	cmd.Stdout, cmd.Stderr = w, w
	err = tree.Start(cmd)
	w.Close()
	if err != nil {
		out.close()
		return nil, err
	}
	p.out = out
	p.exited, p.waited, err = exitWatch(cmd.Process.Pid, noPidfd, cmd.Wait)
	if err != nil {
		// Nothing could see the task end: it must not run unseen.
		tree.Kill()
		if p.waited == nil {
			_ = cmd.Wait()
		}
		tree.Close()
		out.close()
		return nil, err
	}
	return p, nil
}

// copyBuffers hold the buffers that carry task output to the log.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 32<<10); return &b }}

type osProcess struct {
	cmd  *exec.Cmd
	tree *proctree.Tree
	// out is the task's output, nil without a log; exited is readable
	// once the process exited (see exitWatch), and waited, when set,
	// brings the result of the goroutine that waits for it.
	out      *taskOutput
	exited   int
	waited   <-chan error
	done     chan struct{} // closed once the task's own process exited
	stopOnce sync.Once
}

func (p *osProcess) PID() int { return p.cmd.Process.Pid }

// Wait copies the task's output to its log until its own process exits;
// the processes it left behind are killed then, and what is left in the
// pipe is read.
func (p *osProcess) Wait() (int, error) {
	var followErr error
	if p.out != nil {
		if followErr = p.out.follow(p.exited); followErr != nil {
			p.tree.Kill() // its end can no longer be seen: end it now
		}
	}
	var err error
	if p.waited != nil {
		err = <-p.waited
	} else {
		err = p.cmd.Wait()
	}
	close(p.done)
	p.tree.Close()
	if p.out != nil {
		// Every writer is gone with the tree and the pipe is at its end;
		// the grace is for a process that escaped all the same.
		p.out.drain(readerGrace)
		p.out.close()
		_ = syscall.Close(p.exited)
	}
	if followErr != nil {
		return -1, fmt.Errorf("read task output: %w", followErr)
	}
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

// Stop sends SIGTERM to the task's processes, and kills its whole tree
// when its own process is still alive after grace.
func (p *osProcess) Stop(grace time.Duration) {
	p.stopOnce.Do(func() {
		p.tree.Signal(syscall.SIGTERM)
		go func() {
			t := time.NewTimer(grace)
			defer t.Stop()
			select {
			case <-p.done: // Wait kills the rest
			case <-t.C:
				p.tree.Kill()
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

// devNull is /dev/null opened once for the stdin of every task.
var devNull = sync.OnceValues(func() (*os.File, error) { return os.Open(os.DevNull) })
