package executor

import (
	"io"
	"os"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// taskOutput is the read end of a task's output pipe. The goroutine that
// waits for the task reads it: one poll on the pipe and on a descriptor
// that turns readable when the process exits (its pidfd) wakes that
// goroutine for output and for the exit alike, so the end of a task needs
// no other goroutine to be scheduled (the runtime's poller and a reader
// goroutine of its own cost a task about 0.2 ms at its end, most of it
// waiting for a free processor to run that reader on).
type taskOutput struct {
	fd  int // blocking: it is read only when poll said it is readable
	log io.Writer
	eof bool // every writer is gone and all is read
}

// outputPipe makes the pipe of a task's output: the write end for the
// task (as a file for os/exec), the read end for baton, both blocking and
// outside the runtime's poller.
func outputPipe(log io.Writer) (*taskOutput, *os.File, error) {
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return nil, nil, os.NewSyscallError("pipe2", err)
	}
	return &taskOutput{fd: p[0], log: log}, os.NewFile(uintptr(p[1]), "|1"), nil
}

// follow copies output to the log until exited (a descriptor that is
// readable once the task's own process has exited) is readable. What the
// task wrote last may still be in the pipe then: drain reads it.
func (o *taskOutput) follow(exited int) error {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	fds := []unix.PollFd{{Fd: int32(exited), Events: unix.POLLIN}, {Fd: int32(o.fd), Events: unix.POLLIN}}
	for {
		watch := fds
		if o.eof {
			watch = fds[:1] // a pipe at its end stays readable
		}
		if _, err := unix.Poll(watch, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return os.NewSyscallError("poll", err)
		}
		if !o.eof && fds[1].Revents != 0 {
			if err := o.readOnce(*buf); err != nil {
				return err
			}
		}
		if fds[0].Revents != 0 {
			return nil
		}
	}
}

// drain copies what is left in the pipe once the task's tree was killed:
// up to its end, or for at most grace while a process that escaped the
// tree still holds the pipe.
func (o *taskOutput) drain(grace time.Duration) {
	buf := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(buf)
	deadline := time.Now().Add(grace)
	fds := []unix.PollFd{{Fd: int32(o.fd), Events: unix.POLLIN}}
	for !o.eof {
		left := time.Until(deadline)
		if left <= 0 {
			return
		}
		n, err := unix.Poll(fds, int(left.Milliseconds())+1)
		if err == unix.EINTR {
			continue
		}
		if err != nil || n == 0 || o.readOnce(*buf) != nil {
			return
		}
	}
}

// readOnce reads what the pipe holds into the log; poll said it is
// readable, so the read does not block. Output the log refuses is dropped
// all the same, so that a task never blocks on a full pipe.
func (o *taskOutput) readOnce(buf []byte) error {
	for {
		n, err := syscall.Read(o.fd, buf)
		switch {
		case err == syscall.EINTR:
			continue
		case err != nil:
			return os.NewSyscallError("read task output", err)
		case n == 0:
			o.eof = true
		default:
			_, _ = o.log.Write(buf[:n])
		}
		return nil
	}
}

func (o *taskOutput) close() { _ = syscall.Close(o.fd) }

// exitWatch returns a descriptor that turns readable when the process
// pid, a child of this process, exits: its pidfd. Where the kernel has no
// pidfds (before Linux 5.3), or with noPidfd, it is the read end of a pipe
// whose write end a goroutine waiting for the process closes; that
// goroutine's result comes on waited.
func exitWatch(pid int, noPidfd bool, wait func() error) (fd int, waited <-chan error, err error) {
	if !noPidfd {
		if fd, err := unix.PidfdOpen(pid, 0); err == nil {
			return fd, nil, nil
		}
	}
	var p [2]int
	if err := syscall.Pipe2(p[:], syscall.O_CLOEXEC); err != nil {
		return -1, nil, os.NewSyscallError("pipe2", err)
	}
	ch := make(chan error, 1)
	go func() {
		ch <- wait()
		_ = syscall.Close(p[1])
	}()
	return p[0], ch, nil
}
