// Command benchnodes is the multi-node benchmark of make bench-nodes: on a
// throwaway PostgreSQL cluster it runs one orchestration of N tasks of
// 100 ms (each its own configuration, so all may run in parallel) with 1
// baton watch node × 2 slots and with 3 nodes × 2 slots, and prints each
// wall time, the throughput ratio, and the fire -> start latency over
// PostgreSQL: a job queued by `baton run --detach` (its created_at) to the
// time its task process writes when it starts.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/postgres"
	"github.com/baton-dev/baton/state/postgres/pgtest"
)

type config struct {
	baton    string
	tasks    int
	slots    int
	parallel int
	samples  int
	work     string
	pg       *pgtest.Cluster
}

// result is what one cluster size measured.
type result struct {
	nodes     int
	wall      time.Duration
	perNode   map[string]int
	latencies []time.Duration
}

func main() {
	c := config{}
	flag.StringVar(&c.baton, "baton", "", "the baton binary to benchmark")
	flag.IntVar(&c.tasks, "tasks", envInt("BENCH_NODE_TASKS", 1000), "tasks of 100 ms in the orchestration (BENCH_NODE_TASKS)")
	flag.IntVar(&c.slots, "slots", 2, "--slots of every node")
	flag.IntVar(&c.parallel, "max-parallel", 6, "the project's max_parallel_jobs")
	flag.IntVar(&c.samples, "samples", envInt("BENCH_NODE_SAMPLES", 100), "runs queued one by one for the fire -> start latency (BENCH_NODE_SAMPLES)")
	flag.Parse()
	if c.baton == "" {
		fmt.Fprintln(os.Stderr, "usage: benchnodes -baton PATH [-tasks N] [-samples N]")
		os.Exit(2)
	}
	// Ctrl-C ends the waits, so the nodes and the cluster are still stopped.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, c)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchnodes:", err)
		os.Exit(1)
	}
}

func envInt(name string, def int) int {
	if n, err := strconv.Atoi(os.Getenv(name)); err == nil && n > 0 {
		return n
	}
	return def
}

func run(ctx context.Context, c config) error {
	bin, err := pgtest.FindBin()
	if err != nil {
		return err
	}
	if c.baton, err = filepath.Abs(c.baton); err != nil {
		return err
	}
	if c.work, err = os.MkdirTemp("", "baton-bench-nodes-"); err != nil {
		return err
	}
	defer os.RemoveAll(c.work)
	if c.pg, err = pgtest.Start(bin); err != nil {
		return err
	}
	defer c.pg.Stop()
	if err := writeProject(c); err != nil {
		return err
	}
	fmt.Printf("%d tasks of 100 ms (sleep 0.1), max_parallel_jobs = %d, PostgreSQL from %s\n", c.tasks, c.parallel, bin)
	var results []result
	for _, nodes := range []int{1, 3} {
		r, err := measure(ctx, c, nodes)
		if err != nil {
			return fmt.Errorf("%d node(s): %w", nodes, err)
		}
		results = append(results, r)
		fmt.Printf("  %d node(s) x %d slots: %8.2f s wall, %6.1f tasks/s; tasks per node: %s\n",
			nodes, c.slots, r.wall.Seconds(), float64(c.tasks)/r.wall.Seconds(), perNode(r.perNode))
	}
	one, three := results[0], results[1]
	fmt.Printf("  throughput 3 nodes / 1 node = %.2f (3 is every node's slots used)\n", one.wall.Seconds()/three.wall.Seconds())
	fmt.Printf("fire -> start over PostgreSQL (baton run --detach, created_at -> the task's own start stamp), %d runs one by one:\n", c.samples)
	for _, r := range results {
		fmt.Printf("  %d node(s): p50 %6.1f ms  p99 %6.1f ms  max %6.1f ms\n", r.nodes,
			ms(quantile(r.latencies, 0.50)), ms(quantile(r.latencies, 0.99)), ms(quantile(r.latencies, 1)))
	}
	return nil
}

