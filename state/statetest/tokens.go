package statetest

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

func testTokensAreStoredByHashAndRevokedNotDeleted(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	tok := state.Token{ID: "tk1", Description: "ci", Owner: "ops@example.com", Scopes: []string{"jobs:read"}, Orchestrations: []string{"daily"}, CreatedAt: t0}
	if err := s.CreateToken(ctx, tok, "hash-1"); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateToken(ctx, state.Token{ID: "tk2", CreatedAt: t0}, "hash-1"); err == nil {
		t.Error("a second token with the same hash was stored")
	}
	got, err := s.TokenByHash(ctx, "hash-1")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "tk1" || got.Owner != tok.Owner || got.Scopes[0] != "jobs:read" || got.Orchestrations[0] != "daily" || !got.CreatedAt.Equal(t0) {
		t.Errorf("token = %+v", got)
	}
	if b, _ := json.Marshal(got); strings.Contains(string(b), "hash-1") {
		t.Errorf("token JSON shows the hash: %s", b)
	}
	if _, err := s.TokenByHash(ctx, "unknown"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("unknown hash = %v, want ErrNotFound", err)
	}
	if err := s.TouchToken(ctx, "tk1", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "tk1", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Revoking again keeps the first revocation time.
	if err := s.RevokeToken(ctx, "tk1", t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	got, err = s.TokenByHash(ctx, "hash-1")
	if err != nil || !got.RevokedAt.Equal(t0.Add(time.Hour)) || !got.LastUsedAt.Equal(t0.Add(time.Minute)) {
		t.Errorf("revoked token = %+v, %v; want it returned with RevokedAt set", got, err)
	}
	if err := s.RevokeToken(ctx, "nope", t0); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("revoke of an unknown token = %v, want ErrNotFound", err)
	}
	list, err := s.ListTokens(ctx)
	if err != nil || len(list) != 1 || list[0].ID != "tk1" {
		t.Errorf("ListTokens = %+v, %v", list, err)
	}
}

func testOrchestrationTokenRotationKeepsTheOldOneForRunningJobs(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if _, ok, err := s.OrchestrationToken(ctx, "o"); ok || err != nil {
		t.Fatalf("token of an orchestration without one: %v %v", ok, err)
	}
	if err := s.RotateOrchestrationToken(ctx, state.Token{ID: "o1", Orchestration: "o", Scopes: []string{"tables:write"}, CreatedAt: t0}, "h1", t0); err != nil {
		t.Fatal(err)
	}
	running := newJob(t, s, "o", 0) // created now, after t0
	if err := s.RotateOrchestrationToken(ctx, state.Token{ID: "o2", Orchestration: "o", CreatedAt: t0.Add(time.Hour)}, "h2", time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	cur, ok, err := s.OrchestrationToken(ctx, "o")
	if err != nil || !ok || cur.ID != "o2" {
		t.Errorf("current token = %+v %v %v, want o2", cur, ok, err)
	}
	old, err := s.TokenByHash(ctx, "h1")
	if err != nil || old.SupersededAt.IsZero() || !old.RevokedAt.IsZero() {
		t.Fatalf("rotated token = %+v %v, want superseded, not revoked", old, err)
	}
	if active, err := s.ActiveJobCreatedBefore(ctx, "o", old.SupersededAt); err != nil || !active {
		t.Errorf("job %d created before the rotation not seen: %v %v", running.ID, active, err)
	}
	if err := s.RevokeToken(ctx, "o2", t0); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("revoke of an orchestration token = %v, want refused", err)
	}
	if list, _ := s.ListTokens(ctx); len(list) != 0 {
		t.Errorf("ListTokens shows orchestration tokens: %+v", list)
	}
}

func testOrchestrationTokensAreAddedOnlyWhereMissing(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	if err := s.RotateOrchestrationToken(ctx, state.Token{ID: "a1", Orchestration: "a", CreatedAt: t0}, "ha1", t0); err != nil {
		t.Fatal(err)
	}
	batch := []state.HashedToken{
		{Token: state.Token{ID: "a2", Orchestration: "a", CreatedAt: t0}, Hash: "ha2"},
		{Token: state.Token{ID: "b1", Orchestration: "b", Scopes: []string{"jobs:read"}, CreatedAt: t0}, Hash: "hb1"},
		{Token: state.Token{ID: "c1", Orchestration: "c", CreatedAt: t0}, Hash: "hc1"},
	}
	if err := s.AddOrchestrationTokens(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for orch, want := range map[string]string{"a": "a1", "b": "b1", "c": "c1"} {
		cur, ok, err := s.OrchestrationToken(ctx, orch)
		if err != nil || !ok || cur.ID != want {
			t.Errorf("token of %s = %+v %v %v, want %s", orch, cur, ok, err, want)
		}
	}
	if _, err := s.TokenByHash(ctx, "ha2"); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("the token of an orchestration that had one was stored too: %v", err)
	}
	// Again: nothing changes.
	if err := s.AddOrchestrationTokens(ctx, []state.HashedToken{{Token: state.Token{ID: "b2", Orchestration: "b", CreatedAt: t0}, Hash: "hb2"}}); err != nil {
		t.Fatal(err)
	}
	if cur, _, _ := s.OrchestrationToken(ctx, "b"); cur.ID != "b1" {
		t.Errorf("second add replaced the token of b: %+v", cur)
	}
}

func testOrchestrationTokensAreEachOrchestrationsCurrentOne(t *testing.T, s state.Store) {
	ctx := context.Background()
	t0 := time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)
	for _, tok := range []state.Token{
		{ID: "a1", Orchestration: "a", CreatedAt: t0},
		{ID: "b1", Orchestration: "b", CreatedAt: t0},
		{ID: "b2", Orchestration: "b", CreatedAt: t0.Add(time.Hour)}, // supersedes b1
		{ID: "c1", Orchestration: "c", CreatedAt: t0},
	} {
		if err := s.RotateOrchestrationToken(ctx, tok, "h"+tok.ID, tok.CreatedAt); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.CreateToken(ctx, state.Token{ID: "person", Orchestrations: []string{"a"}, Scopes: []string{"jobs:read"}, CreatedAt: t0}, "hperson"); err != nil {
		t.Fatal(err)
	}
	got, err := s.OrchestrationTokens(ctx, []string{"a", "b", "missing"})
	if err != nil {
		t.Fatal(err)
	}
	ids := map[string]string{}
	for name, tok := range got {
		ids[name] = tok.ID
		if tok.Orchestration != name {
			t.Errorf("token %s under %q is of orchestration %q", tok.ID, name, tok.Orchestration)
		}
	}
	if want := map[string]string{"a": "a1", "b": "b2"}; !maps.Equal(ids, want) {
		t.Errorf("OrchestrationTokens(a, b, missing) = %v, want %v (each one's current token, none for an orchestration without one, c not asked for)", ids, want)
	}
	if got, err := s.OrchestrationTokens(ctx, nil); err != nil || len(got) != 0 {
		t.Errorf("OrchestrationTokens() = %v, %v; want none", got, err)
	}
}
