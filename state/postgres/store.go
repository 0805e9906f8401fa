// Package postgres is the state backend in a PostgreSQL database, for
// several baton processes (on one machine or many) that share one project.
// It owns every PostgreSQL statement of baton. Transactions that read
// before they write take one advisory lock, so they see and change the
// state one at a time exactly as with SQLite's single writer; the executor
// lease is a session advisory lock held on a connection of its own, and
// wake-ups travel with LISTEN/NOTIFY.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/baton-dev/baton/state"
)

var _ state.Store = (*Store)(nil)

// Advisory lock keys. They are constants of baton's, so another
// application sharing the database is unlikely to use them.
const (
	writeLockKey    int64 = 0x626174_6f6e_01 // one read-then-write transaction at a time
	executorLockKey int64 = 0x626174_6f6e_02 // the executor lease
	migrateLockKey  int64 = 0x626174_6f6e_03 // one migration at a time
)

// wakeChannel is the LISTEN/NOTIFY channel of wake-ups.
const wakeChannel = "baton_wake"

// Store is an open PostgreSQL state.
type Store struct {
	pool *pgxpool.Pool
	// where names the database without its password, for messages.
	where string
}

// IsURL reports whether a --state value names a PostgreSQL database.
func IsURL(s string) bool {
	return strings.HasPrefix(s, "postgres://") || strings.HasPrefix(s, "postgresql://")
}

// Open connects to the database at dsn (a postgres:// URL) and migrates its
// schema to the version this baton knows.
func Open(ctx context.Context, dsn string) (*Store, error) {
	where := redactedDSN(dsn)
	cfg, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("not a valid PostgreSQL URL (postgres://user:password@host:port/database): %w", errors.Unwrap(err))
	}
	if cfg.MaxConns < 8 {
		cfg.MaxConns = 8
	}
	cfg.ConnConfig.ConnectTimeout = 10 * time.Second
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, err
	}
	s := &Store{pool: pool, where: where}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("cannot connect (is the server running and the URL right?): %w", err)
	}
	if err := s.migrate(ctx); err != nil {
		pool.Close()
		return nil, err
	}
	return s, nil
}

// Close closes the pool.
func (s *Store) Close() error {
	s.pool.Close()
	return nil
}

// tx runs fn in one transaction that holds the write lock, so that what fn
// reads stays true until it commits.
func (s *Store) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	tx, err := s.pool.Begin(ctx)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck // a no-op after Commit
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock($1)", writeLockKey); err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	return nil
}

// limitArg is the LIMIT argument for a caller's limit: NULL is no limit,
// which is what a limit of 0 or less asks for.
func limitArg(n int) any {
	if n <= 0 {
		return nil
	}
	return n
}

// Times are stored as Unix nanoseconds; the zero time as NULL.
func toDB(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

func fromDB(n *int64) time.Time {
	if n == nil {
		return time.Time{}
	}
	return time.Unix(0, *n).UTC()
}

// redactedDSN drops the password from a URL, for messages and logs.
func redactedDSN(dsn string) string {
	u, err := url.Parse(dsn)
	if err != nil || u.User == nil {
		if err != nil {
			return "postgres://…"
		}
		return u.Redacted()
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "xxxxx")
	}
	return u.Redacted()
}
