package executor

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/internal/waitfor"
	"github.com/baton-dev/baton/state"
)

// waitFile is a shell loop that waits until file $T/$1 exists (fail-safe:
// about a minute) — tasks synchronize on each other's files, never on time.
const waitFile = `i=0; while [ ! -e $T/$1 ]; do sleep 0.01; i=$((i+1)); [ $i -gt 6000 ] && exit 9; done; true`

func TestTasksOfAPhaseRunInParallel(t *testing.T) {
	e := newEnv(t, `
project { max_parallel_jobs = 4 }
configuration "a" { command = ["sh", "-c", "touch $T/a.started; `+waitFile+`", "sh", "b.started"] }
configuration "b" { command = ["sh", "-c", "touch $T/b.started; `+waitFile+`", "sh", "a.started"] }
orchestration "o" {
  phase "p" {
    task "a" { configuration = "a" }
    task "b" { configuration = "b" }
  }
}`)
	// Each task waits for the other's start file in $T: the job succeeds
	// only if both ran at the same time.
	j := e.submit(Request{Orchestration: "o"})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobSuccess {
		t.Fatalf("job = %s (%s), want success: the tasks did not overlap", got.Status, statuses(got))
	}
}

func TestPhasesRunOneAfterAnother(t *testing.T) {
	// z checks that both tasks of the first phase have finished: it
	// succeeds only if the second phase starts after the first ended.
	e := newEnv(t, `
project { max_parallel_jobs = 4 }
configuration "slow-x" { command = ["sh", "-c", "sleep 0.2; touch $T/x.done"] }
configuration "slow-y" { command = ["sh", "-c", "sleep 0.1; touch $T/y.done"] }
configuration "check" { command = ["sh", "-c", "[ -e $T/x.done ] && [ -e $T/y.done ]"] }
orchestration "o" {
  phase "first" {
    task "x" { configuration = "slow-x" }
    task "y" { configuration = "slow-y" }
  }
  phase "second" {
    task "z" { configuration = "check" }
  }
}`)
	j := e.submit(Request{Orchestration: "o"})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobSuccess {
		t.Fatalf("job = %s (%s), want success", got.Status, statuses(got))
	}
	z := taskByName(got, "z")
	for _, name := range []string{"x", "y"} {
		if p := taskByName(got, name); z.StartedAt.Before(p.FinishedAt) {
			t.Errorf("phase second started at %v before task %s of phase first finished at %v", z.StartedAt, name, p.FinishedAt)
		}
	}
}

func TestJobsOfOneConfigurationNeverOverlap(t *testing.T) {
	// mkdir is atomic: a second process of the configuration running at
	// the same time fails to take the directory.
	e := newEnv(t, `
project { max_parallel_jobs = 8 }
configuration "shared" { command = ["sh", "-c", "mkdir $T/lock || exit 7; sleep 0.05; rmdir $T/lock"] }
orchestration "a" {
  phase "p" {
    task "s" { configuration = "shared" }
  }
}
orchestration "b" {
  phase "p" {
    task "s" { configuration = "shared" }
  }
}`)
	var ids []state.JobID
	for i := 0; i < 3; i++ {
		ids = append(ids, e.submit(Request{Orchestration: "a"}).ID, e.submit(Request{Orchestration: "b"}).ID)
	}
	e.runIdle()
	type span struct{ from, to time.Time }
	var spans []span
	for _, id := range ids {
		j := e.job(id)
		if j.Status != state.JobSuccess {
			t.Fatalf("job %d = %s (%s): two processes of the configuration overlapped", id, j.Status, statuses(j))
		}
		s := j.Tasks[0]
		spans = append(spans, span{s.StartedAt, s.FinishedAt})
	}
	slices.SortFunc(spans, func(a, b span) int { return a.from.Compare(b.from) })
	for i := 1; i < len(spans); i++ {
		if spans[i].from.Before(spans[i-1].to) {
			t.Errorf("recorded runs overlap: %v..%v and %v..%v", spans[i-1].from, spans[i-1].to, spans[i].from, spans[i].to)
		}
	}
}

