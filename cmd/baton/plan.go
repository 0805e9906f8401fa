package main

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/reconciler"
)

func newPlanCommand(g *globals) *cobra.Command {
	var (
		format           string
		detailedExitcode bool
		base, head       string
		opts             reconciler.ApplyOptions
	)
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Show what apply would change",
		Long: `Plan fetches the source and compares its current revision with the applied
state. With --base (and optionally --head) it compares two revisions of a Git
source instead, without touching the state: the pull-request review.

The plan predicts apply: its findings (errors of the files, review checks,
and apply's guards against a force-push or a mass delete) are shown in every
format, and a plan that apply would refuse exits 1.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if format != "text" && format != "json" && format != "markdown" {
				return &exitError{code: exitFailure, err: fmt.Errorf("--format %q: use text, json or markdown", format)}
			}
			if head != "" && base == "" {
				return &exitError{code: exitFailure, err: errors.New("--head needs --base")}
			}
			rec, done, err := g.newPlanReconciler(cmd.Context())
			if err != nil {
				return err
			}
			defer done()
			var plan *reconciler.Plan
			if base != "" {
				plan, err = rec.PlanRevisions(cmd.Context(), base, head)
			} else {
				plan, err = rec.Plan(cmd.Context(), opts)
			}
			if plan != nil {
				if werr := writePlan(g, plan, format); werr != nil {
					return werr
				}
				if base == "" {
					// Applying does not lift a suspension: say which stay paused.
					if werr := g.noteSuspended(cmd.Context(), rec.Store, ""); werr != nil {
						return werr
					}
				}
			}
			if err != nil {
				if plan != nil && reconciler.Refused(err) {
					return &exitError{code: exitFailure} // the plan says why
				}
				return &exitError{code: exitFailure, err: err}
			}
			if detailedExitcode && plan.HasChanges() {
				return &exitError{code: exitChanges}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.StringVar(&format, "format", "text", "output format: text, json or markdown")
	f.BoolVar(&detailedExitcode, "detailed-exitcode", false, "exit 0 for no changes, 1 for errors, 2 for changes")
	f.StringVar(&base, "base", "", "compare this revision of the Git source (anything git rev-parse accepts: origin/main, a hash, HEAD~1) ...")
	f.StringVar(&head, "head", "", "... with this one (default: the current revision of --ref)")
	f.BoolVar(&opts.AllowMassDelete, "allow-mass-delete", false, "plan as apply --allow-mass-delete would")
	f.BoolVar(&opts.AllowRewrite, "allow-force-push", false, "plan as apply --allow-force-push would")
	return cmd
}

func writePlan(g *globals, plan *reconciler.Plan, format string) error {
	var err error
	switch format {
	case "json":
		err = plan.WriteJSON(g.stdout)
	case "markdown":
		err = plan.WriteMarkdown(g.stdout)
	default:
		err = plan.WriteText(g.stdout)
	}
	if err != nil {
		return fmt.Errorf("write plan: %w", err)
	}
	return nil
}
