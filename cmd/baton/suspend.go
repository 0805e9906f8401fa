package main

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newSuspendCommand(g *globals) *cobra.Command {
	var (
		reason string
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "suspend NAME",
		Short: "Pause an orchestration's schedules and trigger without a commit (baton resume undoes it)",
		Long: `Suspend pauses the applied orchestration NAME: its schedules and event
trigger stop firing until baton resume NAME. It is an operator's escape
hatch that needs no commit; who suspended it (BATON_USER, else USER), when
and --reason are recorded and shown by baton show, baton jobs, baton plan,
the metrics (baton_orchestration_suspended) and the web UI.
Manual runs (baton run, the API) still work. Schedule instants that pass
while it is suspended are not made up on resume; table updates made
meanwhile still count for its trigger.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				sp, err := g.newExecutor(st, nil).Suspend(cmd.Context(), args[0], currentUser(), reason)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if asJSON {
					return writeJSON(g.stdout, sp)
				}
				fmt.Fprintf(g.stdout, "suspended %s: its schedules and trigger do not fire until baton resume %s\n",
					terminal.Escape(sp.Orchestration), terminal.Escape(sp.Orchestration))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why, for the others who see it suspended")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the suspension as JSON")
	return cmd
}

func newResumeCommand(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "resume NAME",
		Short: "Lift the suspension of an orchestration: its schedules and trigger fire again",
		Long: `Resume lifts baton suspend NAME. Its schedules fire again from their next
instant (those passed while suspended are not made up); its trigger fires
as soon as its tables have updates that count, including those made while
it was suspended.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				if err := g.newExecutor(st, nil).Resume(cmd.Context(), args[0]); err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				fmt.Fprintf(g.stdout, "resumed %s\n", terminal.Escape(args[0]))
				return nil
			})
		},
	}
}

// noteSuspended tells on stderr which orchestrations are suspended (only
// the one named, when one is): their jobs stop appearing on schedule.
func (g *globals) noteSuspended(ctx context.Context, st state.Store, only string) error {
	list, err := st.Suspensions(ctx)
	if err != nil {
		return fmt.Errorf("read suspended orchestrations: %w", err)
	}
	for _, sp := range list {
		if only != "" && sp.Orchestration != only {
			continue
		}
		note := fmt.Sprintf("suspended: %s by %s since %s", sp.Orchestration, sp.By, sp.At.Local().Format("2006-01-02 15:04:05"))
		if sp.Reason != "" {
			note += " (" + sp.Reason + ")"
		}
		fmt.Fprintln(g.stderr, terminal.Escape(note)+"; baton resume "+terminal.Escape(sp.Orchestration)+" lifts it")
	}
	return nil
}
