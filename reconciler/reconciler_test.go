package reconciler

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/internal/gitrepotest"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

const configs = `configuration "extract" { command = ["sh", "extract.sh"] }
`

func orchestration(name, cron string) string {
	return fmt.Sprintf(`orchestration %q {
  schedule {
    cron     = %q
    timezone = "Europe/Prague"
  }
  phase "extract" {
    task "x" { configuration = "extract" }
  }
}
`, name, cron)
}

type fixture struct {
	t     *testing.T
	repo  *gitrepotest.Repo
	store state.Store
	rec   *Reconciler
	clock *clock.Fake
}

func newFixture(t *testing.T, opts ...func(*Options)) *fixture {
	t.Helper()
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	return attach(t, repo, opts...)
}

func attach(t *testing.T, repo *gitrepotest.Repo, opts ...func(*Options)) *fixture {
	t.Helper()
	dir := t.TempDir()
	store, err := sqlite.Open(context.Background(), filepath.Join(dir, "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	o := Options{Location: "file://" + repo.Dir, CacheDir: filepath.Join(dir, "git")}
	for _, f := range opts {
		f(&o)
	}
	src, err := Open(o)
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))
	return &fixture{t: t, repo: repo, store: store, clock: fake, rec: &Reconciler{Source: src, Store: store, Clock: fake}}
}

func (f *fixture) apply(opts ApplyOptions) *Result {
	f.t.Helper()
	res, err := f.rec.Apply(context.Background(), opts)
	if err != nil {
		f.t.Fatalf("apply: %v", err)
	}
	return res
}

// The sequence: commit A -> apply -> commit B (one schedule
// changed) -> plan shows one update with the cron before/after and the next
// fire times; after apply the plan is empty.
func TestScheduleChangePlansOneUpdateWithFireTimes(t *testing.T) {
	f := newFixture(t)
	if res := f.apply(ApplyOptions{}); !res.Applied {
		t.Fatal("commit A was not applied")
	}
	f.repo.Commit("B: run daily at 7", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
	plan, err := f.rec.Plan(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 {
		t.Fatalf("%d changes, want 1: %+v", len(plan.Changes), plan.Changes)
	}
	c := plan.Changes[0]
	if c.Kind != "orchestration" || c.Name != "daily" || c.Action != ActionUpdate {
		t.Fatalf("change = %s %s %s", c.Action, c.Kind, c.Name)
	}
	if len(c.Fields) != 1 || c.Fields[0].Path != "schedule[0].cron" || string(c.Fields[0].Before) != `"0 6 * * *"` || string(c.Fields[0].After) != `"0 7 * * *"` {
		t.Errorf("fields = %+v", c.Fields)
	}
	if len(c.Schedules) != 1 || len(c.Schedules[0].Before.Next) != 5 || len(c.Schedules[0].After.Next) != 5 {
		t.Fatalf("schedule preview = %+v", c.Schedules)
	}
	// 25 November 2026: Prague is UTC+1, so 07:00 local is 06:00 UTC.
	if got := c.Schedules[0].After.Next[0]; !got.Equal(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)) {
		t.Errorf("next fire after = %v, want 2026-11-25T06:00Z", got)
	}
	var text bytes.Buffer
	if err := plan.WriteText(&text); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`~ orchestration "daily"`, `"0 6 * * *" -> "0 7 * * *"`, "Europe/Prague", "UTC"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text plan lacks %q:\n%s", want, text.String())
		}
	}
	f.apply(ApplyOptions{})
	plan, err = f.rec.Plan(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.HasChanges() {
		t.Errorf("plan after apply has changes: %+v", plan.Changes)
	}
}

// A commit with one broken file applies nothing; the plan afterwards still
// compares against A's applied objects; the fix applies.
func TestBrokenCommitAppliesNothingAndTheFixApplies(t *testing.T) {
	f := newFixture(t)
	f.apply(ApplyOptions{})
	before, _ := f.store.AppliedObjects(context.Background())
	f.repo.Commit("broken", map[string]string{
		"orchestrations/daily.hcl":  orchestration("daily", "0 9 * * *"),
		"orchestrations/broken.hcl": "orchestration \"broken\" {\n  phase \"p\" {\n    task \"t\" { configuration = \"extract\" \n  }\n}\n",
	})
	res, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrInvalidRevision) {
		t.Fatalf("apply of a broken commit = %v, want ErrInvalidRevision", err)
	}
	var diag bytes.Buffer
	res.Plan.Diagnostics.WriteText(&diag)
	if !strings.Contains(diag.String(), "orchestrations/broken.hcl:3:42") {
		t.Errorf("diagnostics do not name file:line:col:\n%s", diag.String())
	}
	after, _ := f.store.AppliedObjects(context.Background())
	if len(after) != len(before) || after[1].Hash != before[1].Hash {
		t.Errorf("the broken commit changed the applied state")
	}
	if cur, _ := f.store.CurrentRevision(context.Background()); cur.Message != "A" {
		t.Errorf("revision in force = %q, want A", cur.Message)
	}
	f.repo.Commit("fix", map[string]string{"orchestrations/broken.hcl": orchestration("broken", "0 8 * * *")})
	res = f.apply(ApplyOptions{})
	c, u, d := res.Plan.Counts()
	if !res.Applied || c != 1 || u != 1 || d != 0 {
		t.Errorf("fix applied=%v with %d created, %d updated, %d deleted; want 1, 1, 0", res.Applied, c, u, d)
	}
}

