package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/terminal"
)

func newJobsCommand(g *globals) *cobra.Command {
	var (
		orchestration string
		statusFlag    []string
		limit         int
		before        int64
		asJSON        bool
	)
	cmd := &cobra.Command{
		Use:         "jobs",
		Annotations: readsStateOnlyAnnotation,
		Short:       "List jobs, newest first",
		Long: `Jobs lists orchestration jobs, newest first. Page back with --before ID
(the smallest id of the previous page).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			filter := state.JobFilter{Orchestration: orchestration, Kind: state.KindOrchestrationJob, Limit: limit, BeforeID: state.JobID(before)}
			for _, s := range statusFlag {
				js, err := state.ParseJobStatus(s)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				filter.Statuses = append(filter.Statuses, js)
			}
			return g.withStore(cmd.Context(), func(st state.Store) error {
				jobs, err := st.ListJobs(cmd.Context(), filter)
				if err != nil {
					return fmt.Errorf("list jobs: %w", err)
				}
				if asJSON {
					if jobs == nil {
						jobs = []state.Job{}
					}
					return writeJSON(g.stdout, jobs)
				}
				tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
				fmt.Fprintln(tw, "ID\tORCHESTRATION\tSTATUS\tTRIGGER\tCREATED\tDURATION")
				for _, j := range jobs {
					fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", j.ID, terminal.Escape(j.Orchestration), j.Status, j.Trigger, j.CreatedAt.Local().Format("2006-01-02 15:04:05"), duration(j.StartedAt, j.FinishedAt))
				}
				tw.Flush()
				if len(jobs) == limit && limit > 0 {
					fmt.Fprintf(g.stderr, "more: baton jobs --before %d\n", jobs[len(jobs)-1].ID)
				}
				return g.noteSuspended(cmd.Context(), st, orchestration)
			})
		},
	}
	f := cmd.Flags()
	f.StringVar(&orchestration, "orchestration", "", "only jobs of this orchestration")
	f.StringSliceVar(&statusFlag, "status", nil, "only jobs with these statuses")
	f.IntVar(&limit, "limit", 20, "jobs per page")
	f.Int64Var(&before, "before", 0, "only jobs with a smaller id (the next page)")
	f.BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newJobsShowCommand(g), newJobsLogsCommand(g), newJobsRetryCommand(g), newJobsCancelCommand(g))
	return cmd
}

func parseJobID(s string) (state.JobID, error) {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n <= 0 {
		return 0, fmt.Errorf("job id %q is not a number; baton jobs lists them", s)
	}
	return state.JobID(n), nil
}

// withJob opens the state and reads the job named by the argument.
func (g *globals) withJob(ctx context.Context, arg string, fn func(state.Store, state.Job) error) error {
	id, err := parseJobID(arg)
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	st, err := g.openStore(ctx)
	if err != nil {
		return err
	}
	defer st.Close()
	job, err := st.Job(ctx, id)
	if errors.Is(err, state.ErrNotFound) {
		return &exitError{code: exitFailure, err: fmt.Errorf("job %d does not exist in %s; baton jobs lists the jobs", id, g.stateName())}
	}
	if err != nil {
		return &exitError{code: exitFailure, err: err}
	}
	return fn(st, job)
}

func newJobsShowCommand(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:         "show ID",
		Annotations: readsStateOnlyAnnotation,
		Short:       "Show a job: its phases, tasks, statuses, times and messages",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withJob(cmd.Context(), args[0], func(_ state.Store, job state.Job) error {
				if asJSON {
					return writeJSON(g.stdout, job)
				}
				showJob(g.stdout, job)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func showJob(w io.Writer, j state.Job) {
	fmt.Fprintf(w, "job %d: %s\n", j.ID, terminal.Escape(j.Orchestration))
	fmt.Fprintf(w, "  status:    %s\n", j.Status)
	if j.Message != "" {
		fmt.Fprintf(w, "  message:   %s\n", terminal.Escape(j.Message))
	}
	fmt.Fprintf(w, "  trigger:   %s", j.Trigger)
	if j.TriggeredBy != "" {
		fmt.Fprintf(w, " by %s", terminal.Escape(j.TriggeredBy))
	}
	fmt.Fprintln(w)
	if j.RetryOf != 0 {
		fmt.Fprintf(w, "  retry of:  %d\n", j.RetryOf)
	}
	fmt.Fprintf(w, "  revision:  %s\n", terminal.Escape(j.Revision))
	fmt.Fprintf(w, "  created:   %s\n", stamp(j.CreatedAt))
	fmt.Fprintf(w, "  started:   %s\n", stamp(j.StartedAt))
	fmt.Fprintf(w, "  finished:  %s\n", stamp(j.FinishedAt))
	fmt.Fprintf(w, "  duration:  %s\n", duration(j.StartedAt, j.FinishedAt))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	phase := ""
	for _, t := range j.Tasks {
		if t.Phase != phase {
			phase = t.Phase
			fmt.Fprintf(tw, "\nphase %s\n", terminal.Escape(phase))
			fmt.Fprintln(tw, "  TASK\tJOB\tSTATUS\tSTARTED\tDURATION\tPARALLEL WITH\tMESSAGE")
		}
		fmt.Fprintf(tw, "  %s\t%d\t%s\t%s\t%s\t%s\t%s\n", terminal.Escape(t.Task), t.ID, t.Status, clockTime(t.StartedAt), duration(t.StartedAt, t.FinishedAt), terminal.Escape(strings.Join(parallelWith(j.Tasks, t), ", ")), terminal.Escape(t.Message))
	}
	tw.Flush()
}

// parallelWith names the tasks whose runs overlapped t's.
func parallelWith(tasks []state.Job, t state.Job) []string {
	if t.StartedAt.IsZero() {
		return nil
	}
	end := t.FinishedAt
	if end.IsZero() {
		end = time.Now()
	}
	var out []string
	for _, o := range tasks {
		if o.ID == t.ID || o.StartedAt.IsZero() {
			continue
		}
		oend := o.FinishedAt
		if oend.IsZero() {
			oend = time.Now()
		}
		if o.StartedAt.Before(end) && t.StartedAt.Before(oend) {
			out = append(out, o.Task)
		}
	}
	return out
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format(time.RFC3339)
}

func clockTime(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.Local().Format("15:04:05.000")
}

func newJobsLogsCommand(g *globals) *cobra.Command {
	var followFlag bool
	cmd := &cobra.Command{
		Use:         "logs ID",
		Annotations: readsStateOnlyAnnotation,
		Short:       "Print the output of a job's tasks (-f follows a running job)",
		Args:        cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return g.withJob(ctx, args[0], func(st state.Store, job state.Job) error {
				out := g.stdout
				if isTerminal(out) {
					// Task output may hold escape sequences from anywhere;
					// a terminal shows them, a pipe gets the bytes.
					out = &terminal.Writer{W: out}
				}
				return printLogs(ctx, out, st, job, followFlag)
			})
		},
	}
	cmd.Flags().BoolVarP(&followFlag, "follow", "f", false, "keep printing until the job ends")
	return cmd
}

// printLogs prints each task's log under a header; with follow it prints
// what the tasks write until the job ends. A task that runs on another
// node is read from what the state keeps of its log (a PostgreSQL state:
// the node copies the output there every second or so).
func printLogs(ctx context.Context, w io.Writer, st state.Store, job state.Job, followLogs bool) error {
	logs := executor.LogsOf(st)
	offsets := map[state.JobID]int64{}
	headed := map[state.JobID]bool{}
	// done holds the tasks printed to their end (or said where their log
	// is): a task's whole log is kept before it is seen ended.
	done := map[state.JobID]bool{}
	for {
		tasks := job.Tasks
		if job.Kind == state.KindTaskJob {
			tasks = []state.Job{job}
		}
		for _, t := range tasks {
			if t.LogPath == "" || done[t.ID] {
				continue // not started, or printed
			}
			b, ok := executor.ReadLog(ctx, logs, t, offsets[t.ID], 0)
			if !ok && !t.Status.Terminal() {
				continue // nothing written yet
			}
			if !headed[t.ID] && len(tasks) > 1 {
				fmt.Fprintf(w, "==> %s/%s (job %d, %s) <==\n", terminal.Escape(t.Phase), terminal.Escape(t.Task), t.ID, t.Status)
				headed[t.ID] = true
			}
			if !ok {
				fmt.Fprintf(w, "baton: %s\n", terminal.Escape(executor.MissingLog(logs, t)))
				done[t.ID] = true
				continue
			}
			_, _ = w.Write(b)
			offsets[t.ID] += int64(len(b))
			done[t.ID] = t.Status.Terminal()
		}
		if !followLogs || job.Status.Terminal() {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(200 * time.Millisecond):
		}
		next, err := st.Job(context.WithoutCancel(ctx), job.ID)
		if err != nil {
			return fmt.Errorf("read job %d: %w", job.ID, err)
		}
		job = next
	}
}

func newJobsRetryCommand(g *globals) *cobra.Command {
	var (
		tasks  []string
		all    bool
		detach bool
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "retry ID",
		Short: "Run a finished job's failed tasks again",
		Long: `Retry queues a new job of the orchestration of job ID. By default it runs the
failed tasks and every task of failed or not-executed phases; tasks that
succeeded are never run again unless named with --tasks, or with --all.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if all && len(tasks) > 0 {
				return &exitError{code: exitFailure, err: fmt.Errorf("--tasks and --all exclude each other")}
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			return g.withJob(ctx, args[0], func(st state.Store, old state.Job) error {
				if all {
					for _, t := range old.Tasks {
						tasks = append(tasks, t.Task)
					}
				}
				ex := g.newExecutor(st, nil)
				job, err := ex.Retry(ctx, old.ID, tasks, currentUser())
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				return g.followOrDetach(ctx, st, ex, job, detach, asJSON)
			})
		},
	}
	f := cmd.Flags()
	f.StringSliceVar(&tasks, "tasks", nil, "run these tasks instead of the default selection")
	f.BoolVar(&all, "all", false, "run every task again")
	f.BoolVar(&detach, "detach", false, "queue the job and return at once")
	f.BoolVar(&asJSON, "json", false, "print the job as JSON")
	return cmd
}

func newJobsCancelCommand(g *globals) *cobra.Command {
	var asJSON, onlyTask bool
	cmd := &cobra.Command{
		Use:   "cancel ID",
		Short: "Cancel a job: unstarted tasks are skipped, running ones stopped",
		Long: `Cancel ends an orchestration job: unstarted tasks are skipped, running ones
stopped. With --task, ID is a task job and only that task is cancelled; its
orchestration job then ends as after a failed task.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return g.withJob(cmd.Context(), args[0], func(st state.Store, job state.Job) error {
				ex := g.newExecutor(st, nil)
				cancel := ex.Cancel
				if onlyTask {
					cancel = ex.CancelTask
				}
				job, err := cancel(cmd.Context(), job.ID)
				if err != nil {
					return &exitError{code: exitFailure, err: err}
				}
				if asJSON {
					return writeJSON(g.stdout, job)
				}
				fmt.Fprintf(g.stderr, "baton: cancel of job %d requested\n", job.ID)
				return nil
			})
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print the job as JSON")
	cmd.Flags().BoolVar(&onlyTask, "task", false, "ID is a task job: cancel only that task")
	return cmd
}
