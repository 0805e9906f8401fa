package reconciler

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/baton-dev/baton/hcl"
)

// Revision identifies one version of the source.
type Revision struct {
	// Ref is the commit hash for Git sources and a content hash of the files
	// for a directory.
	Ref         string    `json:"ref"`
	Author      string    `json:"author,omitempty"`
	Message     string    `json:"message,omitempty"`
	CommittedAt time.Time `json:"committed_at,omitzero"`
}

// Snapshot is the HCL files of one revision.
type Snapshot struct {
	Revision Revision
	Files    []hcl.File
}

// Source yields the desired state: a directory or a Git repository.
type Source interface {
	// String names the source in messages and in the state.
	String() string
	// Fetch brings the source up to date and returns its current revision.
	Fetch(ctx context.Context) (Snapshot, error)
	// Root returns a directory holding all files of the revision ref, for
	// the tasks' "./" paths. It may materialize the revision first.
	Root(ctx context.Context, ref string) (string, error)
}

// History is a source that can read past revisions (Git), for plans between
// two revisions in pull-request review.
type History interface {
	Source
	// At returns the files of a revision: a commit hash, branch or tag.
	At(ctx context.Context, rev string) (Snapshot, error)
}

// ErrNoFiles means the source holds no HCL files: applying it would delete
// everything, which is never what an empty or misconfigured path means.
var ErrNoFiles = errors.New("no *.hcl files found")

// Options say where a source is and how to reach it.
type Options struct {
	// Location is a directory, a path to a Git repository, or a Git URL.
	Location string
	// Ref is the revision of a Git source: a branch or tag to follow, or a
	// commit to pin (anything git rev-parse accepts); empty means HEAD.
	Ref string
	// Path is the subdirectory of a Git repository that holds the files.
	Path string
	// CacheDir holds the clones of Git sources and the records of
	// directory sources that let Head skip reading unchanged files.
	CacheDir string
	// Getenv reads credentials (BATON_GIT_TOKEN, BATON_GIT_SSH_KEY).
	Getenv func(string) string
}

// Open returns the source at opts.Location: a Git source for URLs and for
// paths of Git repositories, a directory source for any other directory.
func Open(opts Options) (Source, error) {
	loc := opts.Location
	if loc == "" {
		return nil, errors.New("no source given; pass --source DIR|GIT-URL or set BATON_SOURCE")
	}
	if opts.Getenv == nil {
		opts.Getenv = os.Getenv
	}
	if isGitURL(loc) || isGitRepo(loc) {
		return newGitSource(opts)
	}
	if opts.Ref != "" {
		return nil, fmt.Errorf("--ref %q needs a Git source, but %s is a plain directory", opts.Ref, loc)
	}
	dir := loc
	if opts.Path != "" {
		dir = filepath.Join(dir, opts.Path)
	}
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	if !info.IsDir() {
		return nil, fmt.Errorf("source %s is not a directory or a Git repository", dir)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", dir, err)
	}
	return &DirSource{Dir: abs, Cache: stampPath(opts.CacheDir, abs)}, nil
}

func isGitURL(s string) bool {
	for _, p := range []string{"file://", "https://", "http://", "ssh://", "git://"} {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return isSCPLike(s)
}

// isGitRepo reports whether dir is a work tree with .git or a bare repository.
func isGitRepo(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, ".git")); err == nil {
		return true
	}
	_, errHead := os.Stat(filepath.Join(dir, "HEAD"))
	_, errObjects := os.Stat(filepath.Join(dir, "objects"))
	return errHead == nil && errObjects == nil
}

// DirSource reads a local directory as it is, for development. Its revision
// is a hash of the files' names and contents.
type DirSource struct {
	Dir string
	// Cache is the file that records the stat hash and content hash of
	// the last Head, so that an unchanged directory is recognised
	// without reading its files. Empty means no record.
	Cache string
}

func (d *DirSource) String() string { return d.Dir }

// Fetch reads every *.hcl file below the directory.
func (d *DirSource) Fetch(ctx context.Context) (Snapshot, error) {
	files, err := hcl.LoadDir(d.Dir)
	if err != nil {
		return Snapshot{}, fmt.Errorf("read source %s: %w", d.Dir, err)
	}
	if len(files) == 0 {
		return Snapshot{}, fmt.Errorf("source %s: %w", d.Dir, ErrNoFiles)
	}
	return Snapshot{Revision: Revision{Ref: ContentHash(files), Message: "directory " + d.Dir}, Files: files}, nil
}

// Root is the directory itself: a directory source has no history.
func (d *DirSource) Root(ctx context.Context, ref string) (string, error) { return d.Dir, nil }

// ContentHash identifies a set of files by their names and contents.
func ContentHash(files []hcl.File) string {
	h := sha256.New()
	for _, f := range files {
		fmt.Fprintf(h, "%s\x00%d\x00", f.Name, len(f.Src))
		h.Write(f.Src)
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))[:16]
}
