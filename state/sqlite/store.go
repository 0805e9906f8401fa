// Package sqlite is the state backend in one SQLite file: applied revisions
// and their objects, jobs, table updates, schedule fires, tokens and the
// notification outbox. It owns every SQLite statement of baton. One
// connection writes (so one process writes at a time, in immediate
// transactions); readers use their own pool and, thanks to WAL, never wait
// for a writer. The executor lease is an flock on a file beside the state,
// and wake-ups are writes to another file there.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	_ "github.com/mattn/go-sqlite3" // the database/sql driver "sqlite3"

	"github.com/baton-dev/baton/clock"
)

// Store is an open state file.
type Store struct {
	// lockPath and wakePath are the executor lease and wake-up files.
	lockPath, wakePath string
	path               string
	w                  *sql.DB // the one writer connection
	r                  *sql.DB // readers
	// updateJob is the prepared statement of every job transition.
	updateJob *sql.Stmt
	// ckpt checkpoints the write-ahead log in the background.
	ckpt *checkpointer
	// open holds how to stop the wake-up watches not stopped yet (by
	// number, watchN the last), and watches counts those not closed yet.
	watchMu sync.Mutex
	watchN  int
	open    map[int]func()
	watches sync.WaitGroup
}

// Open opens (creating if needed) the state file at path and migrates its
// schema to the version this baton knows.
func Open(ctx context.Context, path string) (*Store, error) {
	if path == "" {
		return nil, errors.New("no state file given; pass --state PATH or set BATON_STATE")
	}
	if strings.ContainsAny(path, "?#") {
		return nil, fmt.Errorf("state path %q: the characters ? and # are not supported", path)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	if err := privateFiles(path); err != nil {
		return nil, err
	}
	const common = "_busy_timeout=10000&_foreign_keys=on"
	w := openWriter("file:" + path + "?" + common + "&_journal_mode=WAL&_synchronous=NORMAL&_txlock=immediate")
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	w.SetConnMaxIdleTime(0)
	s := &Store{path: path, w: w, lockPath: path + ".lock", wakePath: path + ".wake", open: map[int]func(){}}
	if err := s.migrate(ctx, len(migrations)); err != nil {
		w.Close()
		return nil, explainOpen(path, err)
	}
	var err error
	if s.updateJob, err = w.PrepareContext(ctx, updateJobSQL); err != nil {
		w.Close()
		return nil, fmt.Errorf("open state %s: %w", path, err)
	}
	r, err := sql.Open("sqlite3", "file:"+path+"?"+common+"&mode=ro&_synchronous=NORMAL")
	if err != nil {
		s.updateJob.Close()
		w.Close()
		return nil, fmt.Errorf("open state %s for reading: %w", path, err)
	}
	r.SetMaxOpenConns(4)
	s.r = r
	ckpt, err := sql.Open("sqlite3", "file:"+path+"?"+common)
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("open state %s for checkpoints: %w", path, err)
	}
	ckpt.SetMaxOpenConns(1)
	s.ckpt = newCheckpointer(ckpt, clock.Real())
	go s.ckpt.run()
	return s, nil
}

// Close closes the pools.
func (s *Store) Close() error {
	// Watches close while the pools do (and the last one checkpoints).
	s.stopWatches()
	var ckpt error
	if s.ckpt != nil {
		ckpt = s.ckpt.close()
	}
	err := errors.Join(ckpt, s.updateJob.Close(), s.r.Close(), s.w.Close())
	s.watches.Wait()
	return err
}

// tx runs fn in one immediate write transaction.
func (s *Store) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := s.w.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("begin write: %w", err)
	}
	if err := fn(tx); err != nil {
		_ = tx.Rollback()
		return err
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("commit: %w", err)
	}
	if s.ckpt != nil {
		s.ckpt.wrote()
	}
	return nil
}

// sqlLimit is the LIMIT argument for a caller's limit: SQLite reads a
// negative LIMIT as none, which is what a limit of 0 or less asks for.
func sqlLimit(n int) int {
	if n <= 0 {
		return -1
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

func fromDB(n sql.NullInt64) time.Time {
	if !n.Valid {
		return time.Time{}
	}
	return time.Unix(0, n.Int64).UTC()
}