func TestSecondJobOfAnOrchestrationWaitsVisibly(t *testing.T) {
	e := newEnv(t, `
configuration "block" { command = ["sh", "-c", "`+waitFile+`", "sh", "release"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "block" }
  }
}`)
	release := filepath.Join(e.dir, "release")
	first := e.submit(Request{Orchestration: "o"})
	second := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("first job processing and second waiting", func() bool {
		return e.job(first.ID).Status == state.JobProcessing && e.job(second.ID).Status == state.JobWaiting
	})
	if err := os.WriteFile(release, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("both jobs to end", func() bool {
		return e.job(first.ID).Status.Terminal() && e.job(second.ID).Status.Terminal()
	})
	a, b := e.job(first.ID), e.job(second.ID)
	if a.Status != state.JobSuccess || b.Status != state.JobSuccess {
		t.Fatalf("jobs = %s, %s; want success, success", a.Status, b.Status)
	}
	if b.StartedAt.Before(a.FinishedAt) {
		t.Errorf("second job started %v before the first finished %v", b.StartedAt, a.FinishedAt)
	}
}

func TestOnOverlapSkipRecordsTheSecondJobSkipped(t *testing.T) {
	e := newEnv(t, `
configuration "block" { command = ["sh", "-c", "`+waitFile+`", "sh", "release"] }
orchestration "o" {
  on_overlap = "skip"
  phase "p" {
    task "t" { configuration = "block" }
  }
}`)
	first := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("first job processing", func() bool { return e.job(first.ID).Status == state.JobProcessing })
	second := e.submit(Request{Orchestration: "o"})
	e.waitFor("second job skipped", func() bool { return e.job(second.ID).Status == state.JobSkipped })
	if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	e.waitFor("first job to end", func() bool { return e.job(first.ID).Status == state.JobSuccess })
	skipped := e.job(second.ID)
	if !strings.Contains(skipped.Message, "on_overlap") {
		t.Errorf("skip message = %q, want the reason", skipped.Message)
	}
	if tk := taskByName(skipped, "t"); tk.Status != state.JobSkipped || !strings.Contains(tk.Message, "on_overlap") {
		t.Errorf("task of the skipped job = %s %q, want skipped with the reason", tk.Status, tk.Message)
	}
}

const outcomesHCL = `
project { max_parallel_jobs = 4 }
configuration "ok"   {
  command = ["sh", "-c", "exit 0"]
  outputs = ["out.ok"]
}
configuration "fail" { command = ["sh", "-c", "echo broken >&2; exit 3"] }
configuration "slow-ok" { command = ["sh", "-c", "sleep 0.3; touch $T/slow.done"] }
orchestration "warning" {
  phase "one" {
    task "ok"   { configuration = "ok" }
    task "fail" {
      configuration       = "fail"
      continue_on_failure = true
    }
  }
  phase "two" {
    task "after" { configuration = "ok" }
  }
}
orchestration "error" {
  phase "one" {
    task "fail" { configuration = "fail" }
    task "slow" { configuration = "slow-ok" }
  }
  phase "two" {
    task "after" { configuration = "ok" }
  }
  phase "three" {
    task "later" { configuration = "ok" }
  }
}
orchestration "selection" {
  phase "one" {
    task "a" { configuration = "ok" }
    task "b" { configuration = "ok" }
    task "off" {
      configuration = "ok"
      enabled       = false
    }
  }
}
`

func TestContinueOnFailureEndsWarning(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	j := e.submit(Request{Orchestration: "warning"})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobWarning {
		t.Fatalf("job = %s (%s), want warning", got.Status, statuses(got))
	}
	if s := taskByName(got, "after").Status; s != state.JobSuccess {
		t.Errorf("later phase task = %s, want success: continue_on_failure lets the job go on", s)
	}
	fail := taskByName(got, "fail")
	if fail.Status != state.JobError || fail.ExitCode == nil || *fail.ExitCode != 3 {
		t.Errorf("failing task = %s exit %v, want error exit 3", fail.Status, fail.ExitCode)
	}
	log, err := os.ReadFile(fail.LogPath)
	if err != nil || !strings.Contains(string(log), "broken") {
		t.Errorf("task log = %q, %v; want the task's stderr", log, err)
	}
}

func TestFailureLetsThePhaseFinishThenSkipsLaterPhases(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	j := e.submit(Request{Orchestration: "error"})
	ended := e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobError {
		t.Fatalf("job = %s (%s), want error", got.Status, statuses(got))
	}
	if s := taskByName(got, "slow").Status; s != state.JobSuccess {
		t.Errorf("the failing task's sibling = %s, want success: the phase's other tasks finish", s)
	}
	for _, name := range []string{"after", "later"} {
		tj := taskByName(got, name)
		if tj.Status != state.JobSkipped || !strings.Contains(tj.Message, "earlier phase failed") {
			t.Errorf("task %s = %s %q, want skipped because an earlier phase failed", name, tj.Status, tj.Message)
		}
	}
	if len(ended) != 1 || ended[0].ID != j.ID || ended[0].Status != state.JobError {
		t.Errorf("Run reported %+v, want the one error job", ended)
	}
}

func TestInactiveAndDeselectedTasksAreSkippedWithTheirReason(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	j := e.submit(Request{Orchestration: "selection", Skip: []string{"b"}})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobSuccess {
		t.Fatalf("job = %s, want success", got.Status)
	}
	if a := taskByName(got, "a"); a.Status != state.JobSuccess {
		t.Errorf("task a = %s, want success", a.Status)
	}
	for name, reason := range map[string]string{"b": "not selected", "off": "inactive"} {
		tj := taskByName(got, name)
		if tj.Status != state.JobSkipped || !strings.Contains(tj.Message, reason) {
			t.Errorf("task %s = %s %q, want skipped: %s", name, tj.Status, tj.Message, reason)
		}
	}
	if _, err := e.exec.Submit(context.Background(), Request{Orchestration: "selection", Only: []string{"c"}}); err == nil || !strings.Contains(err.Error(), `no task "c"`) {
		t.Errorf("unknown task selection error = %v", err)
	}
	if _, err := e.exec.Submit(context.Background(), Request{Orchestration: "selectoin"}); err == nil || !strings.Contains(err.Error(), `did you mean "selection"`) {
		t.Errorf("unknown orchestration error = %v", err)
	}
}

func TestSuccessfulJobRecordsItsOutputTables(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	e.submit(Request{Orchestration: "selection", Only: []string{"a"}})
	e.runIdle()
	at, err := e.store.TableUpdatedAt(context.Background(), []string{"out.ok"})
	if err != nil {
		t.Fatal(err)
	}
	if at["out.ok"].IsZero() {
		t.Errorf("table out.ok was not recorded as updated")
	}
}

func TestRetrySelectsOnlyFailedTasksAndNotExecutedPhases(t *testing.T) {
	e := newEnv(t, outcomesHCL)
	j := e.submit(Request{Orchestration: "error"})
	e.runIdle()
	failed := e.job(j.ID)
	if got := RetrySelection(failed); strings.Join(got, ",") != "fail,after,later" {
		t.Errorf("default retry selection = %v, want fail,after,later (slow succeeded)", got)
	}
	retry, err := e.exec.Retry(context.Background(), j.ID, nil, "test")
	if err != nil {
		t.Fatal(err)
	}
	e.runIdle()
	got := e.job(retry.ID)
	if got.RetryOf != j.ID || got.Trigger != TriggerRetry {
		t.Errorf("retry job retry_of=%d trigger=%s", got.RetryOf, got.Trigger)
	}
	if s := taskByName(got, "slow"); s.Status != state.JobSkipped {
		t.Errorf("succeeded task was run again by a default retry: %s", s.Status)
	}
	if s := taskByName(got, "fail"); s.Status != state.JobError {
		t.Errorf("failed task was not retried: %s", s.Status)
	}
}

func TestCancelStopsRunningTasksAndSkipsTheRest(t *testing.T) {
	// The task's TERM handler gets all the grace it may need: it shows
	// that SIGTERM came, and on a loaded machine it can take longer than
	// the tests' usual 200 ms to run before the SIGKILL would come.
	e := newEnv(t, `
configuration "block" { command = ["sh", "-c", "trap 'echo > $T/got-term; exit 143' TERM; touch $T/started; while :; do sleep 0.05; done"] }
configuration "ok" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "block" }
  }
  phase "q" {
    task "u" { configuration = "ok" }
  }
}`, func(c *Config) { c.KillGrace = waitfor.Timeout })
	j := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })
	if _, err := e.exec.Cancel(context.Background(), j.ID); err != nil {
		t.Fatal(err)
	}
	e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	got := e.job(j.ID)
	if got.Status != state.JobCancelled {
		t.Fatalf("job = %s, want cancelled", got.Status)
	}
	if s := taskByName(got, "t").Status; s != state.JobCancelled {
		t.Errorf("running task = %s, want cancelled", s)
	}
	if s := taskByName(got, "u"); s.Status != state.JobSkipped || !strings.Contains(s.Message, "cancelled") {
		t.Errorf("later task = %s %q, want skipped: cancelled", s.Status, s.Message)
	}
	if _, err := os.Stat(filepath.Join(e.dir, "got-term")); err != nil {
		t.Errorf("the task did not get SIGTERM: %v", err)
	}
}

