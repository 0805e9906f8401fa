package executor

import (
	"context"
	"errors"
	"io"
	"os"
	"time"

	"github.com/baton-dev/baton/state"
)

const (
	// logStreamEvery is how often a running task's new output is copied
	// into a state that keeps logs, for readers on other nodes.
	logStreamEvery = time.Second
	// logStreamMax bounds one copy; what is left goes with the next.
	logStreamMax = 1 << 20
	// logStreamWriteTimeout bounds one write to the state.
	logStreamWriteTimeout = 5 * time.Second
	// logStreamGiveUp is how many writes in a row may fail before the
	// stream stops; the whole log is still kept when the task ends.
	logStreamGiveUp = 10
)

// streamLog copies what the task job id writes to its log file into a
// state that keeps logs, about every second while it runs, so that
// `jobs logs -f`, the API and the UI on any node show it as it comes. It
// runs beside the task and never holds it up: a write that fails is tried
// again with the next copy, and after several failures in a row the stream
// gives up with a log line (the log stays in its file and is kept whole
// when the task ends). The log file only grows while the task runs (its
// cap keeps the end in memory until the end), so what is copied is always
// a prefix of the final log. The returned stop ends the stream and waits
// for it, before the whole log is kept.
func (e *Executor) streamLog(id state.JobID) (stop func()) {
	logs, ok := e.store.(state.LogStore)
	if !ok {
		return func() {}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		s := logStream{e: e, logs: logs, id: id, path: e.logPath(id)}
		s.run(ctx)
	}()
	return func() {
		cancel()
		<-done
	}
}

// logStream is one task's stream: how much of its log file is in the state.
type logStream struct {
	e      *Executor
	logs   state.LogStore
	id     state.JobID
	path   string
	offset int64
	failed int
}

func (s *logStream) run(ctx context.Context) {
	timer := s.e.clock.NewTimer(logStreamEvery)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		}
		if !s.copy(ctx) {
			return
		}
		timer.Reset(logStreamEvery)
	}
}

// copy appends the log file's new bytes to the state; false when the
// stream gives up.
func (s *logStream) copy(ctx context.Context) bool {
	b, err := s.read()
	if err != nil || len(b) == 0 {
		return true // not written yet, or nothing new
	}
	wctx, cancel := context.WithTimeout(ctx, logStreamWriteTimeout)
	err = s.logs.AppendLog(wctx, s.id, s.offset, b)
	cancel()
	switch {
	case err == nil:
		s.offset += int64(len(b))
		s.failed = 0
	case ctx.Err() != nil:
		// The task ended meanwhile; its whole log is kept next.
	default:
		s.failed++
		if s.failed == 1 {
			s.e.cfg.Logger.Warn("copy a running task's log into the state; trying again", "job", s.id, "error", err)
		}
		if s.failed >= logStreamGiveUp {
			s.e.cfg.Logger.Warn("stopped copying a running task's log into the state: other nodes see it when the task ends", "job", s.id, "file", s.path, "error", err)
			return false
		}
	}
	return true
}

// read returns what the log file holds past the stream's offset, at most
// logStreamMax bytes.
func (s *logStream) read() ([]byte, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil || fi.Size() <= s.offset {
		return nil, err
	}
	b := make([]byte, min(fi.Size()-s.offset, logStreamMax))
	n, err := f.ReadAt(b, s.offset)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return b[:n], nil
}

// keepUnkeptLogs tries again to keep the logs that could not be kept when
// their tasks ended (the database was out of reach), until the first that
// still fails: the rest wait for the next try.
func (e *Executor) keepUnkeptLogs(ctx context.Context, timeout time.Duration) {
	logs, ok := e.store.(state.LogStore)
	if !ok {
		return
	}
	e.unkeptLogs.Range(func(key, _ any) bool {
		id := key.(state.JobID)
		b, err := os.ReadFile(e.logPath(id))
		if err != nil {
			e.unkeptLogs.Delete(id) // swept with its job
			return true
		}
		wctx, cancel := context.WithTimeout(ctx, timeout)
		err = logs.StoreLog(wctx, id, b)
		cancel()
		if err != nil {
			return false
		}
		e.unkeptLogs.Delete(id)
		e.cfg.Logger.Info("kept a task's log in the state once it was reachable again", "job", id)
		return true
	})
}
