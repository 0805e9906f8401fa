package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/controller"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/reconciler"
	"github.com/baton-dev/baton/state"
)

func newReconcileCommand(g *globals) *cobra.Command {
	var (
		once   bool
		runs   []string
		opts   reconciler.ApplyOptions
		grace  time.Duration
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "reconcile --once",
		Short: "Fetch, apply, run what is queued until the queue is empty",
		Long: `Reconcile --once fetches the source, applies its current revision (an invalid
revision applies nothing and the last good one stays in force), queues the
orchestrations named with --run, fires every schedule that became due since
the last reconcile (each once, however long ago) and every satisfied event
trigger, runs every queued job until the queue is empty (jobs whose outputs
satisfy further triggers fire those too). A CI job or a system cron can
drive baton with it and branch on its exit code:

  0  everything applied and every job ended success or warning
  1  a job ended error, cancelled or terminated (or another failure)
  3  the revision was refused: invalid, or a guard (mass delete, force-push)
  4  the source could not be fetched
  5  another executor holds the state (a baton watch is running)

When several apply, the highest wins.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !once {
				return &exitError{code: exitFailure, err: errors.New("reconcile runs once: pass --once (baton watch reconciles continuously)")}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			rec, done, err := g.newReconciler(ctx)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			defer done()
			ex := g.newExecutor(rec.Store, rec.Source)
			var requests []executor.Request
			for _, name := range runs {
				requests = append(requests, executor.Request{Orchestration: name, Trigger: executor.TriggerManual, TriggeredBy: currentUser()})
			}
			c := &controller.Controller{
				Reconciler: rec,
				Executor:   ex,
				Clock:      clock.Real(),
				Grace:      grace,
				Logger:     g.logger(),
				Notifier:   g.notifier(rec.Store, g.logger()),
				Progress:   g.stderr,
				AfterApply: func(ctx context.Context) error {
					if err := g.ensureTokens(ctx, rec.Store); err != nil {
						return fmt.Errorf("create orchestration tokens: %w", err)
					}
					return nil
				},
			}
			res, err := c.Once(ctx, controller.OnceOptions{Apply: opts, Run: requests})
			if err != nil {
				return &exitError{code: onceExitCode(res.ApplyErr, err, 0), err: err}
			}
			failed := 0
			jobs := []state.Job{}
			for _, full := range res.Ended {
				jobs = append(jobs, full)
				if !asJSON {
					writeSummary(g.stderr, full)
				}
				if failedStatus(full.Status) {
					failed++
				}
			}
			if asJSON {
				if err := writeJSON(g.stdout, jobs); err != nil {
					return err
				}
			}
			if code := onceExitCode(res.ApplyErr, nil, failed); code != exitOK {
				var err error
				if failed > 0 {
					err = fmt.Errorf("%d job(s) ended error, cancelled or terminated", failed)
				}
				return &exitError{code: code, err: err}
			}
			return nil
		},
	}
	f := cmd.Flags()
	f.BoolVar(&once, "once", false, "reconcile once and exit")
	f.StringSliceVar(&runs, "run", nil, "also queue a manual run of these orchestrations")
	f.BoolVar(&opts.AllowMassDelete, "allow-mass-delete", false, "allow deleting more than half of the orchestrations")
	f.BoolVar(&opts.AllowRewrite, "allow-force-push", false, "accept a branch whose history no longer contains the applied commit")
	f.DurationVar(&grace, "grace", 30*time.Second, "on SIGTERM, how long running tasks may finish before they are terminated")
	f.BoolVar(&asJSON, "json", false, "print the jobs that ended as JSON")
	return cmd
}

// Exit codes of reconcile --once beside exitOK and exitFailure.
const (
	exitRefused     = 3
	exitUnavailable = 4
	exitBusy        = 5
)

// onceExitCode maps the outcome of reconcile --once to the code a CI job
// branches on; when several apply, the highest wins.
func onceExitCode(applyErr, runErr error, failedJobs int) int {
	switch {
	case errors.Is(runErr, state.ErrBusy):
		return exitBusy
	case errors.Is(applyErr, reconciler.ErrSourceUnavailable):
		return exitUnavailable
	case reconciler.Refused(applyErr):
		return exitRefused
	case runErr != nil, applyErr != nil, failedJobs > 0:
		return exitFailure
	}
	return exitOK
}