func TestTimeoutTerminatesTheProcessGroup(t *testing.T) {
	fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
	e := newEnv(t, `
configuration "stuck" {
  command = ["sh", "-c", "trap '' TERM; echo $$ > $T/pid; sleep 300 & wait"]
  timeout = "10m"
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "stuck" }
  }
}`, func(c *Config) { c.Clock = fake })
	j := e.submit(Request{Orchestration: "o"})
	e.runBackground()
	if err := fake.WaitForTimers(context.Background(), 1); err != nil {
		t.Fatal(err)
	}
	e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "pid")); return err == nil })
	fake.Advance(10 * time.Minute)
	e.waitFor("job to end", func() bool { return e.job(j.ID).Status.Terminal() })
	got := e.job(j.ID)
	tj := taskByName(got, "t")
	if tj.Status != state.JobTerminated || !strings.Contains(tj.Message, "timed out after 10m") {
		t.Errorf("task = %s %q, want terminated: timed out", tj.Status, tj.Message)
	}
	if got.Status != state.JobTerminated {
		t.Errorf("job = %s, want terminated", got.Status)
	}
}

func TestMaxParallelJobsLimitsProcesses(t *testing.T) {
	e := newEnv(t, `
project { max_parallel_jobs = 2 }
configuration "c1" { command = ["sh", "-c", "sleep 0.05"] }
configuration "c2" { command = ["sh", "-c", "sleep 0.05"] }
configuration "c3" { command = ["sh", "-c", "sleep 0.05"] }
configuration "c4" { command = ["sh", "-c", "sleep 0.05"] }
configuration "c5" { command = ["sh", "-c", "sleep 0.05"] }
orchestration "o" {
  phase "p" {
    task "1" { configuration = "c1" }
    task "2" { configuration = "c2" }
    task "3" { configuration = "c3" }
    task "4" { configuration = "c4" }
    task "5" { configuration = "c5" }
  }
}`)
	j := e.submit(Request{Orchestration: "o"})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobSuccess {
		t.Fatalf("job = %s", got.Status)
	}
	if n := maxOverlap(got.Tasks); n != 2 {
		t.Errorf("at most %d tasks ran at once, want exactly 2", n)
	}
}

