package main

import (
	"context"
	"fmt"
	"slices"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newTablesCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "tables",
		Short: "List tables and their last update",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				tables, err := st.Tables(cmd.Context())
				if err != nil {
					return fmt.Errorf("list tables: %w", err)
				}
				if asJSON {
					if tables == nil {
						tables = []state.TableState{}
					}
					return writeJSON(g.stdout, tables)
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "TABLE\tUPDATED\tSOURCE")
				for _, t := range tables {
					fmt.Fprintf(tw, "%s\t%s\t%s\n", terminal.Escape(t.ID), t.UpdatedAt.UTC().Format(time.RFC3339), terminal.Escape(t.Source))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newTablesTouchCommand(g))
	return cmd
}

func newTablesTouchCommand(g *globals) *cobra.Command {
	var serverURL string
	cmd := &cobra.Command{
		Use:   "touch ID...",
		Short: "Record that tables were updated, which may fire event triggers",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, id := range args {
				if err := spec.CheckTableID(id); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("table id %q: %w", id, err)}
				}
			}
			if serverURL != "" {
				for _, id := range args {
					if err := remote(cmd.Context(), serverURL, "POST", "/v1/tables/"+pathEscape(id)+"/updates", nil, nil); err != nil {
						return &exitError{code: exitFailure, err: fmt.Errorf("report update of %s: %w", id, err)}
					}
				}
				fmt.Fprintf(g.stderr, "baton: reported an update of %d table(s)\n", len(args))
				return nil
			}
			return g.withStore(cmd.Context(), func(st state.Store) error {
				now := time.Now().UTC()
				updates := make([]state.TableUpdate, len(args))
				for i, id := range args {
					updates[i] = state.TableUpdate{Table: id, At: now, Source: "cli"}
				}
				if err := st.RecordTableUpdates(cmd.Context(), updates...); err != nil {
					return fmt.Errorf("record table updates: %w", err)
				}
				warnUnknownTables(cmd.Context(), g, st, args)
				// A running watcher evaluates its triggers when woken.
				if err := st.Wake(cmd.Context()); err != nil {
					fmt.Fprintf(g.stderr, "baton: %v; a running baton watch sees the update at its next poll\n", err)
				}
				fmt.Fprintf(g.stderr, "baton: recorded an update of %d table(s)\n", len(args))
				return nil
			})
		},
	}
	cmd.Flags().StringVar(&serverURL, "server", "", "report through the API of a baton watch --listen (token from BATON_TOKEN)")
	return cmd
}

// warnUnknownTables says when a touched table is not known to the applied
// revision: likely a typo, since nothing would react to it.
func warnUnknownTables(ctx context.Context, g *globals, st state.Store, ids []string) {
	objs, err := st.AppliedObjects(ctx)
	if err != nil {
		return
	}
	s, err := spec.FromObjects(objs)
	if err != nil {
		return
	}
	known := map[string]bool{}
	for _, t := range s.Tables {
		known[t.ID] = true
	}
	for _, c := range s.Configurations {
		for _, t := range append(slices.Clone(c.Inputs), c.Outputs...) {
			known[t] = true
		}
	}
	var names []string
	for _, o := range s.Orchestrations {
		if o.Trigger != nil {
			for _, t := range o.Trigger.Tables {
				known[t] = true
			}
		}
	}
	for t := range known {
		names = append(names, t)
	}
	for _, id := range ids {
		if known[id] {
			continue
		}
		hint := ""
		if sug := spec.Suggest(id, names); sug != "" {
			hint = fmt.Sprintf(" (did you mean %q?)", sug)
		}
		fmt.Fprintf(g.stderr, "baton: warning: table %s is not used by the applied revision%s; recorded anyway\n", terminal.Escape(id), terminal.Escape(hint))
	}
}
