package reconciler

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/internal/gitrepotest"
)

func threeOrchestrations(t *testing.T) *fixture {
	t.Helper()
	repo := gitrepotest.New(t)
	files := map[string]string{"configurations.hcl": configs}
	for _, n := range []string{"a", "b", "c"} {
		files["orchestrations/"+n+".hcl"] = orchestration(n, "0 6 * * *")
	}
	repo.Commit("three", files)
	f := attach(t, repo)
	f.apply(ApplyOptions{})
	return f
}

// Issue 9 item 10: deleting one orchestration per commit removed all three
// in 9 s. The guard counts every orchestration applied within the hour.
func TestMassDeleteGuardCountsTheLastHour(t *testing.T) {
	f := threeOrchestrations(t)
	f.repo.Commit("delete a", map[string]string{"orchestrations/a.hcl": ""})
	f.clock.Advance(3 * time.Second)
	if res := f.apply(ApplyOptions{}); !res.Applied {
		t.Fatal("deleting one of three was not applied")
	}
	f.repo.Commit("delete b", map[string]string{"orchestrations/b.hcl": ""})
	f.clock.Advance(3 * time.Second)
	_, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrMassDelete) || !strings.Contains(err.Error(), "2 of 3") {
		t.Fatalf("second deletion within the hour = %v, want ErrMassDelete naming 2 of 3", err)
	}
	// An hour after the first deletion only b and c count: deleting b
	// removes one of two.
	f.clock.Advance(time.Hour)
	if res := f.apply(ApplyOptions{}); !res.Applied {
		t.Error("the second deletion an hour later was refused")
	}
}

// Issue 9 item 10: plan showed a force-push as a normal change though
// apply refuses it.
func TestPlanShowsTheForcePushApplyRefuses(t *testing.T) {
	f := newFixture(t)
	f.apply(ApplyOptions{})
	f.repo.Rewrite("main", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 5 * * *")})
	plan, err := f.rec.Plan(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrHistoryRewritten) || plan == nil {
		t.Fatalf("plan after a force-push = %v, want ErrHistoryRewritten with the plan", err)
	}
	if errs := plan.Diagnostics.Filter(finding.Error); len(errs) != 1 || errs[0].Code != "force-push" {
		t.Fatalf("plan findings = %+v, want one force-push error", plan.Diagnostics)
	}
	var text bytes.Buffer
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"error: the branch was force-pushed", "--allow-force-push", "Refused:", `~ orchestration "daily"`} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text plan lacks %q:\n%s", want, text.String())
		}
	}
	plan, err = f.rec.Plan(context.Background(), ApplyOptions{AllowRewrite: true})
	if err != nil || plan.Diagnostics.HasErrors() || len(plan.Diagnostics) != 1 || plan.Diagnostics[0].Severity != finding.Warning {
		t.Errorf("plan --allow-force-push = %v, %+v; want one warning", err, plan.Diagnostics)
	}
}

// Issue 9 item 10: a refused head was only logged, every poll. It is
// recorded once beside the source status, and cleared by the next apply.
func TestRefusedHeadIsRecordedOnce(t *testing.T) {
	f := threeOrchestrations(t)
	head := f.repo.Commit("delete two", map[string]string{"orchestrations/a.hcl": "", "orchestrations/b.hcl": ""})
	res, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrMassDelete) || res.Repeated {
		t.Fatalf("first refusal = %v (repeated %v)", err, res.Repeated)
	}
	first, _ := f.store.SourceStatus(context.Background())
	if first.AttemptRef != head || !strings.Contains(first.RefusedReason, "2 of 3") {
		t.Fatalf("source status after a refusal = %+v", first)
	}
	f.clock.Advance(time.Minute)
	res, err = f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrMassDelete) || !res.Repeated {
		t.Fatalf("second poll = %v (repeated %v), want the same refusal, repeated", err, res.Repeated)
	}
	if again, _ := f.store.SourceStatus(context.Background()); !again.AttemptAt.Equal(first.AttemptAt) {
		t.Errorf("the repeated refusal was recorded again at %v", again.AttemptAt)
	}
	f.repo.Commit("restore", map[string]string{"orchestrations/a.hcl": orchestration("a", "0 6 * * *"), "orchestrations/b.hcl": orchestration("b", "0 6 * * *")})
	f.apply(ApplyOptions{})
	if st, _ := f.store.SourceStatus(context.Background()); st.RefusedReason != "" || st.AttemptRef == head {
		t.Errorf("after an apply the status still shows the refusal: %+v", st)
	}
}