// writeProject writes the source: the wide orchestration and a ping whose
// task prints the time it started.
func writeProject(c config) error {
	dir := filepath.Join(c.work, "src")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var b strings.Builder
	fmt.Fprintf(&b, "project {\n  max_parallel_jobs = %d\n}\n", c.parallel)
	fmt.Fprintf(&b, "configuration \"ping\" {\n  command = [\"date\", \"+%%s%%N\"]\n}\n")
	fmt.Fprintf(&b, "orchestration \"ping\" {\n  phase \"p\" {\n    task \"t\" { configuration = \"ping\" }\n  }\n}\n")
	for i := range c.tasks {
		fmt.Fprintf(&b, "configuration \"c%d\" {\n  command = [\"sleep\", \"0.1\"]\n}\n", i)
	}
	b.WriteString("orchestration \"wide\" {\n  phase \"all\" {\n")
	for i := range c.tasks {
		fmt.Fprintf(&b, "    task \"t%d\" { configuration = \"c%d\" }\n", i, i)
	}
	b.WriteString("  }\n}\n")
	return os.WriteFile(filepath.Join(dir, "baton.hcl"), []byte(b.String()), 0o644)
}

// measure starts nodes watchers on a fresh database, measures the latency
// and then the wide run, and stops them.
func measure(ctx context.Context, c config, nodes int) (result, error) {
	r := result{nodes: nodes, perNode: map[string]int{}}
	dsn, err := createDatabase(ctx, c.pg, fmt.Sprintf("bench_%d_nodes", nodes))
	if err != nil {
		return r, err
	}
	st, err := postgres.Open(ctx, dsn)
	if err != nil {
		return r, err
	}
	defer st.Close()
	dir := filepath.Join(c.work, fmt.Sprintf("%d-nodes", nodes))
	stop, err := startNodes(c, dsn, dir, nodes)
	defer stop()
	if err != nil {
		return r, err
	}
	if err := waitUntil(ctx, 2*time.Minute, "the nodes to start and one to lead", func() (bool, error) {
		ns, err := st.Nodes(ctx)
		if err != nil || len(ns) < nodes {
			return false, nil
		}
		_, err = st.CurrentRevision(ctx)
		return err == nil && slices.ContainsFunc(ns, func(n state.Node) bool { return n.Leading }), nil
	}); err != nil {
		return r, err
	}
	queue := func(name string) (state.Job, error) {
		out, err := exec.Command(c.baton, "--state", dsn, "--data-dir", filepath.Join(dir, "client"), "run", name, "--detach", "--json").Output()
		if err != nil {
			return state.Job{}, fmt.Errorf("baton run %s: %w", name, describe(err))
		}
		var job state.Job
		return job, json.Unmarshal(out, &job)
	}
	for range c.samples {
		job, err := queue("ping")
		if err != nil {
			return r, err
		}
		ended, err := waitEnded(ctx, st, job.ID, time.Millisecond)
		if err != nil {
			return r, err
		}
		started, err := taskStamp(ctx, st, ended)
		if err != nil {
			return r, err
		}
		r.latencies = append(r.latencies, started.Sub(job.CreatedAt))
	}
	job, err := queue("wide")
	if err != nil {
		return r, err
	}
	ended, err := waitEnded(ctx, st, job.ID, 50*time.Millisecond)
	if err != nil {
		return r, err
	}
	if ended.Status != state.JobSuccess {
		return r, fmt.Errorf("the wide job ended %s: %s", ended.Status, ended.Message)
	}
	r.wall = ended.FinishedAt.Sub(ended.CreatedAt)
	// A node makes the data dir of a task it runs in its own data dir.
	for i := 1; i <= nodes; i++ {
		name := fmt.Sprintf("n%d", i)
		r.perNode[name] = 0
		for _, t := range ended.Tasks {
			if _, err := os.Stat(filepath.Join(dir, name, "jobs", strconv.FormatInt(int64(t.ID), 10))); err == nil {
				r.perNode[name]++
			}
		}
	}
	return r, nil
}

