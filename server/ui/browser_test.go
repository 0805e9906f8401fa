package ui

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

var screenshotTo = flag.String("screenshot", "", "write a PNG of a finished job's page to this file (for the README)")

// browser is a headless Chromium driven by chromedp. Without Chromium the
// test is skipped, except in CI, which installs it.
type browser struct {
	t   *testing.T
	ctx context.Context
	r   *rig
}

func newBrowser(t *testing.T, r *rig) *browser {
	t.Helper()
	path := "/usr/bin/chromium"
	if _, err := os.Stat(path); err != nil {
		p, err := exec.LookPath("chromium")
		if err != nil {
			if os.Getenv("CI") != "" {
				t.Fatal("chromium is not installed; .ci/run installs it (apt-get install chromium)")
			}
			t.Skip("chromium is not installed (apt-get install chromium); skipping the browser test")
		}
		path = p
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Flag("headless", true),
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("no-first-run", true),
		chromedp.Flag("no-default-browser-check", true),
		chromedp.WindowSize(1280, 900),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancelCtx := chromedp.NewContext(actx)
	if err := chromedp.Do(bctx); err != nil {
		cancelCtx()
		cancelAlloc()
		t.Fatalf("start chromium: %v", err)
	}
	// A generous bound for a loaded 2-core machine; every wait below is on
	// a condition, never on time.
	ctx, cancelTimeout := context.WithTimeout(bctx, 90*time.Second)
	b := &browser{t: t, ctx: ctx, r: r}
	t.Cleanup(func() {
		if t.Failed() {
			b.screenshot()
		}
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
	})
	return b
}

// screenshot keeps the page of a failed test where the log says.
func (b *browser) screenshot() {
	sctx, cancel := context.WithTimeout(context.WithoutCancel(b.ctx), 10*time.Second)
	defer cancel()
	png, err := chromedp.Run(sctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	dir, err := os.MkdirTemp("", "baton-ui-failure-")
	if err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	path := filepath.Join(dir, strings.ReplaceAll(b.t.Name(), "/", "_")+".png")
	if err := os.WriteFile(path, png, 0o600); err != nil {
		b.t.Logf("no screenshot: %v", err)
		return
	}
	b.t.Logf("screenshot of the failure: %s", path)
}

func (b *browser) run(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	if err := chromedp.Do(b.ctx, steps...); err != nil {
		b.t.Fatal(err)
	}
}

// read runs an action that returns a value.
func read[T any](b *browser, a chromedp.Action[T]) T {
	b.t.Helper()
	v, err := chromedp.Run(b.ctx, a)
	if err != nil {
		b.t.Fatal(err)
	}
	return v
}

func (b *browser) url(path string) string { return b.r.srv.URL + path }

// signIn signs in through the login form.
func (b *browser) signIn(secret string) {
	b.t.Helper()
	b.run(
		chromedp.Navigate(b.url("/jobs")),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.SendKeys(chromedp.CSS("#token"), secret),
		chromedp.Click(chromedp.CSS("#signin")),
		chromedp.WaitVisible(chromedp.CSS(`h1#jobs-h`)),
		// The list fetches itself once when its stream opens; read it
		// after that, not while it is being replaced.
		chromedp.WaitVisible(chromedp.CSS(`body[data-refreshed]`)),
	)
}

// waitStatus waits until the job page shows the status, however it gets
// there (a live update or a load).
func (b *browser) waitStatus(status state.JobStatus) {
	b.t.Helper()
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`#job-status[data-status="%s"]`, status))))
}

func TestBrowserSignInJobsListAndSignOut(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.waitEnded(r.submit("daily").ID)
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	status := read(b, chromedp.Text(chromedp.CSS(fmt.Sprintf(`tr[data-job="%d"] .st`, job.ID))))
	who := read(b, chromedp.Text(chromedp.CSS(".who")))
	if !strings.Contains(status, string(job.Status)) {
		t.Errorf("the jobs list shows %q for job %d, want %s", status, job.ID, job.Status)
	}
	if who != "ada@example.com" {
		t.Errorf("signed in as %q", who)
	}
	b.run(
		chromedp.Click(chromedp.CSS("#signout")),
		chromedp.WaitVisible(chromedp.CSS("#token")),
		chromedp.Navigate(b.url("/jobs")),
		chromedp.WaitVisible(chromedp.CSS("#token")),
	)
}

// bar is a Gantt bar as the browser drew it.
type bar struct {
	Task  string  `json:"task"`
	Left  float64 `json:"left"`
	Right float64 `json:"right"`
	Top   float64 `json:"top"`
}

const readBars = `Array.from(document.querySelectorAll("#gantt g.row")).filter(g => g.querySelector("rect.run")).map(g => {
  const r = g.querySelector("rect.run").getBoundingClientRect();
  return {task: g.dataset.task, left: r.left, right: r.right, top: r.top};
})`

