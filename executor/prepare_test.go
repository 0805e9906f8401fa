package executor

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// tokenBook is an orchestration token service that counts its look-ups.
type tokenBook struct {
	mu    sync.Mutex
	calls [][]string
	// failMany makes a look-up of more than one orchestration fail.
	failMany bool
}

func (b *tokenBook) secrets(_ context.Context, names []string) (map[string]string, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, slices.Sorted(slices.Values(names)))
	if b.failMany && len(names) > 1 {
		return nil, errors.New("the token store is busy")
	}
	out := map[string]string{}
	for _, n := range names {
		out[n] = "secret-of-" + n
	}
	return out, nil
}

// tokenHCL: three orchestrations of two phases whose tasks write the
// token they run with to $T/<orchestration>-<task>.
func tokenHCL() string {
	var b strings.Builder
	b.WriteString("configuration \"c\" {\n  command = [\"sh\", \"-c\", \"printf %s \\\"$BATON_TOKEN\\\" > \\\"$T/$BATON_ORCHESTRATION-$BATON_TASK\\\"\"]\n}\n")
	for _, o := range []string{"a", "b", "c"} {
		fmt.Fprintf(&b, "orchestration %q {\n  phase \"one\" {\n    task \"t1\" { configuration = \"c\" }\n    task \"t2\" { configuration = \"c\" }\n  }\n  phase \"two\" {\n    task \"t3\" { configuration = \"c\" }\n  }\n}\n", o)
	}
	return b.String()
}

func (e *env) tokensWritten(orchestrations ...string) {
	e.t.Helper()
	for _, o := range orchestrations {
		for _, task := range []string{"t1", "t2", "t3"} {
			got, err := os.ReadFile(filepath.Join(e.dir, o+"-"+task))
			if err != nil {
				e.t.Fatalf("task %s of %s: %v", task, o, err)
			}
			if want := "secret-of-" + o; string(got) != want {
				e.t.Errorf("task %s of %s ran with token %q, want its own orchestration's %q", task, o, got, want)
			}
		}
	}
}

// Tasks of several runs that start together get each its own
// orchestration's token, looked up for all of them at once; the later
// phases of a run keep the token it started with, without a look-up.
func TestTasksStartingTogetherGetTheirOwnTokenFromOneLookUp(t *testing.T) {
	book := &tokenBook{}
	e := newEnv(t, tokenHCL(), func(c *Config) {
		c.Tokens = book.secrets
		c.MaxParallel = 8
	})
	for _, o := range []string{"a", "b", "c"} {
		e.submit(Request{Orchestration: o})
	}
	for _, j := range e.runIdle() {
		if j.Status != state.JobSuccess {
			t.Fatalf("job of %s ended %s: %s (%s)", j.Orchestration, j.Status, j.Message, statuses(e.job(j.ID)))
		}
	}
	e.tokensWritten("a", "b", "c")
	if want := [][]string{{"a", "b", "c"}}; !slices.EqualFunc(book.calls, want, slices.Equal) {
		t.Errorf("token look-ups = %v, want one for the three runs: %v", book.calls, want)
	}
}

// When the look-up for many runs fails, each task looks its run's token up
// alone: the tasks still run with their own token.
func TestTasksLookTheirTokenUpAloneWhenTheLookUpForManyFails(t *testing.T) {
	book := &tokenBook{failMany: true}
	e := newEnv(t, tokenHCL(), func(c *Config) {
		c.Tokens = book.secrets
		c.MaxParallel = 8
	})
	for _, o := range []string{"a", "b"} {
		e.submit(Request{Orchestration: o})
	}
	for _, j := range e.runIdle() {
		if j.Status != state.JobSuccess {
			t.Fatalf("job of %s ended %s: %s (%s)", j.Orchestration, j.Status, j.Message, statuses(e.job(j.ID)))
		}
	}
	e.tokensWritten("a", "b")
	single := 0
	for _, c := range book.calls {
		if len(c) == 1 {
			single++
		}
	}
	if single != 2 {
		t.Errorf("token look-ups = %v, want the failed one for both runs, then one per run", book.calls)
	}
}

// Schedules of several orchestrations due at the same instant make jobs
// that run as each orchestration's own token, read in one look-up; one
// without a token runs as "schedule".
func TestSchedulesDueTogetherRunAsTheirOwnTokens(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 8, 0, 0, 0, time.UTC))
	var src strings.Builder
	src.WriteString("configuration \"c\" { command = [\"true\"] }\n")
	for _, o := range []string{"a", "b", "c"} {
		fmt.Fprintf(&src, "orchestration %q {\n  schedule { cron = \"0 * * * *\" }\n  phase \"p\" {\n    task \"t\" { configuration = \"c\" }\n  }\n}\n", o)
	}
	e := newEnv(t, src.String(), func(c *Config) { c.Clock = fake })
	ctx := context.Background()
	for _, o := range []string{"a", "b"} {
		if err := e.store.RotateOrchestrationToken(ctx, state.Token{ID: "tok-" + o, Orchestration: o, CreatedAt: fake.Now()}, "hash-"+o, fake.Now()); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := e.exec.FireDue(ctx, fake.Now()); err != nil {
		t.Fatal(err)
	}
	fake.Advance(time.Hour)
	jobs, _, err := e.exec.FireDue(ctx, fake.Now())
	if err != nil || len(jobs) != 3 {
		t.Fatalf("FireDue = %v, %v; want a job of each orchestration", jobs, err)
	}
	by := map[string]string{}
	for _, j := range jobs {
		by[j.Orchestration] = j.TriggeredBy
	}
	if want := map[string]string{"a": "token tok-a", "b": "token tok-b", "c": "schedule"}; fmt.Sprint(by) != fmt.Sprint(want) {
		t.Errorf("scheduled jobs triggered by %v, want %v", by, want)
	}
}
