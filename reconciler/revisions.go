package reconciler

import (
	"context"
	"errors"
	"fmt"
	"strings"

	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
)

// ErrRevisionNotFound means a revision names nothing in the repository.
var ErrRevisionNotFound = errors.New("revision not found")

// repository is where revisions are read: a local repository itself, or
// the cache clone of a remote one.
func (g *GitSource) repository() (*git.Repository, error) {
	if g.local == "" {
		return g.open()
	}
	repo, err := git.PlainOpenWithOptions(g.local, &git.PlainOpenOptions{EnableDotGitCommonDir: true})
	if err != nil {
		return nil, fmt.Errorf("open Git repository %s: %w", g.local, err)
	}
	return repo, nil
}

// pinned reports whether rev names one commit rather than a branch or tag
// to follow: a hash (full or abbreviated) or a relative revision (HEAD~1).
func pinned(rev string) bool {
	if strings.ContainsAny(rev, "~^@{") {
		return true
	}
	if len(rev) < 4 || len(rev) > 40 {
		return false
	}
	return strings.Trim(strings.ToLower(rev), "0123456789abcdef") == ""
}

// headLocal resolves --ref (default HEAD, detached or not) in a local
// repository.
func (g *GitSource) headLocal(ctx context.Context) (*git.Repository, plumbing.Hash, error) {
	repo, err := g.repository()
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	rev := g.ref
	if rev == "" {
		rev = "HEAD"
	}
	h, err := g.resolve(ctx, repo, rev)
	return repo, h, err
}

// headPinned resolves a --ref that names one commit of a remote: from the
// cache when it has it, else after fetching every branch and tag.
func (g *GitSource) headPinned(ctx context.Context) (*git.Repository, plumbing.Hash, error) {
	repo, err := g.open()
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	if h, err := resolveIn(repo, g.ref); err == nil {
		return repo, h, nil
	}
	h, err := g.resolve(ctx, repo, g.ref)
	return repo, h, err
}

// At reads revision rev: whatever `git rev-parse` accepts (a branch, a
// tag, a remote-tracking ref such as origin/main, a full or abbreviated
// hash, HEAD, HEAD~1). A remote is fetched first. A local shallow checkout
// (CI's usual depth 1) that lacks rev fetches it from its origin by name.
func (g *GitSource) At(ctx context.Context, rev string) (Snapshot, error) {
	repo, err := g.repository()
	if err != nil {
		return Snapshot{}, err
	}
	h, err := g.resolve(ctx, repo, rev)
	if err != nil {
		return Snapshot{}, err
	}
	return g.snapshot(repo, h)
}

// resolve finds rev in repo, fetching what it lacks: every branch and tag
// of a remote, or rev by name from a local checkout's origin.
func (g *GitSource) resolve(ctx context.Context, repo *git.Repository, rev string) (plumbing.Hash, error) {
	if g.local == "" {
		err := repo.FetchContext(ctx, &git.FetchOptions{
			RemoteName: "origin",
			RefSpecs:   []config.RefSpec{"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"},
			Auth:       g.auth,
			Force:      true,
		})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return plumbing.ZeroHash, fmt.Errorf("fetch %s: %w", g.url, explainTransport(err, g.url))
		}
		if rest, ok := strings.CutPrefix(rev, "HEAD"); ok {
			// The remote's HEAD, not the cache's: its default branch.
			branch, err := g.remoteHead(ctx, repo)
			if err != nil {
				return plumbing.ZeroHash, err
			}
			rev = "refs/remotes/origin/" + branch + rest
		}
		if h, err := resolveIn(repo, rev); err == nil {
			return h, nil
		}
		if strings.HasPrefix(rev, "refs/") && !pinned(rev) {
			// A ref outside branches and tags, such as a pull request's
			// refs/pull/1/merge: fetch it by its full name.
			spec := config.RefSpec("+" + rev + ":" + rev)
			err := repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: g.auth, Force: true, Tags: git.NoTags})
			if err == nil || errors.Is(err, git.NoErrAlreadyUpToDate) {
				if h, err := resolveIn(repo, rev); err == nil {
					return h, nil
				}
			}
		}
		return plumbing.ZeroHash, fmt.Errorf("revision %q not found in %s (%w): give a branch, a tag, a full ref name, a commit hash or HEAD~N", rev, g.url, ErrRevisionNotFound)
	}
	if h, err := resolveIn(repo, rev); err == nil {
		return h, nil
	}
	fetchErr := g.fetchByName(ctx, repo, rev)
	if fetchErr == nil {
		if h, err := resolveIn(repo, rev); err == nil {
			return h, nil
		}
	}
	branch := branchName(rev)
	if branch == "" {
		branch = "<branch>"
	}
	return plumbing.ZeroHash, fmt.Errorf("revision %q not found in %s (%w), and fetching it from origin failed (%v); add a fetch before baton: git fetch --depth=1 origin %s:refs/remotes/origin/%s (with actions/checkout: fetch-depth: 0)",
		rev, g.local, ErrRevisionNotFound, fetchErr, branch, branch)
}

