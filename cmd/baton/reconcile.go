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
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/notify"
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
satisfy further triggers fire those too), and exits 1 when the revision was invalid or a job ended error,
cancelled or terminated. A CI job or a system cron can drive baton with it.`,
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
			var applyErr error
			res, err := rec.Apply(ctx, opts)
			switch {
			case err != nil:
				if res != nil && res.Plan != nil && errors.Is(err, reconciler.ErrInvalidRevision) {
					res.Plan.Diagnostics.WriteText(g.stderr)
				}
				applyErr = err
				fmt.Fprintf(g.stderr, "baton: %v\n", err)
			case res.Applied:
				c, u, d := res.Plan.Counts()
				fmt.Fprintf(g.stderr, "baton: applied revision %s (%d created, %d updated, %d deleted)\n", shortRevision(res.Revision.Ref), c, u, d)
				if err := g.ensureTokens(ctx, rec.Store); err != nil {
					return &exitError{code: exitFailure, err: fmt.Errorf("create orchestration tokens: %w", err)}
				}
			default:
				fmt.Fprintf(g.stderr, "baton: revision %s is already applied\n", shortRevision(res.Plan.Revision.Ref))
			}
			ex := g.newExecutor(rec.Store, rec.Source)
			for _, name := range runs {
				job, err := ex.Submit(ctx, executor.Request{Orchestration: name, Trigger: executor.TriggerManual, TriggeredBy: currentUser()})
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				fmt.Fprintf(g.stderr, "baton: queued job %d of %s\n", job.ID, name)
			}
			ended, err := runQueue(ctx, g, rec, ex, grace)
			if err != nil {
				return &exitError{code: exitFailure, err: err}
			}
			// Deliver the notifications of the jobs that ended; what fails
			// stays in the outbox for the next reconcile or watcher.
			notifier := &notify.Worker{Store: rec.Store, Clock: clock.Real(), SMTPURL: os.Getenv("BATON_SMTP_URL"), Logger: g.logger()}
			if err := notifier.SendPending(ctx); err != nil {
				fmt.Fprintf(g.stderr, "baton: send notifications: %v\n", err)
			}
			failed := 0
			jobs := []state.Job{}
			for _, j := range ended {
				full, err := rec.Store.Job(ctx, j.ID)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
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
			switch {
			case applyErr != nil:
				return &exitError{code: exitFailure}
			case failed > 0:
				return &exitError{code: exitFailure, err: fmt.Errorf("%d job(s) ended error, cancelled or terminated", failed)}
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

// runQueue fires what is due and runs the queue empty; a job's output
// tables may satisfy further event triggers, which run in the next round.
func runQueue(ctx context.Context, g *globals, rec *reconciler.Reconciler, ex *executor.Executor, grace time.Duration) ([]state.Job, error) {
	watched, err := reconciler.WatchedTables(ctx, rec.Store)
	if err != nil {
		return nil, fmt.Errorf("read watched tables: %w", err)
	}
	if err := reconciler.RecordStaleWatchedTables(ctx, rec.Store, watched); err != nil {
		return nil, fmt.Errorf("record watched tables: %w", err)
	}
	now := time.Now()
	fired, _, err := ex.FireDue(ctx, now)
	if err != nil {
		return nil, err
	}
	for _, j := range fired {
		fmt.Fprintf(g.stderr, "baton: schedule fired job %d of %s\n", j.ID, j.Orchestration)
	}
	var ended []state.Job
	const maxRounds = 10
	for round := 0; round < maxRounds; round++ {
		triggered, err := ex.FireTriggers(ctx, time.Now())
		if err != nil {
			return ended, err
		}
		for _, j := range triggered {
			fmt.Fprintf(g.stderr, "baton: event trigger fired job %d of %s\n", j.ID, j.Orchestration)
		}
		if round > 0 && len(triggered) == 0 {
			break
		}
		e, err := ex.Run(ctx, executor.RunOptions{UntilIdle: true, Grace: grace})
		ended = append(ended, e...)
		if err != nil || ctx.Err() != nil {
			return ended, err
		}
	}
	return ended, nil
}
