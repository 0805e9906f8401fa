package health

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state/sqlite"
)

type fakeExecutor struct {
	running  bool
	writeErr error
}

func (f fakeExecutor) Running() bool        { return f.running }
func (f fakeExecutor) StateWritable() error { return f.writeErr }

var t0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func checks(ps []Problem) []string {
	var out []string
	for _, p := range ps {
		out = append(out, p.Check)
	}
	return out
}

func TestNotReadyWhileTheSourceFailsLongerThanTheThreshold(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	fake := clock.NewFake(t0)
	c := &Checker{Store: store, Clock: fake, StaleAfter: 5 * time.Minute, Executor: fakeExecutor{running: true}}
	if err := store.RecordFetch(ctx, t0, "abc", nil); err != nil {
		t.Fatal(err)
	}
	if ps := c.Problems(ctx); len(ps) != 0 {
		t.Fatalf("problems with a working source: %+v", ps)
	}
	if err := store.RecordFetch(ctx, t0.Add(time.Minute), "", errors.New("clone https://user:tok@git.example.com/repo: 503")); err != nil {
		t.Fatal(err)
	}
	fake.Advance(5 * time.Minute) // failing for 4 minutes
	if ps := c.Problems(ctx); len(ps) != 0 {
		t.Fatalf("not ready before the threshold: %+v", ps)
	}
	fake.Advance(time.Minute)
	ps := c.Problems(ctx)
	if len(ps) != 1 || ps[0].Check != CheckSource || !ps[0].Since.Equal(t0.Add(time.Minute)) {
		t.Fatalf("problems after the threshold = %+v", ps)
	}
	if strings.Contains(ps[0].Reason, "tok@") {
		t.Errorf("the reason shows a credential: %s", ps[0].Reason)
	}
	if err := store.RecordFetch(ctx, fake.Now(), "abc", nil); err != nil {
		t.Fatal(err)
	}
	if ps := c.Problems(ctx); len(ps) != 0 {
		t.Errorf("still not ready after a good fetch: %+v", ps)
	}
}

func TestNotReadyWhileTheExecutorIsStoppedOrTheStateTakesNoWrites(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := &Checker{Store: store, Clock: clock.NewFake(t0), Executor: fakeExecutor{running: false, writeErr: errors.New("state not writable since 06:00: database is locked")}}
	got := checks(c.Problems(ctx))
	if len(got) != 2 || got[0] != CheckExecutor || got[1] != CheckState {
		t.Errorf("checks = %v, want executor and state", got)
	}
	c.Executor = fakeExecutor{running: true}
	if ps := c.Problems(ctx); len(ps) != 0 {
		t.Errorf("problems with a running executor: %+v", ps)
	}
}

type standbyNode struct{ fakeExecutor }

func (standbyNode) Working() bool { return true }

// TestAStandbyNodeThatRunsTasksIsReady: a node of several whose executor
// does not lead is ready while its worker runs the tasks handed to it.
func TestAStandbyNodeThatRunsTasksIsReady(t *testing.T) {
	ctx := context.Background()
	store, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	c := &Checker{Store: store, Clock: clock.NewFake(t0), Executor: standbyNode{}}
	if ps := c.Problems(ctx); len(ps) != 0 {
		t.Errorf("a standby node with its worker running: problems %v, want none", ps)
	}
	c.Executor = fakeExecutor{}
	if got := checks(c.Problems(ctx)); len(got) != 1 || got[0] != CheckExecutor {
		t.Errorf("an executor neither leading nor working: problems %v, want the executor's", got)
	}
}
