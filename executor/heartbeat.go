package executor

import (
	"os"
	"path/filepath"
	"strings"
	"time"
)

// heartbeatEvery is how often a running executor records that it is alive.
// A task that a dead executor left running is recorded as ended at the
// executor's last heartbeat, so its duration does not include the time
// until the next executor started: it is off by at most this much.
const heartbeatEvery = 2 * time.Second

func (e *Executor) heartbeatPath() string { return filepath.Join(e.cfg.JobsDir, "executor.alive") }

// lastAlive is when the previous executor of these jobs was last known to
// be alive; zero when unknown (then recovery uses the current time). The
// file is local to the jobs dir: an executor on another node knows none.
func (e *Executor) lastAlive() time.Time {
	b, err := os.ReadFile(e.heartbeatPath())
	if err != nil {
		return time.Time{}
	}
	t, err := time.Parse(time.RFC3339Nano, strings.TrimSpace(string(b)))
	if err != nil {
		return time.Time{}
	}
	return t.UTC()
}

// beat records that the executor is alive now. It writes a new file and
// renames it, so a reader never sees half a time.
func (e *Executor) beat() {
	path := e.heartbeatPath()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(e.clock.Now().UTC().Format(time.RFC3339Nano)+"\n"), 0o600); err == nil {
		_ = os.Rename(tmp, path)
	}
}

// heartbeat beats until stop is closed. It ticks on the wall clock: it
// measures how long this process lives, which a fake clock cannot tell.
func (e *Executor) heartbeat(stop <-chan struct{}) {
	e.beat()
	t := time.NewTicker(heartbeatEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			e.beat()
		case <-stop:
			e.beat()
			return
		}
	}
}

// lostAt is when a task or job that was running when its executor died is
// recorded as ended: the executor's last heartbeat, not the time of
// recovery, and never before the task started.
func lostAt(alive, started, now time.Time) time.Time {
	if alive.IsZero() || alive.After(now) {
		return now
	}
	if alive.Before(started) {
		return started
	}
	return alive
}
