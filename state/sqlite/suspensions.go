package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/baton-dev/baton/state"
)

// Suspend suspends an orchestration, replacing an earlier suspension of it.
func (s *Store) Suspend(ctx context.Context, sp state.Suspension) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO suspensions (orchestration, suspended_by, reason, suspended_at)
			VALUES (?1, ?2, ?3, ?4)
			ON CONFLICT (orchestration) DO UPDATE SET suspended_by = ?2, reason = ?3, suspended_at = ?4`,
			sp.Orchestration, sp.By, sp.Reason, toDB(sp.At))
		if err != nil {
			return fmt.Errorf("suspend %s: %w", sp.Orchestration, err)
		}
		return nil
	})
}

// Resume lifts the suspension of name (state.ErrNotFound if there is none).
func (s *Store) Resume(ctx context.Context, name string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "DELETE FROM suspensions WHERE orchestration = ?1", name)
		if err != nil {
			return fmt.Errorf("resume %s: %w", name, err)
		}
		if n, err := res.RowsAffected(); err != nil {
			return fmt.Errorf("resume %s: %w", name, err)
		} else if n == 0 {
			return fmt.Errorf("resume %s: not suspended: %w", name, state.ErrNotFound)
		}
		return nil
	})
}

// Suspensions lists the suspended orchestrations by name.
func (s *Store) Suspensions(ctx context.Context) ([]state.Suspension, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT orchestration, suspended_by, reason, suspended_at FROM suspensions ORDER BY orchestration")
	if err != nil {
		return nil, fmt.Errorf("list suspensions: %w", err)
	}
	defer rows.Close()
	var out []state.Suspension
	for rows.Next() {
		var sp state.Suspension
		var at sql.NullInt64
		if err := rows.Scan(&sp.Orchestration, &sp.By, &sp.Reason, &at); err != nil {
			return nil, fmt.Errorf("list suspensions: %w", err)
		}
		sp.At = fromDB(at)
		out = append(out, sp)
	}
	return out, rows.Err()
}