func TestForcePushNeedsTheFlag(t *testing.T) {
	f := newFixture(t)
	f.apply(ApplyOptions{})
	f.repo.Rewrite("main", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 5 * * *")})
	_, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrHistoryRewritten) || !strings.Contains(err.Error(), "--allow-force-push") {
		t.Fatalf("apply after a force-push = %v", err)
	}
	if cur, _ := f.store.CurrentRevision(context.Background()); cur.Message != "A" {
		t.Errorf("a refused force-push changed the revision to %q", cur.Message)
	}
	if res := f.apply(ApplyOptions{AllowRewrite: true}); !res.Applied {
		t.Error("--allow-force-push did not apply")
	}
}

func TestDeletedBranchIsAClearError(t *testing.T) {
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	repo.Checkout("feature", true)
	repo.Commit("on feature", map[string]string{"orchestrations/hourly.hcl": orchestration("hourly", "0 * * * *")})
	repo.Checkout("main", false)
	f := attach(t, repo, func(o *Options) { o.Ref = "feature" })
	f.apply(ApplyOptions{})
	repo.DeleteBranch("feature")
	_, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "feature") {
		t.Fatalf("apply of a deleted branch = %v, want an error naming the branch", err)
	}
	live, _ := f.store.AppliedObjects(context.Background())
	if len(live) != 3 {
		t.Errorf("a deleted branch pruned objects: %d left, want 3", len(live))
	}
}

func TestUnreachableRemoteLeavesStateUntouched(t *testing.T) {
	f := newFixture(t)
	f.apply(ApplyOptions{})
	src, err := Open(Options{Location: "file://" + filepath.Join(t.TempDir(), "gone"), CacheDir: filepath.Join(t.TempDir(), "git")})
	if err != nil {
		t.Fatal(err)
	}
	f.rec.Source = src
	f.clock.Advance(time.Minute)
	_, err = f.rec.Apply(context.Background(), ApplyOptions{})
	if err == nil || !strings.Contains(err.Error(), "last applied revision stays in force") {
		t.Fatalf("apply with the remote down = %v", err)
	}
	st, _ := f.store.SourceStatus(context.Background())
	if !st.StaleSince.Equal(f.clock.Now().UTC()) || st.LastError == "" {
		t.Errorf("source status = %+v, want stale since now", st)
	}
	if live, _ := f.store.AppliedObjects(context.Background()); len(live) != 2 {
		t.Errorf("a failed fetch pruned objects: %d left", len(live))
	}
}

