package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/statetest"
)

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) func() state.Store {
		path := filepath.Join(t.TempDir(), "sub", "state.db")
		return func() state.Store {
			s, err := Open(context.Background(), path)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
