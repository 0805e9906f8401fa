package executor

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// leftRunning records job j and its task as started at the given time by
// an executor that then died, as a kill -9 leaves them.
func leftRunning(t *testing.T, e *env, j state.Job, at time.Time) {
	t.Helper()
	ts := []state.JobTransition{{ID: j.ID, Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: at}}}
	for _, tj := range j.Tasks {
		ts = append(ts, state.JobTransition{ID: tj.ID, Update: state.JobUpdate{Status: state.JobProcessing, StartedAt: at}})
	}
	if err := e.store.UpdateJobs(context.Background(), ts); err != nil {
		t.Fatal(err)
	}
}

func TestRecoveryEndsWhatWasRunningAtTheLastHeartbeatNotAtRestart(t *testing.T) {
	start := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	lastBeat := start.Add(time.Minute)
	restart := start.Add(time.Hour)
	for _, tc := range []struct {
		name     string
		beat     *time.Time
		lostNode string
		wantEnds time.Time
	}{
		{"heartbeat known", &lastBeat, "", lastBeat},
		{"no heartbeat", nil, "", restart},
		// The heartbeat file is this node's own, not the lost node's.
		{"another node lost", &lastBeat, "n2", restart},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := clock.NewFake(start)
			e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake })
			j := e.submit(Request{Orchestration: "o"})
			leftRunning(t, e, j, start)
			if err := os.MkdirAll(e.cfg.JobsDir, 0o700); err != nil {
				t.Fatal(err)
			}
			if tc.beat != nil {
				if err := os.WriteFile(e.exec.heartbeatPath(), []byte(tc.beat.Format(time.RFC3339Nano)), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			fake.Advance(time.Hour)
			if _, err := e.exec.Run(context.Background(), RunOptions{UntilIdle: true, LostNode: tc.lostNode}); err != nil {
				t.Fatal(err)
			}
			got := e.job(j.ID)
			if got.Status != state.JobTerminated || !got.FinishedAt.Equal(tc.wantEnds) {
				t.Errorf("job = %s ended %s, want terminated at %s", got.Status, got.FinishedAt, tc.wantEnds)
			}
			if tj := got.Tasks[0]; tj.Status != state.JobTerminated || !tj.FinishedAt.Equal(tc.wantEnds) {
				t.Errorf("task = %s ended %s, want terminated at %s", tj.Status, tj.FinishedAt, tc.wantEnds)
			}
		})
	}
}

func TestLostAtIsTheLastHeartbeatWithinStartAndNow(t *testing.T) {
	at := func(m int) time.Time { return time.Date(2026, 1, 1, 0, m, 0, 0, time.UTC) }
	for _, tc := range []struct {
		name                      string
		alive, started, now, want time.Time
	}{
		{"beat after start", at(5), at(1), at(60), at(5)},
		{"beat before start (a clock step)", at(1), at(5), at(60), at(5)},
		{"beat in the future", at(70), at(1), at(60), at(60)},
		{"no beat", time.Time{}, at(1), at(60), at(60)},
	} {
		if got := lostAt(tc.alive, tc.started, tc.now); !got.Equal(tc.want) {
			t.Errorf("%s: lostAt = %s, want %s", tc.name, got, tc.want)
		}
	}
}
