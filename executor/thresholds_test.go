package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// long_running is settable per orchestration: a fixed duration needs no
// history, a percentage scales the average of recent successful runs.
func TestLongRunningThresholdIsADurationOrAPercentageOfTheAverage(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
	e := newEnv(t, `
configuration "c" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	for _, tc := range []struct {
		threshold string
		want      time.Duration
	}{
		{"", 0}, // the default, 150%, has no average yet
		{"5m", 5 * time.Minute},
	} {
		th := spec.Threshold{}
		if tc.threshold != "" {
			th, _ = spec.ParseThreshold(tc.threshold)
		}
		if got := e.exec.longRunningAfter(ctx, "o", th); got != tc.want {
			t.Errorf("before any run, %q: %v, want %v", tc.threshold, got, tc.want)
		}
	}
	// One successful run of 10 minutes.
	j := e.submit(Request{Orchestration: "o"})
	if err := e.store.UpdateJob(ctx, j.ID, nil, state.JobUpdate{Status: state.JobProcessing, StartedAt: fake.Now()}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.UpdateJob(ctx, j.ID, nil, state.JobUpdate{Status: state.JobSuccess, FinishedAt: fake.Now().Add(10 * time.Minute)}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		threshold string
		want      time.Duration
	}{
		{"", 15 * time.Minute},
		{"200%", 20 * time.Minute},
		{"120%", 12 * time.Minute},
		{"45m", 45 * time.Minute},
	} {
		th := spec.Threshold{}
		if tc.threshold != "" {
			th, _ = spec.ParseThreshold(tc.threshold)
		}
		if got := e.exec.longRunningAfter(ctx, "o", th); got != tc.want {
			t.Errorf("after a 10-minute run, %q: %v, want %v", tc.threshold, got, tc.want)
		}
	}
}

// A job that waits to start longer than its orchestration's
// waiting_too_long is reported once to the channels that listen.
func TestWaitingTooLongIsNotified(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
	e := newEnv(t, `
notification "ops" { webhook = "https://hooks.example.com/baton" }
configuration "block" { command = ["sh", "-c", "touch $T/started-$BATON_RUN_ID; `+waitFile+`", "sh", "release"] }
orchestration "o" {
  waiting_too_long = "10m"
  long_running     = "10h"
  notify {
    on = ["waiting_too_long"]
    to = ["ops"]
  }
  phase "p" {
    task "t" { configuration = "block" }
  }
}`, func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	first := e.submit(Request{Orchestration: "o", Trigger: TriggerSchedule})
	second := e.submit(Request{Orchestration: "o", Trigger: TriggerSchedule})
	e.runBackground()
	e.waitFor("first task started", func() bool {
		_, err := os.Stat(filepath.Join(e.dir, fmt.Sprintf("started-%d", first.ID)))
		return err == nil
	})
	e.waitFor("second job waiting", func() bool { return e.job(second.ID).Status == state.JobWaiting })
	// The long_running timer of the first and the waiting timer of the second.
	if err := fake.WaitForTimers(ctx, 2); err != nil {
		t.Fatal(err)
	}
	fake.Advance(11 * time.Minute)
	e.waitFor("waiting_too_long notification", func() bool {
		pending, _ := e.store.PendingOutbox(ctx, fake.Now(), 10)
		return len(pending) == 1 && pending[0].Event == string(spec.EventWaitingTooLong) && pending[0].JobID == second.ID
	})
	if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("both jobs to end", func() bool { return e.job(second.ID).Status.Terminal() })
	if pending, _ := e.store.PendingOutbox(ctx, fake.Now(), 10); len(pending) != 1 {
		t.Errorf("%d notifications, want only the one waiting_too_long", len(pending))
	}
}

// Cancelled and terminated jobs notify like errors: a block that lists
// error hears of them, with the event named for what happened.
func TestCancelledAndTerminatedNotifyLikeErrors(t *testing.T) {
	e := newEnv(t, `
notification "ops" { webhook = "https://hooks.example.com/ops" }
notification "dev" { webhook = "https://hooks.example.com/dev" }
notification "stop" { webhook = "https://hooks.example.com/stop" }
configuration "c" { command = ["true"] }
orchestration "o" {
  notify {
    on = ["error"]
    to = ["ops"]
  }
  notify {
    on = ["warning", "success"]
    to = ["dev"]
  }
  notify {
    on = ["terminated"]
    to = ["stop"]
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}`)
	ctx := context.Background()
	j := e.submit(Request{Orchestration: "o", Trigger: TriggerSchedule})
	var rs RunSpec
	if err := json.Unmarshal(j.Spec, &rs); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		status state.JobStatus
		event  spec.Event
		to     []string
	}{
		{state.JobError, spec.EventError, []string{"ops"}},
		{state.JobCancelled, spec.EventCancelled, []string{"ops"}},
		{state.JobTerminated, spec.EventTerminated, []string{"ops", "stop"}},
		{state.JobSuccess, spec.EventSuccess, []string{"dev"}},
	} {
		entries := e.exec.outboxFor(ctx, j, rs, tc.status, "", time.Now())
		var got []string
		for _, en := range entries {
			if en.Event != string(tc.event) {
				t.Errorf("%s: event %q, want %q", tc.status, en.Event, tc.event)
			}
			got = append(got, en.Channel)
		}
		if fmt.Sprint(got) != fmt.Sprint(tc.to) {
			t.Errorf("%s notifies %v, want %v", tc.status, got, tc.to)
		}
	}
}
