package postgres

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

const revisionColumns = "id, ref, source, author, message, committed_at, applied_at"

func scanRevision(row pgx.Row) (state.Revision, error) {
	var r state.Revision
	var committed, applied *int64
	if err := row.Scan(&r.ID, &r.Ref, &r.Source, &r.Author, &r.Message, &committed, &applied); err != nil {
		return state.Revision{}, err
	}
	r.CommittedAt, r.AppliedAt = fromDB(committed), fromDB(applied)
	return r, nil
}

// CurrentRevision is the revision in force.
func (s *Store) CurrentRevision(ctx context.Context) (state.Revision, error) {
	r, err := scanRevision(s.pool.QueryRow(ctx, "SELECT "+revisionColumns+" FROM revisions ORDER BY id DESC LIMIT 1"))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Revision{}, state.ErrNoRevision
	}
	if err != nil {
		return state.Revision{}, fmt.Errorf("read current revision: %w", err)
	}
	return r, nil
}

// Revisions lists applied revisions, newest first; limit <= 0 lists all.
func (s *Store) Revisions(ctx context.Context, limit int) ([]state.Revision, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+revisionColumns+" FROM revisions ORDER BY id DESC LIMIT $1", limitArg(limit))
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
	rows, err := s.pool.Query(ctx, "SELECT kind, name, hash, json FROM objects WHERE deleted_revision IS NULL")
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

// AppliedObject returns one live object.
func (s *Store) AppliedObject(ctx context.Context, kind spec.Kind, name string) (spec.Object, error) {
	o := spec.Object{Kind: kind, Name: name}
	var js string
	err := s.pool.QueryRow(ctx, "SELECT hash, json FROM objects WHERE kind = $1 AND name = $2 AND deleted_revision IS NULL", string(kind), name).Scan(&o.Hash, &js)
	if errors.Is(err, pgx.ErrNoRows) {
		return spec.Object{}, fmt.Errorf("%s %q: %w", kind, name, state.ErrNotFound)
	}
	if err != nil {
		return spec.Object{}, fmt.Errorf("read %s %q: %w", kind, name, err)
	}
	o.JSON = []byte(js)
	return o, nil
}