func TestBrowserGanttBarsFollowTheRecordedTimes(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.waitEnded(r.submit("parallel").ID)
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead))
	b.run(
		chromedp.Navigate(b.url("/jobs/"+itoa(job.ID))),
		chromedp.WaitVisible(chromedp.CSS("#gantt")),
	)
	bars := read(b, chromedp.Evaluate[[]bar](readBars))
	recorded := map[string]state.Job{}
	for _, tk := range job.Tasks {
		if !tk.StartedAt.IsZero() {
			recorded[tk.Task] = tk
		}
	}
	if len(bars) != len(recorded) {
		t.Fatalf("%d bars for %d tasks that ran: %+v", len(bars), len(recorded), bars)
	}
	// Rows follow the phases and the task order of the orchestration.
	var rows []string
	sorted := append([]bar(nil), bars...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i].Top < sorted[j].Top })
	for _, br := range sorted {
		rows = append(rows, br.Task)
	}
	if got := strings.Join(rows, " "); got != "x y v z w" {
		t.Errorf("rows top to bottom: %s, want x y v z w", got)
	}
	const px = 1.0 // rounding of a drawn bar
	for _, a := range bars {
		for _, c := range bars {
			if a.Task >= c.Task {
				continue
			}
			ja, jc := recorded[a.Task], recorded[c.Task]
			if ja.StartedAt.Before(jc.StartedAt) != (a.Left < c.Left+px) && ja.StartedAt.Sub(jc.StartedAt).Abs() > 20*time.Millisecond {
				t.Errorf("%s starts at %v, %s at %v, but their bars start at %.1f and %.1f", a.Task, ja.StartedAt, c.Task, jc.StartedAt, a.Left, c.Left)
			}
			overlap := ja.StartedAt.Before(jc.FinishedAt) && jc.StartedAt.Before(ja.FinishedAt)
			drawn := a.Left < c.Right-px && c.Left < a.Right-px
			if overlap != drawn && overlapMargin(ja, jc) > 20*time.Millisecond {
				t.Errorf("%s and %s overlap in time: %v; their bars overlap: %v (%+v, %+v)", a.Task, c.Task, overlap, drawn, a, c)
			}
		}
	}
	// The manual's point: tasks of a phase run side by side, and the next
	// phase starts after them.
	byTask := map[string]bar{}
	for _, br := range bars {
		byTask[br.Task] = br
	}
	if x, y := byTask["x"], byTask["y"]; !(x.Left < y.Right && y.Left < x.Right) {
		t.Errorf("x and y of one phase are not drawn side by side: %+v %+v", x, y)
	}
	if w := byTask["w"]; w.Left < byTask["x"].Right-px || w.Left < byTask["y"].Right-px || w.Left < byTask["v"].Right-px {
		t.Errorf("phase two's task w is drawn before phase one ended: %+v", bars)
	}
	// v shares x's configuration, so it waited for x: its run follows x's
	// and a waiting segment fills the gap.
	if v, x := byTask["v"], byTask["x"]; v.Left < x.Right-px {
		t.Errorf("v ran while x held their configuration: %+v %+v", v, x)
	}
	waits := read(b, chromedp.Evaluate[int](`document.querySelectorAll('#gantt g.row[data-task="v"] rect.wait').length`))
	if waits != 1 {
		t.Errorf("v has %d waiting segments, want 1", waits)
	}
	if *screenshotTo != "" {
		b.run(chromedp.EmulateViewport(1100, 900))
		png := read(b, chromedp.FullScreenshot(100))
		if err := os.WriteFile(*screenshotTo, png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// overlapMargin is how far two tasks are from switching between
// overlapping and not: a drawn bar cannot be judged closer than that.
func overlapMargin(a, c state.Job) time.Duration {
	return min(a.FinishedAt.Sub(c.StartedAt).Abs(), c.FinishedAt.Sub(a.StartedAt).Abs())
}

func TestBrowserRunWithATaskDeselected(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	b.run(
		chromedp.Navigate(b.url("/orchestrations/parallel")),
		chromedp.Click(chromedp.CSS("#run-link")),
		chromedp.WaitVisible(chromedp.CSS("#run-form")),
		chromedp.Click(chromedp.CSS(`input[name="task"][value="y"]`)),
		chromedp.Click(chromedp.CSS("#run-submit")),
		chromedp.WaitVisible(chromedp.CSS("#gantt")),
	)
	path := read(b, chromedp.Evaluate[string](`location.pathname`))
	b.waitStatus(state.JobSuccess)
	y := read(b, chromedp.AttributeValue(chromedp.CSS(`tr[data-task="y"]`), "data-status")).Value
	x := read(b, chromedp.AttributeValue(chromedp.CSS(`tr[data-task="x"]`), "data-status")).Value
	if y != "skipped" || x != "success" {
		t.Fatalf("after a run without y: x %s, y %s", x, y)
	}
	jobs := mustJobs(t, r)
	if len(jobs) != 1 || path != "/jobs/"+itoa(jobs[0].ID) || jobs[0].Trigger != "manual" {
		t.Fatalf("the browser shows %s; jobs %+v", path, jobs)
	}
}

func TestBrowserRetryDialogChecksTheManualsDefaults(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.waitEnded(r.submit("daily").ID)
	if job.Status != state.JobError {
		t.Fatalf("daily ended %s, want error", job.Status)
	}
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	b.run(
		chromedp.Navigate(b.url("/jobs/"+itoa(job.ID))),
		chromedp.Click(chromedp.CSS("#retry-dialog summary")),
		chromedp.WaitVisible(chromedp.CSS("#retry-submit")),
	)
	checked := read(b, chromedp.Evaluate[map[string]bool](`Object.fromEntries(Array.from(document.querySelectorAll('#retry-dialog input[name="task"]')).map(i => [i.value, i.checked]))`))
	// a succeeded, b failed, c's phase never ran.
	want := map[string]bool{"a": false, "b": true, "c": true}
	for k, v := range want {
		if checked[k] != v {
			t.Errorf("retry dialog: %s checked=%v, want %v (all: %v)", k, checked[k], v, checked)
		}
	}
	// The selection can be changed: leave c out.
	b.run(
		chromedp.Click(chromedp.CSS(`#retry-dialog input[value="c"]`)),
		chromedp.Click(chromedp.CSS("#retry-submit")),
		chromedp.WaitVisible(chromedp.CSS("#retry-of")),
	)
	b.waitStatus(state.JobError)
	retries := mustJobs(t, r)
	retry := retries[0]
	if retry.RetryOf != job.ID || retry.Trigger != "retry" {
		t.Fatalf("newest job %+v is not a retry of %d", retry, job.ID)
	}
	for _, tk := range retry.Tasks {
		if tk.Task != "b" && tk.Status != state.JobSkipped {
			t.Errorf("retry ran %s (%s); only b was selected", tk.Task, tk.Status)
		}
	}
}

func TestBrowserCancelARunningJob(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.submit("gated")
	r.waitJob(job.ID, "processing", func(j state.Job) bool { return j.Status == state.JobProcessing })
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead, token.ScopeRun))
	b.run(
		chromedp.Navigate(b.url("/jobs/"+itoa(job.ID))),
		// The page of a running job fetches itself once when its stream
		// opens; click after that, not on a region being replaced.
		chromedp.WaitVisible(chromedp.CSS(`body[data-refreshed]`)),
		chromedp.Click(chromedp.CSS("#cancel-dialog summary")),
		chromedp.Click(chromedp.CSS("#cancel-confirm")),
	)
	b.waitStatus(state.JobCancelled)
	if j := r.waitEnded(job.ID); j.Status != state.JobCancelled {
		t.Fatalf("job ended %s", j.Status)
	}
}

