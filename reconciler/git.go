package reconciler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"

	"github.com/go-git/go-billy/v5"
	"github.com/go-git/go-billy/v5/osfs"
	git "github.com/go-git/go-git/v5"
	"github.com/go-git/go-git/v5/config"
	"github.com/go-git/go-git/v5/plumbing"
	"github.com/go-git/go-git/v5/plumbing/cache"
	"github.com/go-git/go-git/v5/plumbing/filemode"
	"github.com/go-git/go-git/v5/plumbing/object"
	"github.com/go-git/go-git/v5/plumbing/storer"
	"github.com/go-git/go-git/v5/plumbing/transport"
	"github.com/go-git/go-git/v5/plumbing/transport/client"
	"github.com/go-git/go-git/v5/plumbing/transport/server"
	"github.com/go-git/go-git/v5/storage/filesystem"

	"github.com/baton-dev/baton/hcl"
)

// ErrRefNotFound means the branch or tag is not on the remote (deleted or
// renamed).
var ErrRefNotFound = errors.New("ref not found on the remote")

// installFileTransport serves file:// and local paths in process, so that no
// git binary is needed. go-git keeps transports in a process-wide table, so
// this is done once.
var installFileTransport = sync.OnceFunc(func() {
	client.InstallProtocol("file", server.NewServer(workTreeLoader{}))
})

// workTreeLoader opens local repositories for the in-process file transport:
// bare ones as they are, work trees through their .git directory.
type workTreeLoader struct{}

func (workTreeLoader) Load(ep *transport.Endpoint) (storer.Storer, error) {
	fs := osfs.New(ep.Path)
	if _, err := fs.Stat("config"); err != nil {
		if _, err := fs.Stat(git.GitDirName); err != nil {
			return nil, transport.ErrRepositoryNotFound
		}
		var cerr error
		if fs, cerr = fs.Chroot(git.GitDirName); cerr != nil {
			return nil, cerr
		}
	}
	return filesystem.NewStorage(fs, cache.NewObjectLRUDefault()), nil
}

// GitSource reads a Git repository through a bare clone in a cache
// directory: cloned once, then fetched.
type GitSource struct {
	url string
	// local is set when the source is a repository on this machine (a CI
	// checkout, say): revisions are read from it directly, so that its
	// detached HEAD, remote-tracking refs and shallow history count as
	// `git rev-parse` sees them.
	local    string
	ref      string
	subdir   string
	cacheDir string
	auth     transport.AuthMethod
	getenv   func(string) string
	// fetchMu keeps the tasks that need a commit not fetched yet from
	// fetching side by side.
	fetchMu sync.Mutex
}

func newGitSource(opts Options) (*GitSource, error) {
	installFileTransport()
	url, local := opts.Location, ""
	url, urlUser, urlPassword := splitCredentials(url)
	if !isGitURL(url) {
		abs, err := filepath.Abs(url)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", url, err)
		}
		url, local = abs, abs
	}
	if opts.CacheDir == "" {
		return nil, errors.New("a Git source needs a cache directory")
	}
	auth, err := gitAuth(url, urlUser, urlPassword, opts.Getenv)
	if err != nil {
		return nil, err
	}
	sum := sha256.Sum256([]byte(url))
	return &GitSource{
		url:      url,
		local:    local,
		getenv:   opts.Getenv,
		ref:      opts.Ref,
		subdir:   strings.Trim(path.Clean("/"+filepath.ToSlash(opts.Path)), "/"),
		cacheDir: filepath.Join(opts.CacheDir, hex.EncodeToString(sum[:8])),
		auth:     auth,
	}, nil
}

func (g *GitSource) String() string {
	s := g.url
	if g.ref != "" {
		s += "@" + g.ref
	}
	if g.subdir != "" {
		s += "//" + g.subdir
	}
	return s
}

