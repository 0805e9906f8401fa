package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// RecordAttempt records the revision apply last tried and why it was
// refused ("" when it was applied), beside the source status.
func (s *Store) RecordAttempt(ctx context.Context, at time.Time, ref, refusedReason string) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `INSERT INTO source_status (id, attempt_ref, attempt_at, refused_reason) VALUES (1, ?1, ?2, ?3)
			ON CONFLICT (id) DO UPDATE SET attempt_ref = ?1, attempt_at = ?2, refused_reason = ?3`, ref, toDB(at), refusedReason)
		if err != nil {
			return fmt.Errorf("record attempted revision: %w", err)
		}
		return nil
	})
}

// OrchestrationsSince names the orchestrations that were applied at any
// moment since `since`: those live now and those deleted by a revision
// applied after it. The mass-delete guard compares a revision with them,
// so that deleting one per commit is seen as the mass delete it is.
func (s *Store) OrchestrationsSince(ctx context.Context, since time.Time) ([]string, error) {
	rows, err := s.r.QueryContext(ctx, `SELECT DISTINCT o.name FROM objects o LEFT JOIN revisions d ON d.id = o.deleted_revision
		WHERE o.kind = 'orchestration' AND (o.deleted_revision IS NULL OR d.applied_at > ?) ORDER BY o.name`, toDB(since))
	if err != nil {
		return nil, fmt.Errorf("read orchestrations applied since %s: %w", since.Format(time.RFC3339), err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("read orchestrations applied since %s: %w", since.Format(time.RFC3339), err)
		}
		out = append(out, name)
	}
	return out, rows.Err()
}
