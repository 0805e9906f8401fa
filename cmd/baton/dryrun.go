package main

import (
	"context"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/preview"
	"github.com/baton-dev/baton/state"
)

// dryRun prints the job a manual run would queue, and queues nothing.
func (g *globals) dryRun(ctx context.Context, req executor.Request, asJSON bool) error {
	req.Trigger = executor.TriggerManual
	return g.withStore(ctx, func(st state.Store) error {
		run, err := preview.DryRun(ctx, g.newExecutor(st, nil), req)
		if err != nil {
			return &exitError{code: exitFailure, err: err}
		}
		if asJSON {
			return writeJSON(g.stdout, run)
		}
		run.WriteText(g.stdout)
		return nil
	})
}
