package main

import (
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

// nodeView is a node as baton nodes shows it.
type nodeView struct {
	state.Node
	// Status is leading, standby, stopped or lost (no heartbeat for
	// longer than --lost-after).
	Status string `json:"status"`
	// RunningTasks counts the node's task processes.
	RunningTasks int `json:"running_tasks"`
}

func newNodesCommand(g *globals) *cobra.Command {
	var (
		asJSON    bool
		lostAfter time.Duration
	)
	cmd := &cobra.Command{
		Use:         "nodes",
		Annotations: readsStateOnlyAnnotation,
		Short:       "List the baton watch nodes that share the state, which one leads, and their heartbeats",
		Long: `Nodes lists the baton watch processes started with --node on this state: the
one that leads (it applies, fires and runs tasks), the standbys that take over
when it is lost, and those that stopped or went silent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				nodes, err := st.Nodes(cmd.Context())
				if err != nil {
					return err
				}
				now := time.Now()
				running, err := state.RunningByNode(cmd.Context(), st, nodes, now, lostAfter)
				if err != nil {
					return err
				}
				views := make([]nodeView, len(nodes))
				for i, n := range nodes {
					views[i] = nodeView{Node: n, Status: n.Status(now, lostAfter), RunningTasks: running[n.Name]}
				}
				if asJSON {
					return writeJSON(g.stdout, views)
				}
				if len(views) == 0 {
					fmt.Fprintln(g.stderr, "baton: no nodes; start baton watch with --node NAME to share this state between watchers")
					return nil
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "NODE\tSTATUS\tSLOTS\tRUNNING\tHEARTBEAT\tPROCESS")
				for _, v := range views {
					slots := "max_parallel_jobs"
					if v.Slots > 0 {
						slots = fmt.Sprint(v.Slots)
					}
					fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s ago\t%s\n", terminal.Escape(v.Name), v.Status, slots, v.RunningTasks,
						now.Sub(v.HeartbeatAt).Round(time.Second), terminal.Escape(v.Process))
				}
				return tw.Flush()
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().DurationVar(&lostAfter, "lost-after", state.LostAfter, "a node without a heartbeat for this long is shown lost")
	return cmd
}