// resolveIn resolves rev as git rev-parse would, with the cache's
// branches (kept as refs/remotes/origin/*) found by their plain names.
func resolveIn(repo *git.Repository, rev string) (plumbing.Hash, error) {
	var firstErr error
	for _, cand := range []string{rev, "refs/remotes/origin/" + strings.TrimPrefix(rev, "origin/"), "refs/tags/" + rev} {
		h, err := repo.ResolveRevision(plumbing.Revision(cand))
		if err == nil {
			return *h, nil
		}
		if firstErr == nil {
			firstErr = err
		}
	}
	return plumbing.ZeroHash, firstErr
}

// branchName is the branch rev names on origin ("" for a hash or a
// relative revision, which cannot be fetched by name).
func branchName(rev string) string {
	if pinned(rev) || rev == "HEAD" {
		return ""
	}
	for _, p := range []string{"refs/remotes/origin/", "refs/heads/", "origin/"} {
		if after, ok := strings.CutPrefix(rev, p); ok {
			return after
		}
	}
	return rev
}

// fetchByName fetches branch rev from the origin of a local checkout into
// refs/remotes/origin/, as deep as the checkout is (depth 1 for a shallow
// one), as `git fetch --depth=1 origin main` would.
func (g *GitSource) fetchByName(ctx context.Context, repo *git.Repository, rev string) error {
	branch := branchName(rev)
	if branch == "" {
		return fmt.Errorf("%q names a commit, not a branch, so it cannot be fetched by name", rev)
	}
	remote, err := repo.Remote("origin")
	if err != nil {
		return fmt.Errorf("the checkout has no remote origin: %w", err)
	}
	urls := remote.Config().URLs
	if len(urls) == 0 {
		return errors.New("the remote origin has no URL")
	}
	originURL, user, password := splitCredentials(urls[0])
	auth, err := gitAuth(originURL, user, password, g.getenv)
	if err != nil {
		return err
	}
	opts := &git.FetchOptions{
		RemoteName: "origin",
		RefSpecs:   []config.RefSpec{config.RefSpec(fmt.Sprintf("+refs/heads/%s:refs/remotes/origin/%s", branch, branch))},
		Auth:       auth,
		Tags:       git.NoTags,
		Force:      true,
	}
	if shallow, err := repo.Storer.Shallow(); err == nil && len(shallow) > 0 {
		opts.Depth = 1 // a full fetch would deepen the whole checkout
	}
	if err := repo.FetchContext(ctx, opts); err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
		return explainTransport(err, originURL)
	}
	return nil
}

// remoteHead names the branch the remote's HEAD points at.
func (g *GitSource) remoteHead(ctx context.Context, repo *git.Repository) (string, error) {
	remote, err := repo.Remote("origin")
	if err != nil {
		return "", fmt.Errorf("Git cache %s: %w", g.cacheDir, err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: g.auth})
	if err != nil {
		return "", fmt.Errorf("list refs of %s: %w", g.url, explainTransport(err, g.url))
	}
	name, _, err := (&GitSource{url: g.url}).pick(refs)
	if err != nil {
		return "", err
	}
	if !name.IsBranch() {
		return "", fmt.Errorf("the HEAD of %s is not a branch; name the revision", g.url)
	}
	return name.Short(), nil
}
