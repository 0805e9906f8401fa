package main

import (
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/preview"
	"github.com/baton-dev/baton/state"
)

func newShowCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "show NAME",
		Short: "Show an orchestration as applied: tasks, parameters, next fires, trigger status",
		Long: `Show prints the orchestration NAME of the applied revision: its phases and
tasks with what each runs and its effective parameters (the configuration's
with the task's deep-merged over them), its schedules in words with the next
10 fires, and where its event trigger stands. It changes nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				o, err := preview.Show(cmd.Context(), g.newExecutor(st, nil), args[0], time.Now())
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if asJSON {
					return writeJSON(g.stdout, o)
				}
				o.WriteText(g.stdout)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the orchestration as JSON")
	return cmd
}
