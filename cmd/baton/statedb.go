package main

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"

	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/sqlite"
)

// stateIsURL reports whether --state names a database server rather than
// a file.
func (g *globals) stateIsURL() bool { return strings.Contains(g.state, "://") }

// createStore opens the state database named by --state, creating it if
// needed: a SQLite file path, or a database URL. This is the one place a
// backend is chosen.
func (g *globals) createStore(ctx context.Context) (state.Store, error) {
	var st state.Store
	var err error
	switch {
	case postgres.IsURL(g.state):
		st, err = postgres.Open(ctx, g.state)
	case g.stateIsURL():
		err = errors.New("unknown database URL scheme; pass a file path or a postgres:// URL")
	default:
		st, err = sqlite.Open(ctx, g.state)
	}
	if err != nil {
		return nil, fmt.Errorf("open state %s: %w", g.stateName(), err)
	}
	return st, nil
}

// stateName is --state as it may be shown: without a URL's password.
func (g *globals) stateName() string { return redact.URL(g.state) }

// readsStateOnly annotates the commands that only read the state (and the
// log files its jobs name): they need no data dir, so baton nodes or jobs
// logs work on any machine with just the database URL.
const readsStateOnly = "baton/reads-state-only"

var readsStateOnlyAnnotation = map[string]string{readsStateOnly: "true"}

// checkDataDir refuses a database URL without --data-dir: there is no file
// to put the data directory beside.
func (g *globals) checkDataDir() error {
	if g.dataDirFlag == "" && g.stateIsURL() {
		return fmt.Errorf("--state %s is a database URL: pass --data-dir (or set BATON_DATA) for job data, logs, the Git cache and the token key", g.stateName())
	}
	return nil
}

// dataDir holds job data dirs and logs, the Git cache and the token key
// file: --data-dir, by default the directory of a file state. It is
// absolute, because tasks get their data dir in BATON_DATA_DIR while they
// run in it.
func (g *globals) dataDir() string {
	dir := g.dataDirFlag
	if dir == "" {
		dir = filepath.Dir(g.state)
	}
	if abs, err := filepath.Abs(dir); err == nil {
		return abs
	}
	return dir
}

// keyPath is the file of the orchestration token key: named after a file
// state (state.db.key beside state.db by default), else baton.key.
func (g *globals) keyPath() string {
	name := "baton"
	if !g.stateIsURL() {
		name = filepath.Base(g.state)
	}
	return filepath.Join(g.dataDir(), name+".key")
}
