package executor

import (
	"context"
	"fmt"
	"slices"
)

// prepared is a task's command, made ready (data dir, config.json, the
// run's token) before its process starts.
type prepared struct {
	cmd Command
	err error
}

// toPrepare is a task to prepare and where its command goes.
type toPrepare struct {
	start taskStart
	ch    chan<- prepared
}

// prepareSoon has t prepared with the other tasks of this round, once the
// round's decisions are made (prepareRound): a task that starts now is
// made ready while its start is being stored, and one that waits for a
// slot while the running ones hold it.
func (d *dispatcher) prepareSoon(t *task) {
	if t.prepared != nil {
		return
	}
	ch := make(chan prepared, 1)
	t.prepared = ch
	d.round = append(d.round, toPrepare{start: taskStart{job: t.job, spec: t.spec, runID: t.run.job.ID, token: &t.run.token}, ch: ch})
}

// prepareRound prepares the tasks of the round in the background, before
// the round is stored: on two cores the data dirs and commands are made
// beside the transaction, not between the process starts after it.
func (d *dispatcher) prepareRound() {
	if len(d.round) == 0 {
		return
	}
	go d.e.prepareAll(context.Background(), d.round)
	d.round = nil
}

// prepareAll prepares tasks in their order, after looking up the tokens
// of all their runs at once.
func (e *Executor) prepareAll(ctx context.Context, tasks []toPrepare) {
	e.lookUpTokens(ctx, tasks)
	for _, t := range tasks {
		cmd, err := e.prepare(ctx, t.start)
		t.ch <- prepared{cmd, err}
	}
}

// lookUpTokens fills in the tokens of the runs of tasks that have none
// yet, in one look-up. When it fails, each task looks its token up alone
// and reports the error.
func (e *Executor) lookUpTokens(ctx context.Context, tasks []toPrepare) {
	if e.cfg.Tokens == nil {
		return
	}
	var names []string
	for _, t := range tasks {
		if t.start.token.needed() && !slices.Contains(names, t.start.job.Orchestration) {
			names = append(names, t.start.job.Orchestration)
		}
	}
	if len(names) == 0 {
		return
	}
	secrets, err := e.cfg.Tokens(ctx, names)
	if err != nil {
		return
	}
	for _, t := range tasks {
		if secret, ok := secrets[t.start.job.Orchestration]; ok && t.start.token != nil {
			t.start.token.fill(secret)
		}
	}
}

// tokenOf looks up the token of one orchestration.
func (e *Executor) tokenOf(ctx context.Context, orchestration string) (string, error) {
	secrets, err := e.cfg.Tokens(ctx, []string{orchestration})
	if err != nil {
		return "", err
	}
	secret, ok := secrets[orchestration]
	if !ok {
		return "", fmt.Errorf("orchestration %s has no token; baton tokens refresh --orchestration %s makes one", orchestration, orchestration)
	}
	return secret, nil
}
