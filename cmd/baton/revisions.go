package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newRevisionsCommand(g *globals) *cobra.Command {
	var (
		limit  int
		asJSON bool
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
					return writeJSON(g.stdout, struct {
						Source    state.SourceStatus `json:"source"`
						Revisions []state.Revision   `json:"revisions"`
					}{status, revs})
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
					fmt.Fprintf(g.stderr, "baton: revision %s was refused at %s: %s\n", shortRevision(status.AttemptRef), status.AttemptAt.Format(time.RFC3339), status.RefusedReason)
				}
				if !status.StaleSince.IsZero() {
					fmt.Fprintf(g.stderr, "baton: the source is stale since %s: %s\n", status.StaleSince.Format(time.RFC3339), terminal.EscapeLines(status.LastError))
				}
				return nil
			})
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 20, "how many revisions")
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
