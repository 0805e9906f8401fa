//go:build reliability

package main

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// The kill -9 soak (make reliability): a real baton watch is killed at
// random moments while jobs are queued by real baton run processes, and
// restarted. The task processes write when they start and end; the
// invariants are checked from those timestamps and the state.

const soakHCL = `
configuration "c1" { command = ["./task.sh", "0.2"] }
configuration "c2" { command = ["./task.sh", "0.3"] }
configuration "c3" { command = ["./task.sh", "0.1"] }
configuration "c4" { command = ["./task.sh", "0.4"] }
orchestration "o1" {
  phase "a" {
    task "x" { configuration = "c1" }
    task "y" { configuration = "c2" }
  }
  phase "b" {
    task "z" { configuration = "c3" }
  }
}
orchestration "o2" {
  phase "a" {
    task "x" { configuration = "c2" }
  }
  phase "b" {
    task "y" { configuration = "c4" }
  }
}
orchestration "o3" {
  phase "a" {
    task "x" { configuration = "c1" }
    task "y" { configuration = "c4" }
  }
}`

// soakTask records its start, its own pid and two children that outlive
// it (one in a session of its own), works, and records its end.
const soakTask = `#!/bin/sh
echo "start $BATON_CONFIGURATION $BATON_JOB_ID $(date +%s%N)" >> "$W/events"
sleep 600 & echo "pid $BATON_JOB_ID $!" >> "$W/events"
setsid sleep 600 & echo "pid $BATON_JOB_ID $!" >> "$W/events"
echo "pid $BATON_JOB_ID $$" >> "$W/events"
sleep "$1"
echo "end $BATON_CONFIGURATION $BATON_JOB_ID $(date +%s%N)" >> "$W/events"
`

type taskRun struct {
	config     string
	start, end time.Time // end is zero when the process never got there
}

type soakEvents struct {
	runs   map[state.JobID]*taskRun
	starts map[state.JobID]int
	pids   []int
}

func readSoakEvents(t *testing.T, path string) soakEvents {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ev := soakEvents{runs: map[state.JobID]*taskRun{}, starts: map[state.JobID]int{}}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		switch {
		case len(fields) == 3 && fields[0] == "pid":
			pid, _ := strconv.Atoi(fields[2])
			ev.pids = append(ev.pids, pid)
		case len(fields) == 4:
			id, _ := strconv.ParseInt(fields[2], 10, 64)
			ns, _ := strconv.ParseInt(fields[3], 10, 64)
			at := time.Unix(0, ns)
			r := ev.runs[state.JobID(id)]
			if r == nil {
				r = &taskRun{config: fields[1]}
				ev.runs[state.JobID(id)] = r
			}
			if fields[0] == "start" {
				ev.starts[state.JobID(id)]++
				r.start = at
			} else {
				r.end = at
			}
		}
	}
	return ev
}

// firstKillAfter is the first kill at or after at; zero when none.
func firstKillAfter(kills []time.Time, at time.Time) time.Time {
	for _, k := range kills {
		if !k.Before(at) {
			return k
		}
	}
	return time.Time{}
}

