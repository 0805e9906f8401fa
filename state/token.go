package state

import (
	"context"
	"time"
)

// Token is an API token. Its secret is never stored, only a hash of it.
type Token struct {
	ID             string   `json:"id"`
	Description    string   `json:"description"`
	Owner          string   `json:"owner,omitempty"`
	Scopes         []string `json:"scopes"`
	Orchestrations []string `json:"orchestrations,omitempty"`
	// Orchestration is set on the token an orchestration's jobs run with.
	Orchestration string    `json:"orchestration,omitempty"`
	CreatedAt     time.Time `json:"created_at"`
	RevokedAt     time.Time `json:"revoked_at,omitzero"`
	// SupersededAt is when an orchestration token was rotated: it then
	// serves only jobs created before.
	SupersededAt time.Time `json:"superseded_at,omitzero"`
	LastUsedAt   time.Time `json:"last_used_at,omitzero"`
}

// TokenStore holds API tokens by the hash of their secret.
type TokenStore interface {
	// CreateToken stores a token with the hash of its secret.
	CreateToken(ctx context.Context, t Token, hash string) error
	// TokenByHash finds a token by the hash of its secret; revoked ones
	// are returned too, so the caller can say why they fail.
	TokenByHash(ctx context.Context, hash string) (Token, error)
	// ListTokens lists the tokens people made (not the orchestrations').
	ListTokens(ctx context.Context) ([]Token, error)
	// RevokeToken revokes a token people made; orchestration tokens are
	// only rotated (ErrNotFound).
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// OrchestrationToken is the current token of an orchestration.
	OrchestrationToken(ctx context.Context, orchestration string) (Token, bool, error)
	// RotateOrchestrationToken supersedes the current token of an
	// orchestration (if any) and stores next, in one transaction.
	RotateOrchestrationToken(ctx context.Context, next Token, hash string, at time.Time) error
	// TouchToken records a token's use.
	TouchToken(ctx context.Context, id string, at time.Time) error
}
