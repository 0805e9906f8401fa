package reconciler

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// countingStore counts the per-orchestration reads of job durations.
type countingStore struct {
	state.Store
	reads int
}

func (s *countingStore) LastSuccessfulDurations(ctx context.Context, orchestration string, n int) ([]time.Duration, error) {
	s.reads++
	return s.Store.LastSuccessfulDurations(ctx, orchestration, n)
}

// The overlap check reads each changed orchestration's durations, but a
// state without one successful job (a first apply of thousands of them)
// is answered by one query; once there is history it warns as before.
func TestOverlapCheckReadsHistoryOnlyWhenThereIsSome(t *testing.T) {
	f := newFixture(t)
	counting := &countingStore{Store: f.store}
	f.rec.Store = counting
	f.repo.Commit("frequent", map[string]string{
		"orchestrations/daily.hcl": orchestration("daily", "*/15 * * * *"),
		"orchestrations/other.hcl": orchestration("other", "*/15 * * * *"),
	})
	f.apply(ApplyOptions{})
	if counting.reads != 0 {
		t.Fatalf("a state without jobs: %d reads of job durations, want none", counting.reads)
	}

	ctx := context.Background()
	t0 := time.Date(2026, 11, 24, 6, 0, 0, 0, time.UTC)
	for i := 0; i < 3; i++ {
		j, err := f.store.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: "daily", SerialKey: "orchestration:daily",
			Status: state.JobCreated, Trigger: "manual", CreatedAt: t0, Selected: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateJob(ctx, j.ID, nil, state.JobUpdate{Status: state.JobSuccess, StartedAt: t0, FinishedAt: t0.Add(20 * time.Minute)}); err != nil {
			t.Fatal(err)
		}
	}
	f.repo.Commit("more frequent", map[string]string{
		"orchestrations/daily.hcl": orchestration("daily", "*/10 * * * *"),
		"orchestrations/other.hcl": orchestration("other", "*/10 * * * *"),
	})
	plan, err := f.rec.Plan(ctx, ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if counting.reads != 2 {
		t.Errorf("%d reads of job durations, want one per changed orchestration (2)", counting.reads)
	}
	var warned []string
	for _, d := range plan.Diagnostics {
		if strings.Contains(d.Message, "p95 duration") {
			warned = append(warned, d.Message)
		}
	}
	if len(warned) != 1 || !strings.Contains(warned[0], `"daily"`) {
		t.Errorf("overlap warnings %q, want one about daily", warned)
	}
}

// The apply command creates the tokens of the plan's orchestrations
// instead of reading every applied object back: after an apply they are
// the applied orchestrations.
func TestPlanOrchestrationsAreTheAppliedOnes(t *testing.T) {
	f := newFixture(t)
	f.repo.Commit("two", map[string]string{"orchestrations/other.hcl": orchestration("other", "0 7 * * *")})
	res := f.apply(ApplyOptions{})
	objs, err := f.store.AppliedObjects(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var applied []string
	for _, o := range objs {
		if o.Kind == "orchestration" {
			applied = append(applied, o.Name)
		}
	}
	got := res.Plan.Orchestrations()
	if strings.Join(got, ",") != strings.Join(applied, ",") || len(got) != 2 {
		t.Errorf("plan orchestrations %q, applied %q", got, applied)
	}
}
