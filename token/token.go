// Package token issues and checks baton's API tokens: people's tokens with
// scopes and orchestration limits, and the token every orchestration's jobs
// run with. Secrets are shown once; only their SHA-256 is stored, and they
// are compared in constant time. The CLI, the executor (which hands tasks
// their orchestration's token) and the API server use it.
package token

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Scopes a token can hold.
const (
	ScopeRun         = "orchestrations:run"
	ScopeJobsRead    = "jobs:read"
	ScopeTablesWrite = "tables:write"
	ScopeAdmin       = "admin"
)

// Scopes lists every scope.
var Scopes = []string{ScopeRun, ScopeJobsRead, ScopeTablesWrite, ScopeAdmin}

// ErrUnauthorized means no valid token was presented.
var ErrUnauthorized = errors.New("unauthorized")

// ErrUnknownOrchestration means a token was asked for an orchestration that
// is not applied.
var ErrUnknownOrchestration = errors.New("unknown orchestration")

// Service issues and checks tokens.
type Service struct {
	Store state.Store
	Clock clock.Clock
	// Key derives the secrets of orchestration tokens, so the executor can
	// hand them to tasks while the state holds only their hashes.
	Key []byte
}

// LoadKey returns the key for orchestration tokens: BATON_TOKEN_KEY when
// set, else the key file at path, created on first use.
func LoadKey(getenv func(string) string, path string) ([]byte, error) {
	if k := getenv("BATON_TOKEN_KEY"); k != "" {
		if len(k) < 32 {
			return nil, errors.New("BATON_TOKEN_KEY is too short; use at least 32 random characters")
		}
		return []byte(k), nil
	}
	if b, err := os.ReadFile(path); err == nil && len(b) >= 32 {
		// A key file made readable to others (by hand, or by a copy) is
		// made private again.
		if info, err := os.Stat(path); err == nil && info.Mode().Perm()&0o077 != 0 {
			if err := os.Chmod(path, 0o600); err != nil {
				return nil, fmt.Errorf("token key %s is readable by others (mode %o) and could not be made private: %w; chmod 600 it", path, info.Mode().Perm(), err)
			}
		}
		return b, nil
	}
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		return nil, fmt.Errorf("make token key: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		if b, rerr := os.ReadFile(path); rerr == nil && len(b) >= 32 {
			return b, nil // another process made it first
		}
		return nil, fmt.Errorf("write token key %s: %w", path, err)
	}
	defer f.Close()
	if _, err := f.Write(key); err != nil {
		return nil, fmt.Errorf("write token key %s: %w", path, err)
	}
	return key, nil
}

// maxLabel is the longest description or owner a token may have.
const maxLabel = 200

// checkLabel refuses a description or owner that is too long or holds
// characters that are not printable: they are shown in terminals.
func checkLabel(s string) error {
	if n := utf8.RuneCountInString(s); n > maxLabel {
		return fmt.Errorf("it has %d characters; at most %d", n, maxLabel)
	}
	for _, r := range s {
		if !unicode.IsPrint(r) || r == utf8.RuneError {
			return fmt.Errorf("character U+%04X is not printable; use plain text", r)
		}
	}
	return nil
}

