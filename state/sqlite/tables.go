package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-dev/baton/state"
)

// RecordTableUpdates appends to the update log and moves each table's
// latest update forward (never back).
func (s *Store) RecordTableUpdates(ctx context.Context, updates ...state.TableUpdate) error {
	return s.tx(ctx, func(tx *sql.Tx) error { return recordTableUpdates(ctx, tx, updates) })
}

func recordTableUpdates(ctx context.Context, tx *sql.Tx, updates []state.TableUpdate) error {
	for _, u := range updates {
		var job any
		if u.JobID != 0 {
			job = u.JobID
		}
		if _, err := tx.ExecContext(ctx, "INSERT INTO table_updates (tbl, at, source, job_id) VALUES (?, ?, ?, ?)", u.Table, toDB(u.At), u.Source, job); err != nil {
			return fmt.Errorf("record update of table %s: %w", u.Table, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO tables_latest (tbl, at, source) VALUES (?1, ?2, ?3)
			ON CONFLICT (tbl) DO UPDATE SET at = ?2, source = ?3 WHERE ?2 >= at`, u.Table, toDB(u.At), u.Source); err != nil {
			return fmt.Errorf("record update of table %s: %w", u.Table, err)
		}
	}
	return nil
}

// Tables lists every table with an update, by id.
func (s *Store) Tables(ctx context.Context) ([]state.TableState, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT tbl, at, source FROM tables_latest ORDER BY tbl")
	if err != nil {
		return nil, fmt.Errorf("list tables: %w", err)
	}
	defer rows.Close()
	var out []state.TableState
	for rows.Next() {
		var t state.TableState
		var at sql.NullInt64
		if err := rows.Scan(&t.ID, &at, &t.Source); err != nil {
			return nil, fmt.Errorf("list tables: %w", err)
		}
		t.UpdatedAt = fromDB(at)
		out = append(out, t)
	}
	return out, rows.Err()
}

// TableUpdatedAt returns the latest update of each of ids that has one.
func (s *Store) TableUpdatedAt(ctx context.Context, ids []string) (map[string]time.Time, error) {
	out := map[string]time.Time{}
	if len(ids) == 0 {
		return out, nil
	}
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	rows, err := s.r.QueryContext(ctx, "SELECT tbl, at FROM tables_latest WHERE tbl IN (?"+strings.Repeat(", ?", len(ids)-1)+")", args...)
	if err != nil {
		return nil, fmt.Errorf("read table updates: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var id string
		var at sql.NullInt64
		if err := rows.Scan(&id, &at); err != nil {
			return nil, err
		}
		out[id] = fromDB(at)
	}
	return out, rows.Err()
}

// RecordFire records a schedule's fire.
func (s *Store) RecordFire(ctx context.Context, orchestration, scheduleKey string, at time.Time) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		return recordFire(ctx, tx, state.ScheduleFire{Orchestration: orchestration, Key: scheduleKey, At: at})
	})
}

func recordFire(ctx context.Context, tx *sql.Tx, f state.ScheduleFire) error {
	stmt, err := tx.PrepareContext(ctx, recordFireSQL)
	if err != nil {
		return fmt.Errorf("record fire of %s: %w", f.Orchestration, err)
	}
	defer stmt.Close()
	return recordFireWith(ctx, stmt, f)
}

const recordFireSQL = `INSERT INTO schedule_fires (orchestration, schedule_key, fired_at) VALUES (?1, ?2, ?3)
	ON CONFLICT (orchestration, schedule_key) DO UPDATE SET fired_at = ?3`

// recordFireWith records a fire with the prepared recordFireSQL: the fires
// of a burst share one compiled statement.
func recordFireWith(ctx context.Context, stmt *sql.Stmt, f state.ScheduleFire) error {
	_, err := stmt.ExecContext(ctx, f.Orchestration, f.Key, toDB(f.At))
	if err != nil {
		return fmt.Errorf("record fire of %s: %w", f.Orchestration, err)
	}
	return nil
}

// LastFires returns the last fire of every schedule, by orchestration and
// schedule key.
func (s *Store) LastFires(ctx context.Context) (map[[2]string]time.Time, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT orchestration, schedule_key, fired_at FROM schedule_fires")
	if err != nil {
		return nil, fmt.Errorf("read schedule fires: %w", err)
	}
	defer rows.Close()
	out := map[[2]string]time.Time{}
	for rows.Next() {
		var o, k string
		var at sql.NullInt64
		if err := rows.Scan(&o, &k, &at); err != nil {
			return nil, err
		}
		out[[2]string{o, k}] = fromDB(at)
	}
	return out, rows.Err()
}

// LastTriggerRun is when an orchestration's event trigger last fired.
func (s *Store) LastTriggerRun(ctx context.Context, orchestration string) (time.Time, bool, error) {
	return s.lastTime(ctx, "SELECT ran_at FROM trigger_runs WHERE orchestration = ?", orchestration)
}

// RecordTriggerRun records that an orchestration's trigger fired.
func (s *Store) RecordTriggerRun(ctx context.Context, orchestration string, at time.Time) error {
	_, err := s.w.ExecContext(ctx, `INSERT INTO trigger_runs (orchestration, ran_at) VALUES (?1, ?2)
		ON CONFLICT (orchestration) DO UPDATE SET ran_at = ?2`, orchestration, toDB(at))
	if err != nil {
		return fmt.Errorf("record triggered run of %s: %w", orchestration, err)
	}
	return nil
}

func (s *Store) lastTime(ctx context.Context, query string, args ...any) (time.Time, bool, error) {
	var at sql.NullInt64
	err := s.r.QueryRowContext(ctx, query, args...).Scan(&at)
	if errors.Is(err, sql.ErrNoRows) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("read state: %w", err)
	}
	return fromDB(at), true, nil
}

// TableHistory lists the recorded updates of a table, newest first;
// limit <= 0 lists all.
func (s *Store) TableHistory(ctx context.Context, table string, limit int) ([]state.TableUpdate, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT tbl, at, source, COALESCE(job_id, 0) FROM table_updates WHERE tbl = ? ORDER BY id DESC LIMIT ?", table, sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("read updates of table %s: %w", table, err)
	}
	defer rows.Close()
	var out []state.TableUpdate
	for rows.Next() {
		var u state.TableUpdate
		var at sql.NullInt64
		if err := rows.Scan(&u.Table, &at, &u.Source, &u.JobID); err != nil {
			return nil, err
		}
		u.At = fromDB(at)
		out = append(out, u)
	}
	return out, rows.Err()
}
