package reconciler

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/internal/benchrepo"
	"github.com/baton-dev/baton/internal/parsebaseline"
	"github.com/baton-dev/baton/state/sqlite"
)

// benchDir writes the 1000-file benchmark repository (10k configurations,
// 10k tasks) into a directory.
func benchDir(b *testing.B) string {
	dir := b.TempDir()
	if err := benchrepo.Write(dir, 1000); err != nil {
		b.Fatal(err)
	}
	return dir
}

func dirReconciler(b *testing.B, src, stateDir string) *Reconciler {
	store, err := sqlite.Open(context.Background(), filepath.Join(stateDir, "state.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { store.Close() })
	s, err := Open(Options{Location: src, CacheDir: filepath.Join(stateDir, "cache")})
	if err != nil {
		b.Fatal(err)
	}
	return &Reconciler{Source: s, Store: store, Clock: clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))}
}

// BenchmarkApply1000Files is a cold apply of the 1000-file directory to a
// fresh state: read, parse, validate, encode, store. It also reports the
// ratio to a bare single-threaded hclsyntax.ParseConfig loop over the same
// files, timed alternately with the applies (goal <= 1.5x; make bench
// compares the whole processes).
func BenchmarkApply1000Files(b *testing.B) {
	src := benchDir(b)
	var applies, loops time.Duration
	b.ResetTimer()
	for b.Loop() {
		b.StopTimer()
		rec := dirReconciler(b, src, b.TempDir())
		loops += parseLoop(b, src)
		start := time.Now()
		b.StartTimer()
		res, err := rec.Apply(context.Background(), ApplyOptions{})
		if err != nil || !res.Applied {
			b.Fatalf("apply: %v", err)
		}
		applies += time.Since(start)
	}
	b.ReportMetric(applies.Seconds()/loops.Seconds(), "x-parse-loop")
}

// parseLoop times the parsing baseline (scripts/parseloop's work) over dir.
func parseLoop(b *testing.B, dir string) time.Duration {
	start := time.Now()
	if err := parsebaseline.Loop(dir); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

// BenchmarkNoChangeDir plans the applied 1000-file directory again: nothing
// changed, so nothing may be parsed. Goal: within 3x of a trivial baton
// command's start-up (make bench measures the whole process).
func BenchmarkNoChangeDir(b *testing.B) {
	src := benchDir(b)
	rec := dirReconciler(b, src, b.TempDir())
	benchPlanNoChange(b, rec)
}
