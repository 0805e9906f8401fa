package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/reconciler"
)

func newApplyCommand(g *globals) *cobra.Command {
	var opts reconciler.ApplyOptions
	var jsonOut bool
	cmd := &cobra.Command{
		Use:   "apply",
		Short: "Apply the source's current revision to the state",
		Long: `Apply fetches the source, validates every file and applies the revision in
one transaction. A revision with any error applies nothing: the last good
revision stays in force.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			rec, done, err := g.newReconciler(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			res, err := rec.Apply(cmd.Context(), opts)
			if err != nil {
				if res != nil && res.Plan != nil && errors.Is(err, reconciler.ErrInvalidRevision) {
					res.Plan.Diagnostics.WriteText(g.stderr)
				}
				return &exitError{code: exitFailure, err: err}
			}
			if res.Applied {
				if err := g.ensureTokensOf(cmd.Context(), rec.Store, res.Plan.Orchestrations()); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("create orchestration tokens: %w", err)}
				}
			}
			return reportApply(g, res, jsonOut)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&opts.AllowMassDelete, "allow-mass-delete", false, "allow deleting more than half of the orchestrations")
	f.BoolVar(&opts.AllowRewrite, "allow-force-push", false, "accept a branch whose history no longer contains the applied commit")
	f.BoolVar(&jsonOut, "json", false, "print the applied plan as JSON")
	return cmd
}

func reportApply(g *globals, res *reconciler.Result, jsonOut bool) error {
	if jsonOut {
		return res.Plan.WriteJSON(g.stdout)
	}
	if !res.Applied {
		fmt.Fprintf(g.stderr, "Revision %s is already applied; nothing to do.\n", res.Plan.Revision.Ref)
		return nil
	}
	if err := res.Plan.WriteText(g.stdout); err != nil {
		return err
	}
	c, u, d := res.Plan.Counts()
	fmt.Fprintf(g.stderr, "Applied revision %s: %d created, %d updated, %d deleted.\n", res.Revision.Ref, c, u, d)
	return nil
}