// The file transport runs in process: no git binary is needed.
func TestFileTransportNeedsNoGitBinary(t *testing.T) {
	t.Setenv("PATH", "")
	f := newFixture(t)
	if res := f.apply(ApplyOptions{}); !res.Applied {
		t.Fatal("not applied")
	}
	f.repo.Commit("B", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
	if res := f.apply(ApplyOptions{}); !res.Applied || res.Revision.Message != "B" {
		t.Errorf("second fetch did not apply B: %+v", res.Revision)
	}
}

func TestMassDeleteNeedsTheFlag(t *testing.T) {
	repo := gitrepotest.New(t)
	files := map[string]string{"configurations.hcl": configs}
	for _, n := range []string{"a", "b", "c", "d"} {
		files["orchestrations/"+n+".hcl"] = orchestration(n, "0 6 * * *")
	}
	repo.Commit("four", files)
	f := attach(t, repo)
	f.apply(ApplyOptions{})
	repo.Commit("delete three", map[string]string{"orchestrations/a.hcl": "", "orchestrations/b.hcl": "", "orchestrations/c.hcl": ""})
	_, err := f.rec.Apply(context.Background(), ApplyOptions{})
	if !errors.Is(err, ErrMassDelete) || !strings.Contains(err.Error(), "3 of 4") {
		t.Fatalf("mass delete = %v", err)
	}
	if res := f.apply(ApplyOptions{AllowMassDelete: true}); !res.Applied {
		t.Error("--allow-mass-delete did not apply")
	}
}

// plan --base/--head compares two revisions without touching the state.
func TestPlanRevisionsDoesNotTouchState(t *testing.T) {
	f := newFixture(t)
	base := f.repo.Commit("B", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
	f.repo.Commit("C", map[string]string{"orchestrations/weekly.hcl": orchestration("weekly", "0 7 * * 1")})
	plan, err := f.rec.PlanRevisions(context.Background(), base, "")
	if err != nil {
		t.Fatal(err)
	}
	if len(plan.Changes) != 1 || plan.Changes[0].Name != "weekly" || plan.Changes[0].Action != ActionCreate {
		t.Errorf("changes = %+v", plan.Changes)
	}
	if _, err := f.store.CurrentRevision(context.Background()); !errors.Is(err, state.ErrNoRevision) {
		t.Errorf("plan --base applied something: %v", err)
	}
	var md bytes.Buffer
	if err := plan.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(md.String(), "```diff") || !strings.Contains(md.String(), "weekly") {
		t.Errorf("markdown plan:\n%s", md.String())
	}
}

func TestDirectorySource(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.hcl"), configs+orchestration("daily", "0 6 * * *"))
	src, err := Open(Options{Location: dir})
	if err != nil {
		t.Fatal(err)
	}
	s1, err := src.Fetch(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	writeTestFile(t, filepath.Join(dir, "a.hcl"), configs+orchestration("daily", "0 7 * * *"))
	s2, _ := src.Fetch(context.Background())
	if s1.Revision.Ref == s2.Revision.Ref || !strings.HasPrefix(s1.Revision.Ref, "sha256:") {
		t.Errorf("content hashes %s, %s: want different sha256 refs", s1.Revision.Ref, s2.Revision.Ref)
	}
	if _, err := Open(Options{Location: dir, Ref: "main"}); err == nil {
		t.Error("--ref with a directory source was accepted")
	}
}

func writeTestFile(t testing.TB, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// --path reads the files of a subdirectory of the repository only.
func TestGitPathSelectsASubdirectory(t *testing.T) {
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{
		"pipelines/configurations.hcl": configs,
		"pipelines/daily.hcl":          orchestration("daily", "0 6 * * *"),
		"other/broken.hcl":             "this is not HCL {",
	})
	f := attach(t, repo, func(o *Options) { o.Path = "pipelines" })
	res := f.apply(ApplyOptions{})
	if c, _, _ := res.Plan.Counts(); c != 2 {
		t.Errorf("applied %d objects, want the 2 of pipelines/", c)
	}
	root, err := f.rec.Source.Root(context.Background(), res.Revision.Ref)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "daily.hcl")); err != nil {
		t.Errorf("the source root of a job is not the subdirectory: %v", err)
	}
}

// TestDirHeadIsTheContentHashOfFetch: a directory's head, read without
// parsing, names the same revision as a full fetch, and any change of a
// name or a content makes it another one.
func TestDirHeadIsTheContentHashOfFetch(t *testing.T) {
	dir := t.TempDir()
	write := func(name, src string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), []byte(src), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("a.hcl", configs)
	write("o/daily.hcl", orchestration("daily", "0 6 * * *"))
	src := &DirSource{Dir: dir, Cache: filepath.Join(t.TempDir(), "record")}
	seen := map[string]bool{}
	check := func(step string) {
		t.Helper()
		head, err := src.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		snap, err := src.Fetch(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		if head.Ref != snap.Revision.Ref {
			t.Fatalf("%s: head %s, fetch %s", step, head.Ref, snap.Revision.Ref)
		}
		if seen[head.Ref] {
			t.Fatalf("%s: revision %s was seen before the change", step, head.Ref)
		}
		seen[head.Ref] = true
	}
	check("start")
	write("o/daily.hcl", orchestration("daily", "0 7 * * *"))
	check("content changed")
	if err := os.Rename(filepath.Join(dir, "o/daily.hcl"), filepath.Join(dir, "o/dail.hcl")); err != nil {
		t.Fatal(err)
	}
	check("renamed")
	write("b.hcl", "")
	check("file added")
	// Same name, same size, same modification time: the change time
	// still tells.
	info, err := os.Stat(filepath.Join(dir, "a.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	write("a.hcl", strings.Replace(configs, "extract", "extracT", 1))
	if err := os.Chtimes(filepath.Join(dir, "a.hcl"), info.ModTime(), info.ModTime()); err != nil {
		t.Fatal(err)
	}
	check("content changed, times kept")
}

// TestDirHeadTrustsItsRecordOnlyWhileStatsMatch: the record of the last
// head answers without reading the files while nothing about them
// changed, and is ignored once anything did, or when it is not older
// than the newest file.
func TestDirHeadTrustsItsRecordOnlyWhileStatsMatch(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "a.hcl")
	if err := os.WriteFile(path, []byte(configs), 0o644); err != nil {
		t.Fatal(err)
	}
	record := filepath.Join(t.TempDir(), "record")
	src := &DirSource{Dir: dir, Cache: record}
	head := func() string {
		t.Helper()
		rev, err := src.Head(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		return rev.Ref
	}
	truth := head()
	// Forge the recorded ref: a head that answers with it did not read
	// the files.
	b, err := os.ReadFile(record)
	if err != nil {
		t.Fatal(err)
	}
	stamp, _, _ := strings.Cut(string(b), " ")
	forge := func(mtime time.Time) {
		t.Helper()
		if err := os.WriteFile(record, []byte(stamp+" sha256:forged"), 0o600); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(record, mtime, mtime); err != nil {
			t.Fatal(err)
		}
	}
	forge(time.Now().Add(time.Hour))
	if got := head(); got != "sha256:forged" {
		t.Fatalf("head = %s, want the recorded ref", got)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	forge(info.ModTime())
	if got := head(); got != truth {
		t.Fatalf("record as new as a file: head = %s, want %s read from the files", got, truth)
	}
	forge(time.Now().Add(time.Hour))
	if err := os.WriteFile(path, []byte(configs+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if got := head(); got == "sha256:forged" || got == truth {
		t.Fatalf("after a change head = %s, want a new content hash", got)
	}
}

// TestPlanOfUnchangedDirectoryIsEmptyAndRecordsTheFetch: a directory that
// did not change since apply plans as empty against the applied revision,
// and the fetch is recorded like any other.
func TestPlanOfUnchangedDirectoryIsEmptyAndRecordsTheFetch(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.hcl"), []byte(configs+orchestration("daily", "0 6 * * *")), 0o644); err != nil {
		t.Fatal(err)
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	src, err := Open(Options{Location: dir})
	if err != nil {
		t.Fatal(err)
	}
	fake := clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))
	rec := &Reconciler{Source: src, Store: store, Clock: fake}
	res, err := rec.Apply(context.Background(), ApplyOptions{})
	if err != nil || !res.Applied {
		t.Fatalf("apply: %v", err)
	}
	fake.Advance(time.Minute)
	plan, err := rec.Plan(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if plan.HasChanges() || plan.Base == nil || plan.Base.Ref != res.Revision.Ref || plan.Revision.Ref != res.Revision.Ref {
		t.Fatalf("plan = %+v, want no changes against %s", plan, res.Revision.Ref)
	}
	st, err := store.SourceStatus(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !st.LastFetchAt.Equal(fake.Now().UTC()) {
		t.Fatalf("last fetch %v, want %v", st.LastFetchAt, fake.Now().UTC())
	}
}

// credentialedSource is a directory source named like a Git URL with a
// token in it.
type credentialedSource struct{ *DirSource }

func (credentialedSource) String() string {
	return "https://bot:SECRETTOKEN@git.example.com/data/pipelines.git?x=SECRETQUERY"
}

func TestPlanNamesTheSourceWithoutCredentials(t *testing.T) {
	dir := t.TempDir()
	writeTestFile(t, filepath.Join(dir, "a.hcl"), configs+orchestration("daily", "0 6 * * *"))
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	rec := &Reconciler{Source: credentialedSource{&DirSource{Dir: dir}}, Store: store, Clock: clock.NewFake(time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC))}
	plan, err := rec.Plan(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plan.Source, "SECRET") || !strings.Contains(plan.Source, "git.example.com/data/pipelines.git") {
		t.Errorf("plan source = %q", plan.Source)
	}
}

func TestPlanTextEscapesWhatTheRepositoryHolds(t *testing.T) {
	f := newFixture(t)
	f.repo.Commit("change\x1b]0;owned\x07 \x1b[2J", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 9 * * *")})
	plan, err := f.rec.Plan(context.Background(), ApplyOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := plan.WriteText(&b); err != nil {
		t.Fatal(err)
	}
	if strings.ContainsAny(b.String(), "\x1b\x07") {
		t.Errorf("plan text holds raw control characters:\n%q", b.String())
	}
	if !strings.Contains(b.String(), `change\x1b]0;owned\a`) {
		t.Errorf("plan text does not show the message escaped:\n%s", b.String())
	}
}
