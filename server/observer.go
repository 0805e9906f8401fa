package server

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/state"
)

// Metrics counts what the executor and the controller do as it happens:
// counters and histograms only grow, whatever the state's retention
// deletes. It is the executor's and the controller's Observer; serve
// Collectors on /metrics.
type Metrics struct {
	jobs         *prometheus.CounterVec
	jobDuration  *prometheus.HistogramVec
	taskDuration prometheus.Histogram
	wait         *prometheus.HistogramVec
	lag          *prometheus.HistogramVec
	fetches      *prometheus.CounterVec
}

var durationBuckets = []float64{0.01, 0.1, 1, 10, 60, 300, 900, 3600, 4 * 3600}

// Fetch outcomes of baton_source_fetches_total.
const (
	FetchOK    = "ok"
	FetchError = "error"
)

// NewMetrics makes the observed metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		jobs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_jobs_total", Help: "Orchestration jobs that ended, by orchestration, final status and trigger.",
		}, []string{"orchestration", "status", "trigger"}),
		jobDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_job_duration_seconds", Help: "From start to end of orchestration jobs that ran, observed as each ends.", Buckets: durationBuckets,
		}, []string{"orchestration"}),
		taskDuration: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "baton_task_duration_seconds", Help: "From start to end of task jobs that ran, observed as each ends.", Buckets: durationBuckets,
		}),
		wait: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_job_wait_seconds", Help: "From creation to start of orchestration jobs, observed as each starts.", Buckets: durationBuckets,
		}, []string{"orchestration"}),
		lag: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "baton_schedule_lag_seconds", Help: "From a schedule's due instant to the creation of its job.", Buckets: durationBuckets,
		}, []string{"orchestration"}),
		fetches: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "baton_source_fetches_total", Help: "Fetches of the source, by outcome (ok or error).",
		}, []string{"outcome"}),
	}
}

// Collectors are the metrics to register.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.jobs, m.jobDuration, m.taskDuration, m.wait, m.lag, m.fetches}
}

// JobChanged counts a job's start and end.
func (m *Metrics) JobChanged(j state.Job, from state.JobStatus) {
	if j.Status == from {
		return
	}
	orchestration := j.Kind == state.KindOrchestrationJob
	switch {
	case j.Status == state.JobProcessing && orchestration && !j.CreatedAt.IsZero() && !j.StartedAt.IsZero():
		m.wait.WithLabelValues(j.Orchestration).Observe(seconds(j.StartedAt.Sub(j.CreatedAt)))
	case j.Status.Terminal():
		ran := !j.StartedAt.IsZero() && !j.FinishedAt.IsZero()
		if orchestration {
			m.jobs.WithLabelValues(j.Orchestration, string(j.Status), j.Trigger).Inc()
			if ran {
				m.jobDuration.WithLabelValues(j.Orchestration).Observe(seconds(j.FinishedAt.Sub(j.StartedAt)))
			}
		} else if ran {
			m.taskDuration.Observe(seconds(j.FinishedAt.Sub(j.StartedAt)))
		}
	}
}

// ScheduleFired observes how late a schedule's job was created.
func (m *Metrics) ScheduleFired(j state.Job, due time.Time) {
	if due.IsZero() || j.CreatedAt.IsZero() {
		return
	}
	m.lag.WithLabelValues(j.Orchestration).Observe(seconds(j.CreatedAt.Sub(due)))
}

// SourceFetched counts a fetch by outcome.
func (m *Metrics) SourceFetched(err error) {
	outcome := FetchOK
	if err != nil {
		outcome = FetchError
	}
	m.fetches.WithLabelValues(outcome).Inc()
}

func seconds(d time.Duration) float64 { return max(d, 0).Seconds() }