// open returns the cached bare clone, creating it on first use.
func (g *GitSource) open() (*git.Repository, error) {
	repo, err := git.PlainOpen(g.cacheDir)
	if err == nil {
		return repo, nil
	}
	if !errors.Is(err, git.ErrRepositoryNotExists) {
		return nil, fmt.Errorf("open Git cache %s: %w; delete the directory to clone again", g.cacheDir, err)
	}
	repo, err = git.PlainInit(g.cacheDir, true)
	if err != nil {
		return nil, fmt.Errorf("create Git cache %s: %w", g.cacheDir, err)
	}
	if _, err := repo.CreateRemote(&config.RemoteConfig{Name: "origin", URLs: []string{g.url}}); err != nil {
		return nil, fmt.Errorf("create Git cache %s: %w", g.cacheDir, err)
	}
	return repo, nil
}

// Fetch asks the remote where the ref points, fetches only when that commit
// is not in the cache yet, and reads the files of that commit.
func (g *GitSource) Fetch(ctx context.Context) (Snapshot, error) {
	repo, hash, err := g.head(ctx)
	if err != nil {
		return Snapshot{}, err
	}
	return g.snapshot(repo, hash)
}

// Head is Fetch without reading the files: enough to see that nothing
// changed.
func (g *GitSource) Head(ctx context.Context) (Revision, error) {
	repo, hash, err := g.head(ctx)
	if err != nil {
		return Revision{}, err
	}
	commit, err := repo.CommitObject(hash)
	if err != nil {
		return Revision{}, fmt.Errorf("read commit %s of %s: %w", hash, g.url, err)
	}
	return commitRevision(commit), nil
}

func (g *GitSource) head(ctx context.Context) (*git.Repository, plumbing.Hash, error) {
	if g.local != "" {
		return g.headLocal(ctx)
	}
	if pinned(g.ref) {
		return g.headPinned(ctx)
	}
	repo, err := g.open()
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	remote, err := repo.Remote("origin")
	if err != nil {
		return nil, plumbing.ZeroHash, fmt.Errorf("Git cache %s: %w", g.cacheDir, err)
	}
	refs, err := remote.ListContext(ctx, &git.ListOptions{Auth: g.auth})
	if err != nil {
		return nil, plumbing.ZeroHash, fmt.Errorf("list refs of %s: %w", g.url, explainTransport(err, g.url))
	}
	name, hash, err := g.pick(refs)
	if err != nil {
		return nil, plumbing.ZeroHash, err
	}
	if _, err := repo.CommitObject(hash); err != nil {
		spec := config.RefSpec(fmt.Sprintf("+%s:refs/remotes/origin/%s", name, name.Short()))
		err := repo.FetchContext(ctx, &git.FetchOptions{RemoteName: "origin", RefSpecs: []config.RefSpec{spec}, Auth: g.auth, Force: true, Tags: git.NoTags})
		if err != nil && !errors.Is(err, git.NoErrAlreadyUpToDate) {
			return nil, plumbing.ZeroHash, fmt.Errorf("fetch %s from %s: %w", name.Short(), g.url, explainTransport(err, g.url))
		}
	}
	return repo, hash, nil
}

func commitRevision(c *object.Commit) Revision {
	return Revision{
		Ref:         c.Hash.String(),
		Author:      fmt.Sprintf("%s <%s>", c.Author.Name, c.Author.Email),
		Message:     strings.TrimSpace(c.Message),
		CommittedAt: c.Committer.When.UTC(),
	}
}

