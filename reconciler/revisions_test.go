package reconciler

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

// threeCommits is main with A, B, C, tag v1 at A, and a branch feature at
// B whose name is also the name of nothing else.
func threeCommits(t *testing.T) (repo *gitrepotest.Repo, a, b, c string) {
	t.Helper()
	repo = gitrepotest.New(t)
	a = repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	gitrepotest.Git(t, repo.Dir, "tag", "v1", a)
	b = repo.Commit("B", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
	gitrepotest.Git(t, repo.Dir, "branch", "feature", b)
	gitrepotest.Git(t, repo.Dir, "update-ref", "refs/pull/1/head", b)
	c = repo.Commit("C", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 8 * * *")})
	return repo, a, b, c
}

// Issue 10 item 1: revisions accept what git rev-parse accepts, from a
// local checkout and from a remote alike.
func TestRevisionsAcceptWhatGitRevParseAccepts(t *testing.T) {
	repo, a, b, c := threeCommits(t)
	for _, where := range []struct {
		name     string
		location string
		revs     map[string]string
	}{
		{"local checkout", repo.Dir, map[string]string{
			"main": c, "v1": a, "feature": b, a: a, b[:7]: b, "HEAD": c, "HEAD~1": b, "HEAD~2": a, "main^": b, "refs/heads/main": c,
		}},
		{"remote", "file://" + repo.Dir, map[string]string{
			"main": c, "origin/main": c, "v1": a, "feature": b, "origin/feature": b, a: a, b[:7]: b, "main~1": b, "origin/main~2": a,
			"refs/pull/1/head": b, "HEAD": c, "HEAD~1": b,
		}},
	} {
		t.Run(where.name, func(t *testing.T) {
			src, err := Open(Options{Location: where.location, CacheDir: filepath.Join(t.TempDir(), "git")})
			if err != nil {
				t.Fatal(err)
			}
			hist := src.(History)
			for rev, want := range where.revs {
				snap, err := hist.At(context.Background(), rev)
				if err != nil {
					t.Errorf("At(%q): %v", rev, err)
					continue
				}
				if snap.Revision.Ref != want {
					t.Errorf("At(%q) = %s, want %s", rev, snap.Revision.Ref[:7], want[:7])
				}
			}
			if _, err := hist.At(context.Background(), "nope"); !errors.Is(err, ErrRevisionNotFound) {
				t.Errorf("At(nope) = %v, want ErrRevisionNotFound", err)
			}
		})
	}
}

// --ref <commit> pins apply to the commit that was reviewed, even after the
// branch moved on; a detached HEAD is a revision like any other.
func TestRefPinsTheReviewedCommit(t *testing.T) {
	repo, _, b, c := threeCommits(t)
	for _, loc := range []string{repo.Dir, "file://" + repo.Dir} {
		f := attach(t, repo, func(o *Options) { o.Location, o.Ref = loc, b[:10] })
		if res := f.apply(ApplyOptions{}); res.Revision.Ref != b {
			t.Errorf("%s --ref %s applied %s", loc, b[:10], res.Revision.Ref)
		}
	}
	// Detach the checkout's HEAD at B: with no --ref the source reads HEAD.
	gitrepotest.Git(t, repo.Dir, "checkout", "-q", "--detach", b)
	f := attach(t, repo, func(o *Options) { o.Location = repo.Dir })
	if res := f.apply(ApplyOptions{}); res.Revision.Ref != b {
		t.Errorf("detached HEAD at B applied %s (C is %s)", res.Revision.Ref[:7], c[:7])
	}
}

// Issue 10: from CI's depth-1 detached merge checkout, plan --base
// origin/main works with and without origin/main fetched; when it cannot be
// fetched, the error says which fetch to add.
func TestPlanFromAShallowDetachedMergeCheckout(t *testing.T) {
	for _, withBase := range []bool{true, false} {
		repo := gitrepotest.New(t)
		repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
		repo.Checkout("pr", true)
		repo.Commit("run daily at 7", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
		repo.Checkout("main", false)
		repo.Commit("unrelated", map[string]string{"orchestrations/weekly.hcl": orchestration("weekly", "0 6 * * 1")})
		co := repo.ShallowMergeCheckout(t, repo.ServeHTTP(t, "", ""), "pr", withBase)
		f := attach(t, repo, func(o *Options) { o.Location = co })
		plan, err := f.rec.PlanRevisions(context.Background(), "origin/main", "")
		if err != nil {
			t.Fatalf("with origin/main fetched %v: %v", withBase, err)
		}
		if len(plan.Changes) != 1 || plan.Changes[0].Name != "daily" || plan.Changes[0].Action != ActionUpdate {
			t.Errorf("with origin/main fetched %v: changes %+v, want daily updated", withBase, plan.Changes)
		}
	}
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	repo.Checkout("pr", true)
	repo.Commit("B", map[string]string{"orchestrations/daily.hcl": orchestration("daily", "0 7 * * *")})
	repo.Checkout("main", false)
	co := repo.ShallowMergeCheckout(t, repo.ServeHTTP(t, "", ""), "pr", false)
	gitrepotest.Git(t, co, "remote", "set-url", "origin", "file://"+filepath.Join(t.TempDir(), "gone"))
	f := attach(t, repo, func(o *Options) { o.Location = co })
	_, err := f.rec.PlanRevisions(context.Background(), "origin/main", "")
	if !errors.Is(err, ErrRevisionNotFound) || !strings.Contains(err.Error(), "git fetch --depth=1 origin main:refs/remotes/origin/main") {
		t.Errorf("base that cannot be fetched: %v", err)
	}
}
