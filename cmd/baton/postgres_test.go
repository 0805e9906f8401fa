package main

import (
	"testing"

	"github.com/rogpeppe/go-internal/testscript"

	"github.com/baton-dev/baton/state/postgres/pgtest"
)

// TestScriptsOnPostgres runs the CLI scenarios of testdata/postgres with the
// state in a PostgreSQL database of a throwaway cluster, one database per
// scenario; job data dirs and logs stay in the scenario's directory.
func TestScriptsOnPostgres(t *testing.T) {
	cluster := pgtest.New(t)
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/postgres",
		Cmds: scriptCommands(),
		Setup: func(env *testscript.Env) error {
			env.Setenv("BATON_STATE", cluster.NewDatabase(env.T().(testing.TB)))
			return nil
		},
	})
}