func maxOverlap(tasks []state.Job) int {
	type edge struct {
		at    time.Time
		delta int
	}
	var edges []edge
	for _, t := range tasks {
		edges = append(edges, edge{t.StartedAt, 1}, edge{t.FinishedAt, -1})
	}
	slices.SortFunc(edges, func(a, b edge) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return a.delta - b.delta // an end before a start at the same instant
	})
	n, best := 0, 0
	for _, e := range edges {
		n += e.delta
		best = max(best, n)
	}
	return best
}

func TestTaskGetsConfigJSONAndEnvironment(t *testing.T) {
	t.Setenv("BATON_TEST_SECRET", "s3cret")
	e := newEnv(t, `
configuration "c" {
  command    = ["sh", "-c", "cp config.json $T/config.json; env | grep ^BATON_ | sort > $T/env; echo $API_KEY > $T/key"]
  parameters = { account = "123", report = { currency = "EUR", metrics = ["clicks"] }, token = env("BATON_TEST_SECRET") }
  env        = { API_KEY = env("BATON_TEST_SECRET") }
}
orchestration "o" {
  phase "p" {
    task "t" {
      configuration = "c"
      parameters    = { report = { currency = "CZK" } }
    }
  }
}`, func(c *Config) { c.Getenv = os.LookupEnv })
	j := e.submit(Request{Orchestration: "o", Parameters: map[string]map[string]any{"t": {"account": "999"}}})
	e.runIdle()
	if got := e.job(j.ID); got.Status != state.JobSuccess {
		t.Fatalf("job = %s %s", got.Status, taskByName(got, "t").Message)
	}
	var config struct {
		Parameters map[string]any `json:"parameters"`
		Action     string         `json:"action"`
	}
	b, err := os.ReadFile(filepath.Join(e.dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &config); err != nil {
		t.Fatal(err)
	}
	want := `{"account":"999","report":{"currency":"CZK","metrics":["clicks"]},"token":"s3cret"}`
	if got, _ := json.Marshal(config.Parameters); string(got) != want || config.Action != "run" {
		t.Errorf("config.json = %s action %q, want parameters %s", got, config.Action, want)
	}
	envText, _ := os.ReadFile(filepath.Join(e.dir, "env"))
	for _, v := range []string{"BATON_JOB_ID=", "BATON_RUN_ID=" + strconv.FormatInt(int64(j.ID), 10), "BATON_ORCHESTRATION=o", "BATON_TASK=t", "BATON_CONFIGURATION=c", "BATON_DATA_DIR="} {
		if !strings.Contains(string(envText), v) {
			t.Errorf("task environment lacks %s:\n%s", v, envText)
		}
	}
	if key, _ := os.ReadFile(filepath.Join(e.dir, "key")); strings.TrimSpace(string(key)) != "s3cret" {
		t.Errorf("env() value not given to the task: %q", key)
	}
	// The secret is resolved at start and never stored in the state.
	stored, _ := json.Marshal(e.job(j.ID))
	if strings.Contains(string(stored), "s3cret") {
		t.Errorf("the state holds the secret")
	}
}

func TestMissingEnvironmentVariableFailsTheTaskClearly(t *testing.T) {
	e := newEnv(t, `
configuration "c" {
  command = ["true"]
  env     = { API_KEY = env("BATON_TEST_NOT_SET_ANYWHERE") }
}
orchestration "o" {
  phase "p" {
    task "t" { configuration = "c" }
  }
}`, func(c *Config) { c.Getenv = func(string) (string, bool) { return "", false } })
	j := e.submit(Request{Orchestration: "o"})
	e.runIdle()
	tj := taskByName(e.job(j.ID), "t")
	if tj.Status != state.JobError || !strings.Contains(tj.Message, "BATON_TEST_NOT_SET_ANYWHERE") {
		t.Errorf("task = %s %q, want an error naming the variable", tj.Status, tj.Message)
	}
}

func TestTaskRunsAnotherOrchestrationAndTakesItsResult(t *testing.T) {
	e := newEnv(t, `
configuration "ok" { command = ["true"] }
configuration "fail" { command = ["false"] }
orchestration "child-ok" {
  phase "p" {
    task "t" { configuration = "ok" }
  }
}
orchestration "child-fail" {
  phase "p" {
    task "t" { configuration = "fail" }
  }
}
orchestration "parent" {
  phase "one" {
    task "good" { orchestration = "child-ok" }
    task "bad" { orchestration = "child-fail" }
  }
  phase "two" {
    task "after" { configuration = "ok" }
  }
}`)
	j := e.submit(Request{Orchestration: "parent"})
	e.runIdle()
	got := e.job(j.ID)
	if got.Status != state.JobError {
		t.Fatalf("parent = %s (%s), want error", got.Status, statuses(got))
	}
	if s := taskByName(got, "good").Status; s != state.JobSuccess {
		t.Errorf("task running child-ok = %s, want success", s)
	}
	if s := taskByName(got, "bad").Status; s != state.JobError {
		t.Errorf("task running child-fail = %s, want error", s)
	}
	child, ok, err := e.store.ChildJob(context.Background(), taskByName(got, "bad").ID)
	if err != nil || !ok || child.Status != state.JobError || child.Orchestration != "child-fail" {
		t.Errorf("child job = %+v %v %v", child, ok, err)
	}
}

// On shutdown running tasks get the grace period to finish; after it they
// are terminated and the job records why.
func TestShutdownGivesRunningTasksTheGracePeriod(t *testing.T) {
	for _, release := range []bool{true, false} {
		t.Run(fmt.Sprintf("finishes in time %v", release), func(t *testing.T) {
			fake := clock.NewFake(time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC))
			e := newEnv(t, `
configuration "block" { command = ["sh", "-c", "touch $T/started; `+waitFile+`", "sh", "release"] }
orchestration "o" {
  phase "p" {
    task "t" { configuration = "block" }
  }
}`, func(c *Config) { c.Clock = fake })
			j := e.submit(Request{Orchestration: "o"})
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() {
				_, err := e.exec.Run(ctx, RunOptions{Grace: 30 * time.Second})
				done <- err
			}()
			e.waitFor("task started", func() bool { _, err := os.Stat(filepath.Join(e.dir, "started")); return err == nil })
			cancel()
			if err := fake.WaitForTimers(context.Background(), 1); err != nil {
				t.Fatal(err)
			}
			if release {
				if err := os.WriteFile(filepath.Join(e.dir, "release"), nil, 0o600); err != nil {
					t.Fatal(err)
				}
			} else {
				fake.Advance(30 * time.Second)
			}
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			got := e.job(j.ID)
			want := state.JobSuccess
			if !release {
				want = state.JobTerminated
			}
			if got.Status != want {
				t.Errorf("job = %s (%s), want %s", got.Status, got.Message, want)
			}
			if !release && !strings.Contains(taskByName(got, "t").Message, "executor stopped") {
				t.Errorf("task message = %q", taskByName(got, "t").Message)
			}
		})
	}
}

