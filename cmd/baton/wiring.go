package main

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/notify"
	"github.com/baton-dev/baton/reconciler"
	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
	"github.com/baton-dev/baton/token"
)

// openStore opens the existing state named by --state. Only apply,
// reconcile and watch create a state (createStore): a typo in --state must
// not read as an empty project, nor leave a new file behind.
func (g *globals) openStore(ctx context.Context) (state.Store, error) {
	if err := g.stateExists(); err != nil {
		return nil, &exitError{code: exitFailure, err: err}
	}
	return g.createStore(ctx)
}

// stateExists says whether --state names an existing state file.
func (g *globals) stateExists() error {
	if g.stateIsURL() {
		return nil // a database server says so when it is opened
	}
	if _, err := os.Stat(g.state); errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("no state at %s; run `baton apply` first or check --state", g.state)
	} else if err != nil {
		return fmt.Errorf("state %s: %w", g.state, err)
	}
	return nil
}

// withStore runs fn with the state open: the shape of every command that
// only reads or records something.
func (g *globals) withStore(ctx context.Context, fn func(state.Store) error) error {
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer closeStore(st)
	return fn(st)
}

// closeStore closes the state at the end of a command. Every write was
// committed before, so a failure to close loses nothing.
func closeStore(st state.Store) { _ = st.Close() }

// openSource opens --source; Git clones are cached in the data directory.
func (g *globals) openSource() (reconciler.Source, error) {
	return g.openSourceAt(g.source)
}

func (g *globals) openSourceAt(location string) (reconciler.Source, error) {
	return reconciler.Open(reconciler.Options{
		Location: location,
		Ref:      g.ref,
		Path:     g.path,
		CacheDir: filepath.Join(g.dataDir(), "git"),
		Getenv:   os.Getenv,
	})
}

// newReconciler opens the state and the source together.
func (g *globals) newReconciler(ctx context.Context) (*reconciler.Reconciler, func(), error) {
	src, err := g.openSource()
	if err != nil {
		return nil, nil, err
	}
	st, err := g.createStore(ctx)
	if err != nil {
		return nil, nil, err
	}
	return &reconciler.Reconciler{Source: src, Store: st, Clock: clock.Real()}, func() { st.Close() }, nil
}

// newPlanReconciler is newReconciler for plan, which changes nothing: with
// no state yet it plans against an empty one in a temporary directory.
func (g *globals) newPlanReconciler(ctx context.Context) (*reconciler.Reconciler, func(), error) {
	if g.stateExists() == nil {
		return g.newReconciler(ctx)
	}
	src, err := g.openSource()
	if err != nil {
		return nil, nil, err
	}
	dir, err := os.MkdirTemp("", "baton-plan-")
	if err != nil {
		return nil, nil, fmt.Errorf("plan against an empty state: %w", err)
	}
	st, err := sqlite.Open(ctx, filepath.Join(dir, "state.db"))
	if err != nil {
		os.RemoveAll(dir)
		return nil, nil, err
	}
	return &reconciler.Reconciler{Source: src, Store: st, Clock: clock.Real()}, func() { st.Close(); os.RemoveAll(dir) }, nil
}

// jobsDir holds the job data dirs and logs.
func (g *globals) jobsDir() string { return filepath.Join(g.dataDir(), "jobs") }

// newExecutor wires an executor to the state. Task argv elements starting
// with "./" resolve against the source root of the job's revision: src when
// given, else the source recorded with the applied revision.
func (g *globals) newExecutor(st state.Store, src reconciler.Source) *executor.Executor {
	return g.newExecutorWith(st, src, g.logger(), nil)
}

func (g *globals) newExecutorWith(st state.Store, src reconciler.Source, logger *slog.Logger, onTables func()) *executor.Executor {
	var once sync.Once
	var openErr error
	sourceDir := func(ctx context.Context, revision string) (string, error) {
		once.Do(func() {
			if src != nil {
				return
			}
			cur, err := st.CurrentRevision(ctx)
			if err != nil {
				openErr = fmt.Errorf("read applied revision: %w", err)
				return
			}
			src, openErr = g.openSourceAt(cur.Source)
		})
		if openErr != nil {
			return "", openErr
		}
		return src.Root(ctx, revision)
	}
	tokens, err := g.tokens(st)
	if err != nil {
		logger.Error("orchestration tokens are unavailable; tasks run without BATON_TOKEN", "error", err)
	}
	var secrets func(ctx context.Context, orchestrations []string) (map[string]string, error)
	if tokens != nil {
		secrets = tokens.OrchestrationSecrets
	}
	return executor.New(executor.Config{
		Tokens:          secrets,
		APIURL:          g.apiURL,
		Store:           st,
		Clock:           clock.Real(),
		Runner:          executor.OSRunner{},
		JobsDir:         g.jobsDir(),
		SourceDir:       sourceDir,
		Logger:          logger,
		OnTablesUpdated: onTables,
		Slots:           g.slots,
		Observer:        g.observer,
		Cluster:         g.cluster,
	})
}

// logger writes warnings and errors of background work to stderr.
func (g *globals) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: slog.LevelWarn, ReplaceAttr: redact.Attr}))
}

// tokens opens the token service of the state; the key of orchestration
// tokens comes from BATON_TOKEN_KEY or a key file in the data directory.
func (g *globals) tokens(st state.Store) (*token.Service, error) {
	if err := os.MkdirAll(g.dataDir(), 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	key, err := token.LoadKey(os.Getenv, g.keyPath())
	if err != nil {
		return nil, err
	}
	return &token.Service{Store: st, Clock: clock.Real(), Key: key}, nil
}

// ensureTokens creates the token of every applied orchestration that has
// none.
func (g *globals) ensureTokens(ctx context.Context, st state.Store) error {
	names, err := state.AppliedNames(ctx, st, spec.KindOrchestration)
	if err != nil {
		return err
	}
	return g.ensureTokensOf(ctx, st, names)
}

// ensureTokensOf creates the tokens of the named orchestrations that have
// none: after an apply, those of the plan just applied, without reading
// every applied object back.
func (g *globals) ensureTokensOf(ctx context.Context, st state.Store, orchestrations []string) error {
	tokens, err := g.tokens(st)
	if err != nil {
		return err
	}
	return tokens.EnsureOrchestrationTokens(ctx, orchestrations)
}

// notifier delivers the state's notification outbox; the SMTP server comes
// from BATON_SMTP_URL.
func (g *globals) notifier(st state.Store, logger *slog.Logger) *notify.Worker {
	return &notify.Worker{Store: st, Clock: clock.Real(), SMTPURL: os.Getenv("BATON_SMTP_URL"), PublicURL: g.publicURL, Logger: logger}
}