func createDatabase(ctx context.Context, pg *pgtest.Cluster, name string) (string, error) {
	conn, err := pgx.Connect(ctx, pg.URL("postgres"))
	if err != nil {
		return "", err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, "CREATE DATABASE "+name); err != nil {
		return "", fmt.Errorf("create database %s: %w", name, err)
	}
	return pg.URL(name), nil
}

// startNodes starts n watchers, n1..nN, each with a data dir of its own;
// stop ends them with SIGTERM and waits.
func startNodes(c config, dsn, dir string, n int) (stop func(), err error) {
	var cmds []*exec.Cmd
	stop = func() {
		for _, cmd := range cmds {
			_ = cmd.Process.Signal(syscall.SIGTERM)
		}
		for _, cmd := range cmds {
			_ = cmd.Wait()
		}
	}
	for i := 1; i <= n; i++ {
		name := fmt.Sprintf("n%d", i)
		if err := os.MkdirAll(filepath.Join(dir, name), 0o700); err != nil {
			return stop, err
		}
		logFile, err := os.Create(filepath.Join(dir, name+".log"))
		if err != nil {
			return stop, err
		}
		cmd := exec.Command(c.baton, "--state", dsn, "--data-dir", filepath.Join(dir, name), "--source", filepath.Join(c.work, "src"),
			"watch", "--node", name, "--slots", strconv.Itoa(c.slots), "--log-format", "json")
		cmd.Env = append(os.Environ(), "BATON_TOKEN_KEY=benchnodes-0123456789abcdef0123456789abcdef")
		cmd.Stdout, cmd.Stderr = logFile, logFile
		err = cmd.Start()
		logFile.Close()
		if err != nil {
			return stop, err
		}
		cmds = append(cmds, cmd)
	}
	return stop, nil
}

// waitEnded polls the job every interval until it ends.
func waitEnded(ctx context.Context, st state.Store, id state.JobID, every time.Duration) (state.Job, error) {
	var job state.Job
	err := waitUntil(ctx, 10*time.Minute, fmt.Sprintf("job %d to end", id), func() (bool, error) {
		var err error
		job, err = st.Job(ctx, id)
		return err == nil && job.Status.Terminal(), err
	}, every)
	return job, err
}

// taskStamp reads the start time the ping task printed (Unix ns).
func taskStamp(ctx context.Context, st state.Store, job state.Job) (time.Time, error) {
	if len(job.Tasks) != 1 {
		return time.Time{}, fmt.Errorf("job %d has %d tasks, want 1", job.ID, len(job.Tasks))
	}
	b, ok := executor.ReadLog(ctx, executor.LogsOf(st), job.Tasks[0], 0, 0)
	if !ok {
		return time.Time{}, fmt.Errorf("no log of task job %d", job.Tasks[0].ID)
	}
	ns, err := strconv.ParseInt(strings.TrimSpace(string(b)), 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("task job %d printed %q, not a time: %w", job.Tasks[0].ID, b, err)
	}
	return time.Unix(0, ns), nil
}

func waitUntil(ctx context.Context, limit time.Duration, what string, cond func() (bool, error), every ...time.Duration) error {
	interval := 100 * time.Millisecond
	if len(every) > 0 {
		interval = every[0]
	}
	deadline := time.Now().Add(limit)
	for {
		ok, err := cond()
		if ok {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("gave up after %v waiting for %s (last error: %v)", limit, what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("interrupted while waiting for %s", what)
		case <-time.After(interval):
		}
	}
}

func describe(err error) error {
	var exit *exec.ExitError
	if errors.As(err, &exit) && len(exit.Stderr) > 0 {
		return fmt.Errorf("%w: %s", err, strings.TrimSpace(string(exit.Stderr)))
	}
	return err
}

func quantile(ds []time.Duration, q float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	i := int(q*float64(len(s))+0.5) - 1
	return s[min(max(i, 0), len(s)-1)]
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func perNode(m map[string]int) string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	parts := make([]string, len(names))
	for i, n := range names {
		parts[i] = fmt.Sprintf("%s=%d", n, m[n])
	}
	return strings.Join(parts, " ")
}
