package reconciler

import (
	"bufio"
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/internal/gitrepotest"
	"github.com/baton-dev/baton/state"
)

var update = flag.Bool("update", false, "rewrite the golden plans of testdata/review")

// Every review check and guard has a fixture in testdata/review/<name>: a
// base/ and a head/ revision (and a history of job durations where the
// check needs one; with a file named rewrite, the base is applied and the
// head force-pushed over it, and the plan is against the state). The plan
// between them is compared with the golden
// plan.txt, plan.json and plan.md; go test ./reconciler -update rewrites
// them.
func TestReviewFixturesPlanAsTheGoldenFiles(t *testing.T) {
	dirs, err := filepath.Glob("../testdata/review/*")
	if err != nil || len(dirs) == 0 {
		t.Fatalf("no fixtures: %v", err)
	}
	for _, dir := range dirs {
		t.Run(filepath.Base(dir), func(t *testing.T) {
			repo := gitrepotest.New(t)
			base := repo.Commit("base", readTree(t, filepath.Join(dir, "base"), nil))
			f := attach(t, repo)
			var plan *Plan
			var err error
			if _, rewritten := os.Stat(filepath.Join(dir, "rewrite")); rewritten == nil {
				// The base is applied, then the branch is force-pushed to
				// the head: plan against the state, as apply would see it.
				f.apply(ApplyOptions{})
				repo.Rewrite("main", readTree(t, filepath.Join(dir, "head"), nil))
				plan, err = f.rec.Plan(context.Background(), ApplyOptions{})
			} else {
				repo.Commit("head: "+filepath.Base(dir), readTree(t, filepath.Join(dir, "head"), readTree(t, filepath.Join(dir, "base"), nil)))
				recordHistory(t, f, filepath.Join(dir, "history"))
				plan, err = f.rec.PlanRevisions(context.Background(), base, "")
			}
			if plan == nil {
				t.Fatalf("no plan: %v", err)
			}
			if (err != nil) != plan.Diagnostics.HasErrors() {
				t.Errorf("plan error %v, but the findings have %d errors", err, plan.Diagnostics.Errors())
			}
			for _, format := range []struct {
				file  string
				write func(*bytes.Buffer) error
			}{
				{"plan.txt", func(b *bytes.Buffer) error { return plan.WriteText(b) }},
				{"plan.json", func(b *bytes.Buffer) error { return plan.WriteJSON(b) }},
				{"plan.md", func(b *bytes.Buffer) error { return plan.WriteMarkdown(b) }},
			} {
				var b bytes.Buffer
				if err := format.write(&b); err != nil {
					t.Fatal(err)
				}
				got := strings.ReplaceAll(b.String(), repo.Dir, "REPO")
				golden := filepath.Join(dir, format.file)
				if *update {
					if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
						t.Fatal(err)
					}
					continue
				}
				want, err := os.ReadFile(golden)
				if err != nil {
					t.Fatalf("read golden (go test ./reconciler -update writes it): %v", err)
				}
				if got != string(want) {
					t.Errorf("%s differs from the golden file:\n--- got\n%s\n--- want\n%s", format.file, got, want)
				}
			}
		})
	}
}

// readTree reads the files below dir as commit wants them; files of
// replaced that dir lacks are deleted.
func readTree(t *testing.T, dir string, replaced map[string]string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for name := range replaced {
		out[name] = ""
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if e.IsDir() {
			continue
		}
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = string(b)
	}
	return out
}

// recordHistory records a successful job per "orchestration duration" line.
func recordHistory(t *testing.T, f *fixture, path string) {
	t.Helper()
	file, err := os.Open(path)
	if os.IsNotExist(err) {
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	defer file.Close()
	ctx := context.Background()
	start := f.clock.Now().Add(-24 * time.Hour)
	sc := bufio.NewScanner(file)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) != 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		d, err := time.ParseDuration(fields[1])
		if err != nil {
			t.Fatal(err)
		}
		job, err := f.store.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: fields[0], SerialKey: fields[0], Status: state.JobCreated, Trigger: "schedule", CreatedAt: start}, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateJob(ctx, job.ID, nil, state.JobUpdate{Status: state.JobProcessing, StartedAt: start}); err != nil {
			t.Fatal(err)
		}
		if err := f.store.UpdateJob(ctx, job.ID, nil, state.JobUpdate{Status: state.JobSuccess, FinishedAt: start.Add(d)}); err != nil {
			t.Fatal(err)
		}
		start = start.Add(time.Hour)
	}
}
