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

// HashedToken is a token with the hash of its secret, to be stored.
type HashedToken struct {
	Token Token
	Hash  string
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
	// OrchestrationTokens are the current tokens of the named
	// orchestrations, by orchestration, read at once: a burst of jobs due
	// together looks its tokens up in one query. An orchestration without
	// a token is left out.
	OrchestrationTokens(ctx context.Context, orchestrations []string) (map[string]Token, error)
	// RotateOrchestrationToken supersedes the current token of an
	// orchestration (if any) and stores next, in one transaction.
	RotateOrchestrationToken(ctx context.Context, next Token, hash string, at time.Time) error
	// AddOrchestrationTokens stores, in one transaction, each token whose
	// orchestration has no current token; the others are left out. An apply
	// of a thousand orchestrations makes their tokens in one write.
	AddOrchestrationTokens(ctx context.Context, tokens []HashedToken) error
	// TouchToken records a token's use.
	TouchToken(ctx context.Context, id string, at time.Time) error
}

// MissingTokens picks, for AddOrchestrationTokens, the tokens to store: the
// first one of each orchestration that has no current token (have).
func MissingTokens(tokens []HashedToken, have map[string]bool) []HashedToken {
	var out []HashedToken
	seen := make(map[string]bool, len(have))
	for _, t := range tokens {
		name := t.Token.Orchestration
		if have[name] || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, t)
	}
	return out
}
