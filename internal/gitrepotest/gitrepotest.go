// Package gitrepotest makes real Git repositories for tests, written with
// go-git so that the tests need no git binary.
package gitrepotest

import (
	"os"
	"path/filepath"
	"testing"
	"time"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/object"
)

// Repo is a real Git repository with a work tree in a temp dir.
type Repo struct {
	t testing.TB
	// Dir is the work tree (and the repository to clone).
	Dir string
	// Git is the go-git handle, for references the helpers do not cover.
	Git  *git.Repository
	when time.Time
}

// New makes an empty repository whose branch is main.
func New(t testing.TB) *Repo {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "origin")
	repo, err := git.PlainInitWithOptions(dir, &git.PlainInitOptions{
		InitOptions: git.InitOptions{DefaultBranch: plumbing.NewBranchReferenceName("main")},
	})
	if err != nil {
		t.Fatal(err)
	}
	return &Repo{t: t, Dir: dir, Git: repo, when: time.Date(2026, 11, 1, 9, 0, 0, 0, time.UTC)}
}

// Commit writes files (an empty content deletes the file) and commits them
// on the current branch, returning the commit hash.
func (r *Repo) Commit(msg string, files map[string]string) string {
	r.t.Helper()
	wt, err := r.Git.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	for name, content := range files {
		p := filepath.Join(r.Dir, name)
		if content == "" {
			if _, err := wt.Remove(name); err != nil {
				r.t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			r.t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			r.t.Fatal(err)
		}
		if _, err := wt.Add(name); err != nil {
			r.t.Fatal(err)
		}
	}
	r.when = r.when.Add(time.Minute)
	h, err := wt.Commit(msg, &git.CommitOptions{
		Author:            &object.Signature{Name: "Dana Engineer", Email: "dana@example.com", When: r.when},
		AllowEmptyCommits: true,
	})
	if err != nil {
		r.t.Fatal(err)
	}
	return h.String()
}

// Checkout checks a branch out, creating it at the current HEAD if asked.
func (r *Repo) Checkout(branch string, create bool) {
	r.t.Helper()
	wt, err := r.Git.Worktree()
	if err != nil {
		r.t.Fatal(err)
	}
	if err := wt.Checkout(&git.CheckoutOptions{Branch: plumbing.NewBranchReferenceName(branch), Create: create}); err != nil {
		r.t.Fatal(err)
	}
}

// Rewrite points branch at a fresh root commit, as a force-push of
// rewritten history would.
func (r *Repo) Rewrite(branch string, files map[string]string) string {
	r.t.Helper()
	orphan := plumbing.NewBranchReferenceName("rewritten")
	if err := r.Git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, orphan)); err != nil {
		r.t.Fatal(err)
	}
	wt, _ := r.Git.Worktree()
	// Start the orphan branch from an empty index.
	idx, err := r.Git.Storer.Index()
	if err != nil {
		r.t.Fatal(err)
	}
	idx.Entries = nil
	if err := r.Git.Storer.SetIndex(idx); err != nil {
		r.t.Fatal(err)
	}
	_ = wt
	h := r.Commit("rewritten history", files)
	if err := r.Git.Storer.SetReference(plumbing.NewHashReference(plumbing.NewBranchReferenceName(branch), plumbing.NewHash(h))); err != nil {
		r.t.Fatal(err)
	}
	if err := r.Git.Storer.SetReference(plumbing.NewSymbolicReference(plumbing.HEAD, plumbing.NewBranchReferenceName(branch))); err != nil {
		r.t.Fatal(err)
	}
	return h
}

// DeleteBranch removes a branch.
func (r *Repo) DeleteBranch(branch string) {
	r.t.Helper()
	if err := r.Git.Storer.RemoveReference(plumbing.NewBranchReferenceName(branch)); err != nil {
		r.t.Fatal(err)
	}
}