func TestKillSoak(t *testing.T) {
	kills := 20
	if v := os.Getenv("RELIABILITY_KILLS"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			t.Fatalf("RELIABILITY_KILLS=%q: want a positive number", v)
		}
		kills = n
	}
	began := time.Now()
	p := newProject(t, soakHCL)
	if err := os.WriteFile(filepath.Join(p.dir, "src", "task.sh"), []byte(soakTask), 0o755); err != nil {
		t.Fatal(err)
	}
	if out, err := p.command("--source", "src", "apply").CombinedOutput(); err != nil {
		t.Fatalf("apply: %v\n%s", err, out)
	}
	events := filepath.Join(p.dir, "events")

	// Real baton run --detach processes queue jobs all along.
	stopSubmitting := make(chan struct{})
	submitted := make(chan []state.JobID, 1)
	go func() {
		var ids []state.JobID
		defer func() { submitted <- ids }()
		for i := 0; ; i++ {
			select {
			case <-stopSubmitting:
				return
			case <-time.After(time.Duration(100+rand.IntN(200)) * time.Millisecond):
			}
			out, err := p.command("run", fmt.Sprintf("o%d", 1+i%3), "--detach").Output()
			if err != nil {
				var stderr []byte
				if x, ok := err.(*exec.ExitError); ok {
					stderr = x.Stderr
				}
				t.Errorf("baton run --detach: %v\n%s", err, stderr)
				continue
			}
			id, err := strconv.ParseInt(strings.TrimSpace(string(out)), 10, 64)
			if err != nil {
				t.Errorf("baton run --detach printed %q", out)
				return
			}
			ids = append(ids, state.JobID(id))
		}
	}()

	var killedAt []time.Time
	for k := range kills {
		before := countStarts(events)
		w := p.start("--source", "src", "watch", "--grace", "1s")
		// Kill mid-run: once a task has started under this watcher, at a
		// random moment of the next second.
		deadline := time.Now().Add(time.Minute)
		for countStarts(events) <= before {
			if time.Now().After(deadline) {
				t.Fatalf("kill %d: no task started under the watcher within a minute; its log:\n%s", k, w.stderr)
			}
			time.Sleep(10 * time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(1000)) * time.Millisecond)
		if err := w.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = w.wait(t, "the killed watcher")
		killedAt = append(killedAt, time.Now())
	}

	// The last watcher drains the queue and stops on SIGTERM.
	w := p.start("--source", "src", "watch", "--grace", "1s")
	close(stopSubmitting)
	ids := <-submitted
	deadline := time.Now().Add(3 * time.Minute)
	for {
		left := 0
		for _, j := range p.jobs() {
			if !j.Status.Terminal() {
				left++
			}
		}
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d jobs did not end after the last restart", left)
		}
		time.Sleep(50 * time.Millisecond)
	}
	_ = w.cmd.Process.Signal(os.Interrupt)
	_ = w.wait(t, "the last watcher")

	violations := map[string][]string{}
	violate := func(kind, format string, args ...any) {
		violations[kind] = append(violations[kind], fmt.Sprintf(format, args...))
	}
	ev := readSoakEvents(t, events)
	jobs := p.jobs()
	byID := map[state.JobID]state.Job{}
	for _, j := range jobs {
		byID[j.ID] = j
	}
	for _, id := range ids {
		if _, ok := byID[id]; !ok {
			violate("lost", "job %d was queued but is not in the state", id)
		}
	}
	terminated := 0
	for _, j := range jobs {
		if !j.Status.Terminal() {
			violate("left processing", "job %d is %s", j.ID, j.Status)
		}
		for _, tj := range j.Tasks {
			if !tj.Status.Terminal() {
				violate("left processing", "task job %d is %s", tj.ID, tj.Status)
			}
			r := ev.runs[tj.ID]
			switch {
			case ev.starts[tj.ID] > 1:
				violate("doubled", "task job %d started %d times", tj.ID, ev.starts[tj.ID])
			case tj.Status == state.JobSuccess && (r == nil || r.end.IsZero()):
				violate("false outcome", "task job %d is success but its process never ended by itself", tj.ID)
			case tj.Status == state.JobTerminated:
				terminated++
				if r == nil {
					break // it never started; its job was recovered
				}
				k := firstKillAfter(killedAt, r.start)
				if k.IsZero() || (!r.end.IsZero() && k.Sub(r.end) > 2*time.Second) {
					violate("false outcome", "task job %d is terminated, but no kill cut it short (ended %s)", tj.ID, r.end)
				}
				// It ends when its executor was last known alive, before the
				// kill, not when the next one recovered it.
				if !k.IsZero() && tj.FinishedAt.After(k) {
					violate("recovery counted", "task job %d killed at %s ended at %s", tj.ID, k.Format(time.StampMicro), tj.FinishedAt.Format(time.StampMicro))
				}
			case tj.Status != state.JobSuccess && tj.Status != state.JobSkipped:
				violate("false outcome", "task job %d is %s %q", tj.ID, tj.Status, tj.Message)
			}
		}
	}
	perConfig := map[string][]*taskRun{}
	for _, r := range ev.runs {
		if r.end.IsZero() {
			r.end = firstKillAfter(killedAt, r.start)
			if r.end.IsZero() {
				r.end = time.Now()
			}
		}
		perConfig[r.config] = append(perConfig[r.config], r)
	}
	for config, runs := range perConfig {
		slices.SortFunc(runs, func(a, b *taskRun) int { return a.start.Compare(b.start) })
		for i := 1; i < len(runs); i++ {
			if runs[i].start.Before(runs[i-1].end) {
				violate("overlap", "configuration %s: a run started at %s while another ran %s..%s", config, runs[i].start, runs[i-1].start, runs[i-1].end)
			}
		}
	}
	for _, pid := range ev.pids {
		if alive(pid) && strings.Contains(cmdline(pid), "sleep") {
			violate("process alive", "process %d of a task is alive after the kills and restarts", pid)
		}
	}

	total := 0
	for _, kind := range []string{"lost", "doubled", "overlap", "left processing", "false outcome", "process alive", "recovery counted"} {
		total += len(violations[kind])
		for _, v := range violations[kind] {
			t.Errorf("%s: %s", kind, v)
		}
	}
	fmt.Printf("reliability: %d kills, %d jobs queued, %d task runs, %d task processes and children checked, %d tasks terminated by the kills, %d violations (lost %d, doubled %d, overlap %d, left processing %d, false outcome %d, process alive %d, recovery counted %d) in %s\n",
		len(killedAt), len(ids), len(ev.runs), len(ev.pids), terminated, total,
		len(violations["lost"]), len(violations["doubled"]), len(violations["overlap"]), len(violations["left processing"]), len(violations["false outcome"]), len(violations["process alive"]), len(violations["recovery counted"]),
		time.Since(began).Round(time.Second))
}

func countStarts(path string) int {
	b, _ := os.ReadFile(path)
	return strings.Count(string(b), "start ")
}

func cmdline(pid int) string {
	b, _ := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/cmdline")
	return strings.ReplaceAll(string(b), "\x00", " ")
}
