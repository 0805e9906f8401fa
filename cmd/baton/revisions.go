package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/health"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newRevisionsCommand(g *globals) *cobra.Command {
	var (
		limit      int
		asJSON     bool
		staleAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:   "revisions",
		Short: "List applied revisions, newest first, and whether the source is stale",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				revs, err := st.Revisions(cmd.Context(), limit)
				if err != nil {
					return err
				}
				status, err := st.SourceStatus(cmd.Context())
				if err != nil {
					return err
				}
				if asJSON {
					if revs == nil {
						revs = []state.Revision{}
					}
					problems := []health.Problem{}
					if p, bad := health.SourceProblem(status, time.Now(), staleAfter); bad {
						problems = append(problems, p)
					}
					return writeJSON(g.stdout, struct {
						Source    state.SourceStatus `json:"source"`
						Revisions []state.Revision   `json:"revisions"`
						Ready     bool               `json:"ready"`
						Problems  []health.Problem   `json:"problems"`
					}{status, revs, len(problems) == 0, problems})
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tREVISION\tAPPLIED\tAUTHOR\tMESSAGE")
				for _, r := range revs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\n", r.ID, terminal.Escape(shortRevision(r.Ref)), r.AppliedAt.Format(time.RFC3339), terminal.Escape(r.Author), terminal.Escape(firstLine(r.Message)))
				}
				if err := tw.Flush(); err != nil {
					return err
				}
				if status.RefusedReason != "" {
					fmt.Fprintf(g.stderr, "baton: revision %s was refused at %s: %s\n", shortRevision(status.AttemptRef), status.AttemptAt.Format(time.RFC3339), terminal.EscapeLines(status.RefusedReason))
				}
				// The same words as /readyz and the web UI's banner.
				if p, bad := health.SourceProblem(status, time.Now(), staleAfter); bad {
					fmt.Fprintf(g.stderr, "baton: not ready since %s: %s\n", p.Since.Format(time.RFC3339), terminal.EscapeLines(p.Reason))
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many revisions")
	cmd.Flags().DurationVar(&staleAfter, "stale-after", 0, "how long fetching the source may fail before it counts as not ready (as baton watch --stale-after)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func firstLine(s string) string {
	for i, r := range s {
		if r == '\n' {
			return s[:i]
		}
	}
	return s
}