// pick finds the commit of the configured ref among the remote's refs.
func (g *GitSource) pick(refs []*plumbing.Reference) (plumbing.ReferenceName, plumbing.Hash, error) {
	byName := make(map[plumbing.ReferenceName]*plumbing.Reference, len(refs))
	for _, r := range refs {
		byName[r.Name()] = r
	}
	resolve := func(n plumbing.ReferenceName) (plumbing.ReferenceName, plumbing.Hash, bool) {
		for range 5 {
			r, ok := byName[n]
			if !ok {
				return "", plumbing.ZeroHash, false
			}
			if r.Type() == plumbing.HashReference {
				return n, r.Hash(), true
			}
			n = r.Target()
		}
		return "", plumbing.ZeroHash, false
	}
	if g.ref == "" {
		if n, h, ok := resolve(plumbing.HEAD); ok {
			if n == plumbing.HEAD {
				// The remote did not say which branch HEAD is; name the one it matches.
				n = headBranch(refs, h)
			}
			return n, h, nil
		}
		if len(refs) == 0 {
			return "", plumbing.ZeroHash, fmt.Errorf("%s is empty: push a commit with the HCL files first", g.url)
		}
		return "", plumbing.ZeroHash, fmt.Errorf("%s has no HEAD; pass --ref with a branch or tag", g.url)
	}
	for _, n := range []plumbing.ReferenceName{plumbing.ReferenceName(g.ref), plumbing.NewBranchReferenceName(g.ref), plumbing.NewTagReferenceName(g.ref)} {
		if name, h, ok := resolve(n); ok {
			if name.IsTag() {
				// Annotated tags point at a tag object; the peeled commit is advertised as name^{}.
				if peeled, ok := byName[plumbing.ReferenceName(string(name)+"^{}")]; ok {
					h = peeled.Hash()
				}
			}
			return name, h, nil
		}
	}
	return "", plumbing.ZeroHash, fmt.Errorf("branch or tag %q not found on %s (%w): it was deleted or renamed; the last applied revision stays in force — restore the branch or pass --ref with an existing one", g.ref, g.url, ErrRefNotFound)
}

func headBranch(refs []*plumbing.Reference, h plumbing.Hash) plumbing.ReferenceName {
	var names []string
	for _, r := range refs {
		if r.Name().IsBranch() && r.Hash() == h {
			names = append(names, string(r.Name()))
		}
	}
	sort.Strings(names)
	for _, pref := range []string{"refs/heads/main", "refs/heads/master"} {
		for _, n := range names {
			if n == pref {
				return plumbing.ReferenceName(n)
			}
		}
	}
	if len(names) > 0 {
		return plumbing.ReferenceName(names[0])
	}
	return plumbing.HEAD
}

// Descends reports whether commit ref is ancestor itself or a descendant of
// it: false means the branch was rewritten (force-pushed) past ancestor.
func (g *GitSource) Descends(ctx context.Context, ancestor, ref string) (bool, error) {
	repo, err := g.repository()
	if err != nil {
		return false, err
	}
	if ancestor == ref {
		return true, nil
	}
	old, err := repo.CommitObject(plumbing.NewHash(ancestor))
	if err != nil {
		// The cache never saw the old commit (a new cache or another
		// source): nothing says the history was rewritten.
		return true, nil
	}
	cur, err := repo.CommitObject(plumbing.NewHash(ref))
	if err != nil {
		return false, fmt.Errorf("read commit %s: %w", ref, err)
	}
	return old.IsAncestor(cur)
}

func (g *GitSource) snapshot(repo *git.Repository, hash plumbing.Hash) (Snapshot, error) {
	commit, err := repo.CommitObject(hash)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read commit %s of %s: %w", hash, g.url, err)
	}
	tree, err := g.tree(commit)
	if err != nil {
		return Snapshot{}, err
	}
	var files []hcl.File
	total := 0
	err = tree.Files().ForEach(func(f *object.File) error {
		if !strings.HasSuffix(f.Name, ".hcl") || hiddenPath(f.Name) {
			return nil
		}
		if total > hcl.MaxSourceSize {
			// hcl.Parse refuses the revision without reading more.
			files = append(files, hcl.File{Name: f.Name})
			return nil
		}
		src, err := readBlob(f)
		if err != nil {
			return fmt.Errorf("read %s: %w", f.Name, err)
		}
		total += len(src)
		files = append(files, hcl.File{Name: f.Name, Src: src})
		return nil
	})
	if err != nil {
		return Snapshot{}, fmt.Errorf("read commit %s: %w", hash.String()[:12], err)
	}
	if len(files) == 0 {
		where := "the repository root"
		if g.subdir != "" {
			where = g.subdir
		}
		return Snapshot{}, fmt.Errorf("commit %s of %s, %s: %w; check --path", hash.String()[:12], g.url, where, ErrNoFiles)
	}
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return Snapshot{Revision: commitRevision(commit), Files: files}, nil
}