// A running executor takes max_parallel_jobs from the revision its jobs
// come from, also one applied after it started (the controller starts the
// executor before its first apply).
func TestMaxParallelJobsOfARevisionAppliedWhileRunning(t *testing.T) {
	tasks := `
configuration "c1" { command = ["true"] }
configuration "c2" { command = ["true"] }
configuration "c3" { command = ["true"] }
orchestration "o" {
  phase "p" {
    task "1" { configuration = "c1" }
    task "2" { configuration = "c2" }
    task "3" { configuration = "c3" }
  }
}`
	e := newEnv(t, "project { max_parallel_jobs = 1 }\n"+tasks)
	e.runBackground()
	first := e.submit(Request{Orchestration: "o"})
	e.waitFor("the first job to end", func() bool { return e.job(first.ID).Status.Terminal() })
	if n := maxOverlap(e.job(first.ID).Tasks); n != 1 {
		t.Fatalf("with max_parallel_jobs = 1, %d tasks ran at once", n)
	}
	e.apply("project { max_parallel_jobs = 3 }\n" + tasks)
	second := e.submit(Request{Orchestration: "o"})
	e.waitFor("the second job to end", func() bool { return e.job(second.ID).Status.Terminal() })
	got := e.job(second.ID)
	if got.Status != state.JobSuccess {
		t.Fatalf("job = %s: %s", got.Status, statuses(got))
	}
	if n := maxOverlap(got.Tasks); n != 3 {
		t.Errorf("after max_parallel_jobs = 3 was applied, at most %d tasks ran at once, want 3", n)
	}
}
