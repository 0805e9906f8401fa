package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"github.com/baton-dev/baton/state"
)

//go:embed migrations/*.sql
var migrationFiles embed.FS

// migrations are the schema versions in order (see state.Migrations).
var migrations = state.Migrations(migrationFiles, "migrations")

// SchemaVersion is the schema version of the state file.
func (s *Store) SchemaVersion(ctx context.Context) (int, error) {
	var v int
	if err := s.w.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
		return 0, fmt.Errorf("read schema version: %w", err)
	}
	return v, nil
}

// migrate brings the schema to version target, each step in its own
// immediate transaction. The version is read first without a lock, so a
// process opening an up-to-date file (the CLI beside a watcher) does not
// wait for the writer; it is read again inside the transaction, so two
// processes opening a new file at once do not both migrate it.
func (s *Store) migrate(ctx context.Context, target int) error {
	v, err := s.SchemaVersion(ctx)
	if err != nil {
		return fmt.Errorf("state %s: %w", s.path, err)
	}
	if v > len(migrations) {
		return newerSchema(s.path, v)
	}
	if v >= target {
		return nil
	}
	for {
		done := false
		err := s.tx(ctx, func(tx *sql.Tx) error {
			var v int
			if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&v); err != nil {
				return fmt.Errorf("read schema version: %w", err)
			}
			if v > len(migrations) {
				return newerSchema(s.path, v)
			}
			if v >= target {
				done = true
				return nil
			}
			if _, err := tx.ExecContext(ctx, migrations[v]); err != nil {
				return fmt.Errorf("migrate to version %d: %w", v+1, err)
			}
			_, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", v+1))
			return err
		})
		if err != nil {
			return fmt.Errorf("state %s: %w", s.path, err)
		}
		if done {
			return nil
		}
	}
}

func newerSchema(path string, v int) error {
	return fmt.Errorf("state file %s has schema version %d, this baton knows up to %d; upgrade baton", path, v, len(migrations))
}