// Hash is what the state keeps of a secret. Secrets are 192-bit random (or
// HMAC-derived) strings, so a plain SHA-256 is enough.
func Hash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func randomString(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(fmt.Sprintf("crypto/rand: %v", err))
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Create issues a token for a person and returns its secret, shown once.
func (t *Service) Create(ctx context.Context, tok state.Token) (string, state.Token, error) {
	if len(tok.Scopes) == 0 {
		return "", state.Token{}, fmt.Errorf("a token needs at least one scope: %s", strings.Join(Scopes, ", "))
	}
	for _, s := range tok.Scopes {
		if !slices.Contains(Scopes, s) {
			return "", state.Token{}, fmt.Errorf("unknown scope %q; scopes are %s", s, strings.Join(Scopes, ", "))
		}
	}
	for what, text := range map[string]string{"description": tok.Description, "owner": tok.Owner} {
		if err := checkLabel(text); err != nil {
			return "", state.Token{}, fmt.Errorf("token %s: %w", what, err)
		}
	}
	for _, name := range tok.Orchestrations {
		if err := spec.CheckName(name); err != nil {
			return "", state.Token{}, fmt.Errorf("token orchestration %q: %w", name, err)
		}
	}
	tok.ID = "tok_" + randomString(6)
	tok.CreatedAt = t.Clock.Now().UTC()
	tok.Orchestration = ""
	secret := "bt_" + randomString(24)
	if err := t.Store.CreateToken(ctx, tok, Hash(secret)); err != nil {
		return "", state.Token{}, err
	}
	return secret, tok, nil
}

// orchestrationSecret derives the secret of an orchestration token.
func (t *Service) orchestrationSecret(tok state.Token) string {
	m := hmac.New(sha256.New, t.Key)
	m.Write([]byte(tok.Orchestration + "\x00" + tok.ID))
	return "bto_" + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// OrchestrationSecret returns the secret the jobs of an orchestration run
// with, creating its token when the orchestration has none yet.
func (t *Service) OrchestrationSecret(ctx context.Context, orchestration string) (string, error) {
	secrets, err := t.OrchestrationSecrets(ctx, []string{orchestration})
	if err != nil {
		return "", err
	}
	return secrets[orchestration], nil
}

// OrchestrationSecrets returns the secrets the jobs of the orchestrations
// run with, by orchestration: the tokens of a burst of jobs are read in one
// look-up. The token of an orchestration that has none yet is created.
func (t *Service) OrchestrationSecrets(ctx context.Context, orchestrations []string) (map[string]string, error) {
	tokens, err := t.Store.OrchestrationTokens(ctx, orchestrations)
	if err != nil {
		return nil, err
	}
	secrets := make(map[string]string, len(orchestrations))
	for _, name := range orchestrations {
		tok, ok := tokens[name]
		if !ok {
			if tok, err = t.rotate(ctx, name); err != nil {
				return nil, err
			}
			tokens[name] = tok
		}
		secrets[name] = t.orchestrationSecret(tok)
	}
	return secrets, nil
}

// EnsureOrchestrationTokens creates the token of every orchestration that
// has none: called after each apply.
func (t *Service) EnsureOrchestrationTokens(ctx context.Context, orchestrations []string) error {
	// A token for every name, of which the store keeps those that are
	// missing, all in one transaction: one per orchestration made an
	// apply of a thousand of them take a second.
	now := t.Clock.Now().UTC()
	tokens := make([]state.HashedToken, 0, len(orchestrations))
	for _, name := range orchestrations {
		tok := t.orchestrationToken(name, now)
		tokens = append(tokens, state.HashedToken{Token: tok, Hash: Hash(t.orchestrationSecret(tok))})
	}
	if err := t.Store.AddOrchestrationTokens(ctx, tokens); err != nil {
		return fmt.Errorf("create orchestration tokens: %w", err)
	}
	return nil
}

// Refresh rotates an orchestration's token: new jobs get the new one; jobs
// already running keep the old one until they end.
// An orchestration that is not applied has no token to rotate:
// ErrUnknownOrchestration.
func (t *Service) Refresh(ctx context.Context, orchestration string) (state.Token, error) {
	objs, err := t.Store.AppliedObjects(ctx)
	if err != nil {
		return state.Token{}, err
	}
	if !slices.ContainsFunc(objs, func(o spec.Object) bool { return o.Kind == spec.KindOrchestration && o.Name == orchestration }) {
		return state.Token{}, fmt.Errorf("%w %q in the applied revision; baton tokens list shows the orchestration tokens", ErrUnknownOrchestration, orchestration)
	}
	return t.rotate(ctx, orchestration)
}

func (t *Service) rotate(ctx context.Context, orchestration string) (state.Token, error) {
	now := t.Clock.Now().UTC()
	tok := t.orchestrationToken(orchestration, now)
	if err := t.Store.RotateOrchestrationToken(ctx, tok, Hash(t.orchestrationSecret(tok)), now); err != nil {
		return state.Token{}, err
	}
	return tok, nil
}

// orchestrationToken is a new token for the jobs of an orchestration.
func (t *Service) orchestrationToken(orchestration string, now time.Time) state.Token {
	return state.Token{
		ID:             "orch_" + randomString(6),
		Description:    "jobs of orchestration " + orchestration,
		Scopes:         []string{ScopeTablesWrite, ScopeJobsRead},
		Orchestrations: []string{orchestration},
		Orchestration:  orchestration,
		CreatedAt:      now,
	}
}

// Authenticate checks an Authorization header ("Bearer SECRET").
func (t *Service) Authenticate(ctx context.Context, header string) (state.Token, error) {
	secret, ok := strings.CutPrefix(header, "Bearer ")
	if !ok || secret == "" {
		return state.Token{}, fmt.Errorf("%w: send Authorization: Bearer <token>", ErrUnauthorized)
	}
	// The state is searched by the SHA-256 of the secret, never by the
	// secret: how long the search takes depends on that hash alone, which
	// tells nothing of any stored token's secret, so the lookup needs no
	// constant-time compare (a byte-wise compare of secrets would).
	hash := Hash(secret)
	tok, err := t.Store.TokenByHash(ctx, hash)
	if errors.Is(err, state.ErrNotFound) {
		return state.Token{}, fmt.Errorf("%w: unknown token", ErrUnauthorized)
	}
	if err != nil {
		return state.Token{}, err
	}
	if !tok.RevokedAt.IsZero() {
		return state.Token{}, fmt.Errorf("%w: the token was revoked", ErrUnauthorized)
	}
	if !tok.SupersededAt.IsZero() {
		active, err := t.Store.ActiveJobCreatedBefore(ctx, tok.Orchestration, tok.SupersededAt)
		if err != nil {
			return state.Token{}, err
		}
		if !active {
			return state.Token{}, fmt.Errorf("%w: the orchestration token was rotated", ErrUnauthorized)
		}
	}
	_ = t.Store.TouchToken(ctx, tok.ID, t.Clock.Now().UTC())
	return tok, nil
}

// Allows reports whether tok may act with scope on orchestration ("" when
// the action concerns no single orchestration).
func Allows(tok state.Token, scope, orchestration string) bool {
	if !slices.Contains(tok.Scopes, scope) && !slices.Contains(tok.Scopes, ScopeAdmin) {
		return false
	}
	if orchestration != "" && len(tok.Orchestrations) > 0 && !slices.Contains(tok.Orchestrations, orchestration) {
		return false
	}
	return true
}
