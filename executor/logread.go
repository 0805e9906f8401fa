package executor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/baton-dev/baton/state"
)

// LogsOf returns the log store of a state that keeps task logs (one shared
// by several machines), nil for one that keeps none (a SQLite file).
func LogsOf(st any) state.LogStore {
	logs, _ := st.(state.LogStore)
	return logs
}

// ReadLog reads the log of the task job t from offset on, at most limit
// bytes (all when limit <= 0): from its file when the task runs or ran on
// this machine, else from what logs kept of it, while it runs too (the
// node running it copies its output every second or so). false when
// neither has it: the task has not written yet, or the log is elsewhere
// (MissingLog says where).
func ReadLog(ctx context.Context, logs state.LogStore, t state.Job, offset, limit int64) ([]byte, bool) {
	if t.LogPath == "" {
		return nil, false // not started
	}
	f, err := os.Open(t.LogPath)
	if err == nil {
		defer f.Close()
		var r io.Reader = io.NewSectionReader(f, offset, 1<<62)
		if limit > 0 {
			r = io.LimitReader(r, limit)
		}
		b, _ := io.ReadAll(r)
		return b, true
	}
	if !errors.Is(err, os.ErrNotExist) || logs == nil {
		return nil, false
	}
	b, kept, err := logs.Log(ctx, t.ID, offset)
	if err != nil || !kept {
		return nil, false
	}
	if limit > 0 && int64(len(b)) > limit {
		b = b[:limit]
	}
	return b, true
}

// TailLog reads the last window bytes of the log of t, from its file or
// from what logs kept of it; end is the offset after them, cut whether
// the log is longer than what was read.
func TailLog(ctx context.Context, logs state.LogStore, t state.Job, window int64) (text []byte, end int64, cut, ok bool) {
	if f, err := os.Open(t.LogPath); err == nil {
		defer f.Close()
		size, err := f.Seek(0, io.SeekEnd)
		if err != nil {
			return nil, 0, false, false
		}
		from := max(size-window, 0)
		b := make([]byte, size-from)
		n, _ := f.ReadAt(b, from)
		return b[:n], from + int64(n), from > 0, true
	}
	b, ok := ReadLog(ctx, logs, t, 0, 0)
	if !ok {
		return nil, 0, false, false
	}
	from := max(int64(len(b))-window, 0)
	return b[from:], int64(len(b)), from > 0, true
}

// MissingLog says, for a task that ended and whose log ReadLog did not
// find, where the log is and what to do.
func MissingLog(logs state.LogStore, t state.Job) string {
	if logs == nil {
		return fmt.Sprintf("the log of job %d is not on this machine: it is in %s on the machine that ran the task, and this state (a SQLite file) keeps no copy of logs; run baton jobs logs %d on that machine (or with its --data-dir), or share a PostgreSQL state, which keeps every node's logs",
			t.ID, t.LogPath, t.ID)
	}
	return fmt.Sprintf("the log of job %d is not in the state: the node that ran the task could not keep it there (its own log says why); it is in %s on that node, where baton jobs logs %d prints it",
		t.ID, t.LogPath, t.ID)
}
