package reconciler

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/internal/gitrepotest"
	"github.com/baton-dev/baton/state/sqlite"
)

// bigRepo commits 1000 orchestration files of 10 tasks each (10k tasks).
func bigRepo(b *testing.B) *gitrepotest.Repo {
	repo := gitrepotest.New(b)
	files := map[string]string{}
	for i := 0; i < 1000; i++ {
		var s strings.Builder
		fmt.Fprintf(&s, "configuration \"c%d\" {\n  command = [\"true\"]\n  parameters = { n = %d }\n}\n", i, i)
		fmt.Fprintf(&s, "orchestration \"o%d\" {\n  schedule {\n    cron = \"%d 6 * * *\"\n  }\n  phase \"p\" {\n", i, i%60)
		for k := 0; k < 10; k++ {
			fmt.Fprintf(&s, "    task \"t%d\" {\n      configuration = \"c%d\"\n    }\n", k, i)
		}
		s.WriteString("  }\n}\n")
		files[fmt.Sprintf("o/%04d.hcl", i)] = s.String()
	}
	repo.Commit("big", files)
	return repo
}

func benchReconciler(b *testing.B, repo *gitrepotest.Repo, dir string) *Reconciler {
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	src, err := Open(Options{Location: "file://" + repo.Dir, CacheDir: filepath.Join(dir, "git")})
	if err != nil {
		b.Fatal(err)
	}
	return &Reconciler{Source: src, Store: store, Clock: clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))}
}

// BenchmarkPlan1000FilesCold: clone, parse 1000 files and diff them against
// an applied state of the same size. Goal: under 1 s.
func BenchmarkPlan1000FilesCold(b *testing.B) {
	repo := bigRepo(b)
	applied := b.TempDir()
	rec := benchReconciler(b, repo, applied)
	if _, err := rec.Apply(context.Background(), ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		cold := benchReconciler(b, repo, dir)
		cold.Store = rec.Store // the applied state, a fresh clone
		b.StartTimer()
		plan, err := cold.Plan(context.Background(), ApplyOptions{})
		if err != nil || plan.HasChanges() {
			b.Fatalf("plan: %v, %d changes", err, len(plan.Changes))
		}
	}
}

// BenchmarkPlanNoChange: fetch (nothing new) and plan. Goal: under 50 ms.
func BenchmarkPlanNoChange(b *testing.B) {
	repo := bigRepo(b)
	rec := benchReconciler(b, repo, b.TempDir())
	benchPlanNoChange(b, rec)
}

// benchPlanNoChange applies the source once, then times plans of it.
func benchPlanNoChange(b *testing.B, rec *Reconciler) {
	if _, err := rec.Apply(context.Background(), ApplyOptions{}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		plan, err := rec.Plan(context.Background(), ApplyOptions{})
		if err != nil || plan.HasChanges() {
			b.Fatalf("plan: %v", err)
		}
	}
}
