package main

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/retention"
	"github.com/baton-dev/baton/state"
)

func newGCCommand(g *globals) *cobra.Command {
	var (
		dryRun bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "gc",
		Short: "Delete ended jobs, logs and data dirs older than the project's retention",
		Long: `Gc does now what baton watch does every hour: it deletes ended jobs older
than project { retention { jobs = "90d" } } and the logs and data dirs of
tasks that ended longer ago than retention { logs = "14d" } (the defaults).
Running jobs, the last job of each orchestration and the original of a kept
retry stay. With --dry-run it only says what it would free.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return g.withStore(cmd.Context(), func(st state.Store) error {
				policy, err := retention.PolicyOf(cmd.Context(), st)
				if err != nil {
					return err
				}
				sw := &retention.Sweeper{Store: st, JobsDir: g.jobsDir(), Clock: clock.Real()}
				// A running watcher may be storing new jobs whose data
				// dirs exist already; it sweeps the files of jobs the
				// state does not know itself.
				if running, err := st.ExecutorRunning(cmd.Context()); err != nil || running {
					sw.KeepUnknown = true
				}
				rep, err := sw.Sweep(cmd.Context(), policy, dryRun)
				if err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("gc: %w (what was freed before stays freed; run it again)", err)}
				}
				if asJSON {
					return writeJSON(g.stdout, rep)
				}
				verb := "freed"
				if dryRun {
					verb = "would free"
				}
				records := ""
				if !dryRun {
					records = fmt.Sprintf(" (%d records with their tasks)", rep.Records)
				}
				fmt.Fprintf(g.stdout, "gc %s %d jobs%s and %d files of %s; keeping jobs %s and logs %s\n",
					verb, rep.Jobs, records, rep.Files, bytesText(rep.Bytes), days(policy.Jobs), days(policy.Logs))
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be freed and delete nothing")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func bytesText(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d B", n)
}

// days writes a retention period as the files do: "90d", else Go's text.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}
