package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/baton-dev/baton/spec"

	"github.com/baton-dev/baton/state"
)

const revisionColumns = "id, ref, source, author, message, committed_at, applied_at"

func scanRevision(row interface{ Scan(...any) error }) (state.Revision, error) {
	var r state.Revision
	var committed, applied sql.NullInt64
	if err := row.Scan(&r.ID, &r.Ref, &r.Source, &r.Author, &r.Message, &committed, &applied); err != nil {
		return state.Revision{}, err
	}
	r.CommittedAt, r.AppliedAt = fromDB(committed), fromDB(applied)
	return r, nil
}

// CurrentRevision is the revision in force.
func (s *Store) CurrentRevision(ctx context.Context) (state.Revision, error) {
	r, err := scanRevision(s.r.QueryRowContext(ctx, "SELECT "+revisionColumns+" FROM revisions ORDER BY id DESC LIMIT 1"))
	if errors.Is(err, sql.ErrNoRows) {
		return state.Revision{}, state.ErrNoRevision
	}
	if err != nil {
		return state.Revision{}, fmt.Errorf("read current revision: %w", err)
	}
	return r, nil
}

// Revisions lists applied revisions, newest first; limit <= 0 lists all.
func (s *Store) Revisions(ctx context.Context, limit int) ([]state.Revision, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT "+revisionColumns+" FROM revisions ORDER BY id DESC LIMIT ?", sqlLimit(limit))
	if err != nil {
		return nil, fmt.Errorf("list revisions: %w", err)
	}
	defer rows.Close()
	var out []state.Revision
	for rows.Next() {
		r, err := scanRevision(rows)
		if err != nil {
			return nil, fmt.Errorf("list revisions: %w", err)
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

// AppliedObjects returns the live objects in kind order, then by name.
func (s *Store) AppliedObjects(ctx context.Context) ([]spec.Object, error) {
	rows, err := s.r.QueryContext(ctx, "SELECT kind, name, hash, json FROM objects WHERE deleted_revision IS NULL")
	if err != nil {
		return nil, fmt.Errorf("read applied objects: %w", err)
	}
	defer rows.Close()
	var out []spec.Object
	for rows.Next() {
		var o spec.Object
		var js string
		if err := rows.Scan(&o.Kind, &o.Name, &o.Hash, &js); err != nil {
			return nil, fmt.Errorf("read applied objects: %w", err)
		}
		o.JSON = []byte(js)
		out = append(out, o)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read applied objects: %w", err)
	}
	state.SortObjects(out)
	return out, nil
}

// ApplyRevision records rev and makes objects the live set, in one
// transaction: unchanged objects stay, changed and removed ones are kept as
// history. It returns rev with its ID.
func (s *Store) ApplyRevision(ctx context.Context, rev state.Revision, objects []spec.Object) (state.Revision, error) {
	err := s.tx(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, "INSERT INTO revisions (ref, source, author, message, committed_at, applied_at) VALUES (?, ?, ?, ?, ?, ?)",
			rev.Ref, rev.Source, rev.Author, rev.Message, toDB(rev.CommittedAt), toDB(rev.AppliedAt))
		if err != nil {
			return fmt.Errorf("record revision: %w", err)
		}
		if rev.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		live := map[[2]string]string{}
		rows, err := tx.QueryContext(ctx, "SELECT kind, name, hash FROM objects WHERE deleted_revision IS NULL")
		if err != nil {
			return fmt.Errorf("read live objects: %w", err)
		}
		for rows.Next() {
			var kind, name, hash string
			if err := rows.Scan(&kind, &name, &hash); err != nil {
				rows.Close()
				return err
			}
			live[[2]string{kind, name}] = hash
		}
		rows.Close()
		retire, err := tx.PrepareContext(ctx, "UPDATE objects SET deleted_revision = ? WHERE kind = ? AND name = ? AND deleted_revision IS NULL")
		if err != nil {
			return err
		}
		defer retire.Close()
		ins := &objectInserter{ctx: ctx, tx: tx, rev: rev.ID}
		defer ins.close()
		seen := make(map[[2]string]bool, len(objects))
		for i := range objects {
			o := &objects[i]
			key := [2]string{string(o.Kind), o.Name}
			if seen[key] {
				return fmt.Errorf("object %s %q appears twice in the revision", o.Kind, o.Name)
			}
			seen[key] = true
			old, ok := live[key]
			if ok && old == o.Hash {
				continue
			}
			if ok {
				if _, err := retire.ExecContext(ctx, rev.ID, key[0], key[1]); err != nil {
					return fmt.Errorf("retire %s %q: %w", o.Kind, o.Name, err)
				}
			}
			if err := ins.add(o); err != nil {
				return err
			}
		}
		if err := ins.flush(); err != nil {
			return err
		}
		for key := range live {
			if !seen[key] {
				if _, err := retire.ExecContext(ctx, rev.ID, key[0], key[1]); err != nil {
					return fmt.Errorf("retire %s %q: %w", key[0], key[1], err)
				}
			}
		}
		return nil
	})
	if err != nil {
		return state.Revision{}, err
	}
	return rev, nil
}

// RecordFetch records the outcome of one fetch.
func (s *Store) RecordFetch(ctx context.Context, at time.Time, ref string, fetchErr error) error {
	return s.tx(ctx, func(tx *sql.Tx) error {
		var err error
		if fetchErr == nil {
			_, err = tx.ExecContext(ctx, `INSERT INTO source_status (id, last_fetch_at, last_success_at, stale_since, ref, last_error)
				VALUES (1, ?1, ?1, NULL, ?2, '')
				ON CONFLICT (id) DO UPDATE SET last_fetch_at = ?1, last_success_at = ?1, stale_since = NULL, ref = ?2, last_error = ''`,
				toDB(at), ref)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO source_status (id, last_fetch_at, stale_since, last_error)
				VALUES (1, ?1, ?1, ?2)
				ON CONFLICT (id) DO UPDATE SET last_fetch_at = ?1, stale_since = COALESCE(stale_since, ?1), last_error = ?2`,
				toDB(at), fetchErr.Error())
		}
		if err != nil {
			return fmt.Errorf("record fetch: %w", err)
		}
		return nil
	})
}

// SourceStatus reads the fetch outcome; zero values when never fetched.
func (s *Store) SourceStatus(ctx context.Context) (state.SourceStatus, error) {
	var st state.SourceStatus
	var fetch, success, stale, attempt sql.NullInt64
	err := s.r.QueryRowContext(ctx, "SELECT last_fetch_at, last_success_at, stale_since, ref, last_error, attempt_ref, attempt_at, refused_reason FROM source_status WHERE id = 1").
		Scan(&fetch, &success, &stale, &st.Ref, &st.LastError, &st.AttemptRef, &attempt, &st.RefusedReason)
	if errors.Is(err, sql.ErrNoRows) {
		return state.SourceStatus{}, nil
	}
	if err != nil {
		return state.SourceStatus{}, fmt.Errorf("read source status: %w", err)
	}
	st.LastFetchAt, st.LastSuccessAt, st.StaleSince, st.AttemptAt = fromDB(fetch), fromDB(success), fromDB(stale), fromDB(attempt)
	return st, nil
}

// AppliedObject returns one live object.
func (s *Store) AppliedObject(ctx context.Context, kind spec.Kind, name string) (spec.Object, error) {
	o := spec.Object{Kind: kind, Name: name}
	var js string
	err := s.r.QueryRowContext(ctx, "SELECT hash, json FROM objects WHERE kind = ? AND name = ? AND deleted_revision IS NULL", kind, name).Scan(&o.Hash, &js)
	if errors.Is(err, sql.ErrNoRows) {
		return spec.Object{}, fmt.Errorf("%s %q: %w", kind, name, state.ErrNotFound)
	}
	if err != nil {
		return spec.Object{}, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	o.JSON = []byte(js)
	return o, nil
}

// ObjectRevision is the revision that made the live version of an object:
// the last one that changed it.
func (s *Store) ObjectRevision(ctx context.Context, kind spec.Kind, name string) (state.Revision, error) {
	r, err := scanRevision(s.r.QueryRowContext(ctx, "SELECT r."+strings.ReplaceAll(revisionColumns, ", ", ", r.")+
		` FROM objects o JOIN revisions r ON r.id = o.created_revision WHERE o.kind = ? AND o.name = ? AND o.deleted_revision IS NULL`, kind, name))
	if errors.Is(err, sql.ErrNoRows) {
		return state.Revision{}, fmt.Errorf("%s %q: %w", kind, name, state.ErrNotFound)
	}
	if err != nil {
		return state.Revision{}, fmt.Errorf("read revision of %s %q: %w", kind, name, err)
	}
	return r, nil
}

// insertBatch is how many objects one INSERT statement records: a first
// apply of a big source records tens of thousands, and a statement per
// object cost more than the rows themselves.
const insertBatch = 64

// objectInserter records the new versions of objects, insertBatch rows per
// statement. Rows are added in the revision's order and keep it.
type objectInserter struct {
	ctx     context.Context
	tx      *sql.Tx
	rev     int64
	pending []*spec.Object
	batch   *sql.Stmt
}

func (b *objectInserter) add(o *spec.Object) error {
	b.pending = append(b.pending, o)
	if len(b.pending) < insertBatch {
		return nil
	}
	if b.batch == nil {
		var err error
		if b.batch, err = b.tx.PrepareContext(b.ctx, insertObjectsSQL(insertBatch)); err != nil {
			return fmt.Errorf("record objects: %w", err)
		}
	}
	return b.exec(b.batch)
}

// flush records the objects of the last, partial batch.
func (b *objectInserter) flush() error {
	if len(b.pending) == 0 {
		return nil
	}
	stmt, err := b.tx.PrepareContext(b.ctx, insertObjectsSQL(len(b.pending)))
	if err != nil {
		return fmt.Errorf("record objects: %w", err)
	}
	defer stmt.Close()
	return b.exec(stmt)
}

func (b *objectInserter) exec(stmt *sql.Stmt) error {
	args := make([]any, 0, 5*len(b.pending))
	for _, o := range b.pending {
		args = append(args, string(o.Kind), o.Name, o.Hash, string(o.JSON), b.rev)
	}
	if _, err := stmt.ExecContext(b.ctx, args...); err != nil {
		if len(b.pending) == 1 {
			return fmt.Errorf("record %s %q: %w", b.pending[0].Kind, b.pending[0].Name, err)
		}
		first, last := b.pending[0], b.pending[len(b.pending)-1]
		return fmt.Errorf("record %s %q .. %s %q: %w", first.Kind, first.Name, last.Kind, last.Name, err)
	}
	b.pending = b.pending[:0]
	return nil
}

func (b *objectInserter) close() {
	if b.batch != nil {
		b.batch.Close()
	}
}

func insertObjectsSQL(rows int) string {
	return "INSERT INTO objects (kind, name, hash, json, created_revision) VALUES (?, ?, ?, ?, ?)" +
		strings.Repeat(", (?, ?, ?, ?, ?)", rows-1)
}
