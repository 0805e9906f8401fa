package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/state"
)

const tokenColumns = "id, description, owner, scopes, orchestrations, COALESCE(orchestration, ''), created_at, revoked_at, expires_at, last_used_at"

func scanToken(row pgx.Row) (state.Token, error) {
	var t state.Token
	var scopes, orchs string
	var created, revoked, superseded, used *int64
	if err := row.Scan(&t.ID, &t.Description, &t.Owner, &scopes, &orchs, &t.Orchestration, &created, &revoked, &superseded, &used); err != nil {
		return state.Token{}, err
	}
	if err := json.Unmarshal([]byte(scopes), &t.Scopes); err != nil {
		return state.Token{}, fmt.Errorf("token %s scopes: %w", t.ID, err)
	}
	if err := json.Unmarshal([]byte(orchs), &t.Orchestrations); err != nil {
		return state.Token{}, fmt.Errorf("token %s orchestrations: %w", t.ID, err)
	}
	t.CreatedAt, t.RevokedAt, t.SupersededAt, t.LastUsedAt = fromDB(created), fromDB(revoked), fromDB(superseded), fromDB(used)
	return t, nil
}

// CreateToken stores a token with the hash of its secret.
func (s *Store) CreateToken(ctx context.Context, t state.Token, hash string) error {
	return s.tx(ctx, func(tx pgx.Tx) error { return createToken(ctx, tx, t, hash) })
}

func createToken(ctx context.Context, tx pgx.Tx, t state.Token, hash string) error {
	if t.Scopes == nil {
		t.Scopes = []string{}
	}
	if t.Orchestrations == nil {
		t.Orchestrations = []string{}
	}
	scopes, _ := json.Marshal(t.Scopes)
	orchs, _ := json.Marshal(t.Orchestrations)
	var orch any
	if t.Orchestration != "" {
		orch = t.Orchestration
	}
	_, err := tx.Exec(ctx, `INSERT INTO tokens (id, hash, description, owner, scopes, orchestrations, orchestration, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`, t.ID, hash, t.Description, t.Owner, string(scopes), string(orchs), orch, toDB(t.CreatedAt))
	if err != nil {
		return fmt.Errorf("store token %s: %w", t.ID, err)
	}
	return nil
}

// TokenByHash finds a token by the hash of its secret; revoked ones are
// returned too, so the caller can say why they fail.
func (s *Store) TokenByHash(ctx context.Context, hash string) (state.Token, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE hash = $1", hash))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Token{}, state.ErrNotFound
	}
	return t, err
}

// ListTokens lists the tokens people made (not the orchestrations' own).
func (s *Store) ListTokens(ctx context.Context) ([]state.Token, error) {
	rows, err := s.pool.Query(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE orchestration IS NULL ORDER BY created_at, id")
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	defer rows.Close()
	var out []state.Token
	for rows.Next() {
		t, err := scanToken(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// RevokeToken revokes a token people made; orchestration tokens are only
// rotated.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	tag, err := s.pool.Exec(ctx, "UPDATE tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 AND orchestration IS NULL", toDB(at), id)
	if err != nil {
		return fmt.Errorf("revoke token %s: %w", id, err)
	}
	if tag.RowsAffected() == 0 {
		return fmt.Errorf("token %s: %w (orchestration tokens cannot be revoked; rotate them with baton tokens refresh --orchestration)", id, state.ErrNotFound)
	}
	return nil
}

// OrchestrationToken is the current token of an orchestration.
func (s *Store) OrchestrationToken(ctx context.Context, orchestration string) (state.Token, bool, error) {
	t, err := scanToken(s.pool.QueryRow(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE orchestration = $1 AND expires_at IS NULL", orchestration))
	if errors.Is(err, pgx.ErrNoRows) {
		return state.Token{}, false, nil
	}
	if err != nil {
		return state.Token{}, false, fmt.Errorf("read token of %s: %w", orchestration, err)
	}
	return t, true, nil
}

// OrchestrationTokens are the current tokens of the named orchestrations,
// in one query.
func (s *Store) OrchestrationTokens(ctx context.Context, orchestrations []string) (map[string]state.Token, error) {
	out := make(map[string]state.Token, len(orchestrations))
	if len(orchestrations) == 0 {
		return out, nil
	}
	rows, err := s.pool.Query(ctx, "SELECT "+tokenColumns+" FROM tokens WHERE expires_at IS NULL AND orchestration = ANY($1)", orchestrations)
	if err != nil {
		return nil, fmt.Errorf("read orchestration tokens: %w", err)
	}
	tokens, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (state.Token, error) { return scanToken(r) })
	if err != nil {
		return nil, fmt.Errorf("read orchestration tokens: %w", err)
	}
	for _, t := range tokens {
		out[t.Orchestration] = t
	}
	return out, nil
}

// RotateOrchestrationToken supersedes the current token of an
// orchestration (if any) and stores next, in one transaction.
func (s *Store) RotateOrchestrationToken(ctx context.Context, next state.Token, hash string, at time.Time) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, "UPDATE tokens SET expires_at = $1 WHERE orchestration = $2 AND expires_at IS NULL", toDB(at), next.Orchestration); err != nil {
			return fmt.Errorf("supersede token of %s: %w", next.Orchestration, err)
		}
		return createToken(ctx, tx, next, hash)
	})
}

// AddOrchestrationTokens stores each token whose orchestration has no
// current token, in one transaction.
func (s *Store) AddOrchestrationTokens(ctx context.Context, tokens []state.HashedToken) error {
	return s.tx(ctx, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT orchestration FROM tokens WHERE orchestration IS NOT NULL AND expires_at IS NULL")
		if err != nil {
			return fmt.Errorf("read orchestration tokens: %w", err)
		}
		names, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			return fmt.Errorf("read orchestration tokens: %w", err)
		}
		have := make(map[string]bool, len(names))
		for _, n := range names {
			have[n] = true
		}
		for _, t := range state.MissingTokens(tokens, have) {
			if err := createToken(ctx, tx, t.Token, t.Hash); err != nil {
				return err
			}
		}
		return nil
	})
}

// TouchToken records a token's use.
func (s *Store) TouchToken(ctx context.Context, id string, at time.Time) error {
	if _, err := s.pool.Exec(ctx, "UPDATE tokens SET last_used_at = $1 WHERE id = $2", toDB(at), id); err != nil {
		return fmt.Errorf("record use of token %s: %w", id, err)
	}
	return nil
}
