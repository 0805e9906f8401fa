package server

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"

	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// histogramCount is how many observations c's histogram with labels has.
func histogramCount(t *testing.T, c prometheus.Collector) uint64 {
	t.Helper()
	ch := make(chan prometheus.Metric, 16)
	c.Collect(ch)
	close(ch)
	var n uint64
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		n += pb.GetHistogram().GetSampleCount()
	}
	return n
}

// Ending jobs moves the job counter and the duration and wait histograms,
// as each job ends, not from a window of stored jobs.
func TestMetricsMoveWhenAJobEnds(t *testing.T) {
	r := newRig(t)
	m := r.metrics
	ctx := context.Background()
	for _, o := range []string{"ok", "nightly"} {
		if _, err := r.exec.Submit(ctx, executor.Request{Orchestration: o, Trigger: executor.TriggerManual}); err != nil {
			t.Fatal(err)
		}
	}
	r.runQueue()
	if got := testutil.ToFloat64(m.jobs.WithLabelValues("ok", "success", "manual")); got != 1 {
		t.Errorf(`baton_jobs_total{orchestration="ok",status="success",trigger="manual"} = %v, want 1`, got)
	}
	if got := testutil.ToFloat64(m.jobs.WithLabelValues("nightly", "error", "manual")); got != 1 {
		t.Errorf(`baton_jobs_total{orchestration="nightly",status="error",trigger="manual"} = %v, want 1`, got)
	}
	if got := histogramCount(t, m.taskDuration); got != 2 {
		t.Errorf("baton_task_duration_seconds count = %d, want 2", got)
	}
	if got := histogramCount(t, m.jobDuration); got != 2 {
		t.Errorf("baton_job_duration_seconds count = %d, want 2", got)
	}
	if got := histogramCount(t, m.wait); got != 2 {
		t.Errorf("baton_job_wait_seconds count = %d, want 2", got)
	}
	// Another run only adds: the figures never go back.
	if _, err := r.exec.Submit(ctx, executor.Request{Orchestration: "ok", Trigger: executor.TriggerManual}); err != nil {
		t.Fatal(err)
	}
	r.runQueue()
	if got := testutil.ToFloat64(m.jobs.WithLabelValues("ok", "success", "manual")); got != 2 {
		t.Errorf("after a second run: %v, want 2", got)
	}
	if got := histogramCount(t, m.taskDuration); got != 3 {
		t.Errorf("baton_task_duration_seconds count after a second run = %d, want 3", got)
	}
}

// Source fetches are counted by outcome.
func TestMetricsCountSourceFetchesByOutcome(t *testing.T) {
	m := NewMetrics()
	m.SourceFetched(nil)
	m.SourceFetched(nil)
	m.SourceFetched(errors.New("fetch: the source could not be fetched"))
	if got := testutil.ToFloat64(m.fetches.WithLabelValues(FetchOK)); got != 2 {
		t.Errorf("ok fetches = %v, want 2", got)
	}
	if got := testutil.ToFloat64(m.fetches.WithLabelValues(FetchError)); got != 1 {
		t.Errorf("failed fetches = %v, want 1", got)
	}
}

// A schedule fire is observed as the time from its due instant to the
// creation of its job.
func TestMetricsObserveScheduleLag(t *testing.T) {
	m := NewMetrics()
	due := time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	m.ScheduleFired(state.Job{Orchestration: "hourly", CreatedAt: due.Add(10 * time.Minute)}, due)
	var pb dto.Metric
	if err := m.lag.WithLabelValues("hourly").(prometheus.Metric).Write(&pb); err != nil {
		t.Fatal(err)
	}
	if h := pb.GetHistogram(); h.GetSampleCount() != 1 || h.GetSampleSum() != 600 {
		t.Errorf("baton_schedule_lag_seconds count %d sum %v, want 1 and 600", h.GetSampleCount(), h.GetSampleSum())
	}
}
