package postgres

import (
	"context"
	"os"
	"testing"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres/pgtest"
	"github.com/baton-dev/baton/state/statetest"
)

func TestMain(m *testing.M) { os.Exit(pgtest.Main(m)) }

func TestConformance(t *testing.T) {
	statetest.Run(t, func(t *testing.T) func() state.Store {
		dsn := pgtest.DSN(t)
		return func() state.Store {
			s, err := Open(context.Background(), dsn)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}
	})
}
