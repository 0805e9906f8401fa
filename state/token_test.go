package state

import "testing"

// TestMissingTokensTakesTheFirstOfEachOrchestrationWithoutOne: an
// orchestration that has a token gets none, and one named twice in a batch
// gets the first.
func TestMissingTokensTakesTheFirstOfEachOrchestrationWithoutOne(t *testing.T) {
	tok := func(id, orch string) HashedToken {
		return HashedToken{Token: Token{ID: id, Orchestration: orch}, Hash: "h" + id}
	}
	got := MissingTokens([]HashedToken{tok("a1", "a"), tok("b1", "b"), tok("b2", "b"), tok("c1", "c")}, map[string]bool{"a": true})
	var ids []string
	for _, t := range got {
		ids = append(ids, t.Token.ID)
	}
	if len(ids) != 2 || ids[0] != "b1" || ids[1] != "c1" {
		t.Fatalf("MissingTokens = %v, want [b1 c1]", ids)
	}
}