// readBlob reads no more of a file than hcl's limits need: a huge blob
// committed by mistake or malice is refused, not held in memory.
func readBlob(f *object.File) ([]byte, error) {
	r, err := f.Reader()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return hcl.ReadFile(r)
}

func (g *GitSource) tree(commit *object.Commit) (*object.Tree, error) {
	tree, err := commit.Tree()
	if err != nil {
		return nil, fmt.Errorf("read tree of %s: %w", commit.Hash, err)
	}
	if g.subdir == "" {
		return tree, nil
	}
	sub, err := tree.Tree(g.subdir)
	if err != nil {
		return nil, fmt.Errorf("commit %s has no directory %q (%w); check --path", commit.Hash.String()[:12], g.subdir, ErrNoFiles)
	}
	return sub, nil
}

// Root materializes the files of commit ref below the cache, once per
// commit, and returns that directory.
func (g *GitSource) Root(ctx context.Context, ref string) (string, error) {
	dir := filepath.Join(g.cacheDir+".checkouts", ref)
	if _, err := os.Stat(dir); err == nil {
		return dir, nil
	}
	repo, err := g.repository()
	if err != nil {
		return "", err
	}
	commit, err := repo.CommitObject(plumbing.NewHash(ref))
	if err != nil && g.local == "" {
		// A node that never fetched (one that stood by while another
		// applied the revision, and now runs a task of it) fetches the
		// followed ref, which holds the commit.
		g.fetchMu.Lock()
		repo, _, err = g.head(ctx)
		g.fetchMu.Unlock()
		if err == nil {
			commit, err = repo.CommitObject(plumbing.NewHash(ref))
		}
	}
	if err != nil {
		return "", fmt.Errorf("read commit %s: %w", ref, err)
	}
	tree, err := g.tree(commit)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o700); err != nil {
		return "", fmt.Errorf("materialize %s: %w", ref, err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), ".checkout-*")
	if err != nil {
		return "", fmt.Errorf("materialize %s: %w", ref, err)
	}
	defer os.RemoveAll(tmp)
	err = tree.Files().ForEach(func(f *object.File) error { return writeTreeFile(osfs.New(tmp), f) })
	if err != nil {
		return "", fmt.Errorf("materialize %s: %w", ref, err)
	}
	if err := os.Rename(tmp, dir); err != nil && !os.IsExist(err) {
		if _, statErr := os.Stat(dir); statErr != nil {
			return "", fmt.Errorf("materialize %s: %w", ref, err)
		}
	}
	return dir, nil
}

func writeTreeFile(fs billy.Filesystem, f *object.File) error {
	mode := os.FileMode(0o644)
	if f.Mode == filemode.Executable {
		mode = 0o755
	}
	if f.Mode == filemode.Symlink || f.Mode == filemode.Submodule {
		return nil // links could point outside the checkout
	}
	r, err := f.Reader()
	if err != nil {
		return err
	}
	defer r.Close()
	if err := fs.MkdirAll(path.Dir(f.Name), 0o755); err != nil {
		return err
	}
	w, err := fs.OpenFile(f.Name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode)
	if err != nil {
		return err
	}
	if _, err := io.Copy(w, r); err != nil {
		w.Close()
		return err
	}
	return w.Close()
}

func hiddenPath(name string) bool {
	for _, part := range strings.Split(name, "/") {
		if strings.HasPrefix(part, ".") {
			return true
		}
	}
	return false
}