// ApplyRevision records rev and makes objects the live set, in one
// transaction: unchanged objects stay, changed and removed ones are kept as
// history. It returns rev with its ID.
func (s *Store) ApplyRevision(ctx context.Context, rev state.Revision, objects []spec.Object) (state.Revision, error) {
	err := s.tx(ctx, func(tx pgx.Tx) error {
		err := tx.QueryRow(ctx, "INSERT INTO revisions (ref, source, author, message, committed_at, applied_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id",
			rev.Ref, rev.Source, rev.Author, rev.Message, toDB(rev.CommittedAt), toDB(rev.AppliedAt)).Scan(&rev.ID)
		if err != nil {
			return fmt.Errorf("record revision: %w", err)
		}
		live := map[[2]string]string{}
		rows, err := tx.Query(ctx, "SELECT kind, name, hash FROM objects WHERE deleted_revision IS NULL")
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
		if err := rows.Err(); err != nil {
			return fmt.Errorf("read live objects: %w", err)
		}
		const retire = "UPDATE objects SET deleted_revision = $1 WHERE kind = $2 AND name = $3 AND deleted_revision IS NULL"
		seen := map[[2]string]bool{}
		batch := &pgx.Batch{}
		for _, o := range objects {
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
				batch.Queue(retire, rev.ID, key[0], key[1])
			}
			batch.Queue("INSERT INTO objects (kind, name, hash, json, created_revision) VALUES ($1, $2, $3, $4, $5)",
				key[0], key[1], o.Hash, string(o.JSON), rev.ID)
		}
		for key := range live {
			if !seen[key] {
				batch.Queue(retire, rev.ID, key[0], key[1])
			}
		}
		if err := tx.SendBatch(ctx, batch).Close(); err != nil {
			return fmt.Errorf("record the objects of revision %s: %w", rev.Ref, err)
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
	var err error
	if fetchErr == nil {
		_, err = s.pool.Exec(ctx, `INSERT INTO source_status (id, last_fetch_at, last_success_at, stale_since, ref, last_error)
			VALUES (1, $1, $1, NULL, $2, '')
			ON CONFLICT (id) DO UPDATE SET last_fetch_at = $1, last_success_at = $1, stale_since = NULL, ref = $2, last_error = ''`,
			toDB(at), ref)
	} else {
		_, err = s.pool.Exec(ctx, `INSERT INTO source_status (id, last_fetch_at, stale_since, last_error)
			VALUES (1, $1, $1, $2)
			ON CONFLICT (id) DO UPDATE SET last_fetch_at = $1, stale_since = COALESCE(source_status.stale_since, $1), last_error = $2`,
			toDB(at), fetchErr.Error())
	}
	if err != nil {
		return fmt.Errorf("record fetch: %w", err)
	}
	return nil
}

// SourceStatus reads the fetch outcome; zero values when never fetched.
func (s *Store) SourceStatus(ctx context.Context) (state.SourceStatus, error) {
	var st state.SourceStatus
	var fetch, success, stale, attempt *int64
	err := s.pool.QueryRow(ctx, "SELECT last_fetch_at, last_success_at, stale_since, ref, last_error, attempt_ref, attempt_at, refused_reason FROM source_status WHERE id = 1").
		Scan(&fetch, &success, &stale, &st.Ref, &st.LastError, &st.AttemptRef, &attempt, &st.RefusedReason)
	if errors.Is(err, pgx.ErrNoRows) {
		return state.SourceStatus{}, nil
	}
	if err != nil {
		return state.SourceStatus{}, fmt.Errorf("read source status: %w", err)
	}
	st.LastFetchAt, st.LastSuccessAt, st.StaleSince, st.AttemptAt = fromDB(fetch), fromDB(success), fromDB(stale), fromDB(attempt)
	return st, nil
}

// RecordAttempt records the revision apply last tried and why it was
// refused ("" when it was applied), beside the source status.
func (s *Store) RecordAttempt(ctx context.Context, at time.Time, ref, refusedReason string) error {
	_, err := s.pool.Exec(ctx, `INSERT INTO source_status (id, attempt_ref, attempt_at, refused_reason) VALUES (1, $1, $2, $3)
		ON CONFLICT (id) DO UPDATE SET attempt_ref = $1, attempt_at = $2, refused_reason = $3`, ref, toDB(at), refusedReason)
	if err != nil {
		return fmt.Errorf("record attempted revision: %w", err)
	}
	return nil
}

// OrchestrationsSince names the orchestrations that were applied at any
// moment since `since`: those live now and those deleted by a revision
// applied after it.
func (s *Store) OrchestrationsSince(ctx context.Context, since time.Time) ([]string, error) {
	rows, err := s.pool.Query(ctx, `SELECT DISTINCT o.name FROM objects o LEFT JOIN revisions d ON d.id = o.deleted_revision
		WHERE o.kind = 'orchestration' AND (o.deleted_revision IS NULL OR d.applied_at > $1) ORDER BY o.name`, toDB(since))
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

// ObjectRevision is the revision that made the live version of an object:
// the last one that changed it.
func (s *Store) ObjectRevision(ctx context.Context, kind spec.Kind, name string) (state.Revision, error) {
	r, err := scanRevision(s.pool.QueryRow(ctx, "SELECT r."+strings.ReplaceAll(revisionColumns, ", ", ", r.")+
		` FROM objects o JOIN revisions r ON r.id = o.created_revision WHERE o.kind = $1 AND o.name = $2 AND o.deleted_revision IS NULL`, string(kind), name))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Revision{}, fmt.Errorf("%s %q: %w", kind, name, state.ErrNotFound)
	}
	if err != nil {
		return state.Revision{}, fmt.Errorf("read revision of %s %q: %w", kind, name, err)
	}
	return r, nil
}
