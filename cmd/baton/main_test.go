package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"baton": func() { os.Exit(run(os.Args[1:])) },
	})
}

// TestScripts runs the CLI scenarios of testdata/script: each is a real
// baton process working on files in a fresh directory.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:  "testdata/script",
		Cmds: scriptCommands(),
		Setup: func(env *testscript.Env) error {
			env.Setenv("BATON_STATE", env.WorkDir+"/.baton/state.db")
			return nil
		},
	})
}