func TestBrowserLiveUpdatesArriveWithoutReload(t *testing.T) {
	r := newRig(t)
	r.runExecutor()
	job := r.submit("gated")
	r.waitJob(job.ID, "processing", func(j state.Job) bool { return j.Status == state.JobProcessing })
	b := newBrowser(t, r)
	b.signIn(r.token(token.ScopeJobsRead))
	b.run(
		chromedp.Navigate(b.url("/jobs/"+itoa(job.ID))),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live-open="1"]`)),
	)
	read(b, chromedp.Evaluate[bool](`window.noReload = "still here"; true`))
	r.openGate()
	b.waitStatus(state.JobSuccess)
	b.run(chromedp.WaitVisible(`//pre[contains(., "gate open")]`))
	marker := read(b, chromedp.Evaluate[string](`window.noReload`))
	log := read(b, chromedp.Text(`//pre[contains(., "gate open")]`))
	if marker != "still here" {
		t.Fatal("the page was reloaded instead of updated")
	}
	if !strings.Contains(log, "waiting for the gate") {
		t.Errorf("the live log lost its beginning: %q", log)
	}

	// The jobs list shows a new job without a reload too.
	b.run(
		chromedp.Navigate(b.url("/jobs")),
		chromedp.WaitVisible(chromedp.CSS(`body[data-live-open="1"]`)),
	)
	read(b, chromedp.Evaluate[bool](`window.noReload = "list"; true`))
	next := r.submit("daily")
	b.run(chromedp.WaitVisible(chromedp.CSS(fmt.Sprintf(`tr[data-job="%d"]`, next.ID))))
	marker = read(b, chromedp.Evaluate[string](`window.noReload`))
	if marker != "list" {
		t.Fatal("the jobs list was reloaded instead of updated")
	}
}
