package server

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
)

// collector reads its figures from the state at scrape time, so that they
// are right whichever process ran the jobs.
type collector struct {
	store *state.Store
	clock clock.Clock

	jobs, queue, waiting, lastSuccess, stale *prometheus.Desc
}

func newCollector(store *state.Store, c clock.Clock) *collector {
	return &collector{
		store:       store,
		clock:       c,
		jobs:        prometheus.NewDesc("baton_jobs", "Orchestration jobs by status (the last 1000).", []string{"status"}, nil),
		queue:       prometheus.NewDesc("baton_queue_depth", "Jobs created or waiting, not yet running.", nil, nil),
		waiting:     prometheus.NewDesc("baton_waiting_jobs", "Jobs waiting for another job of their configuration.", nil, nil),
		lastSuccess: prometheus.NewDesc("baton_last_successful_fetch_timestamp_seconds", "When the source was last fetched successfully.", nil, nil),
		stale:       prometheus.NewDesc("baton_source_stale_seconds", "How long fetching the source has failed (0 when it works).", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.jobs, c.queue, c.waiting, c.lastSuccess, c.stale} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if jobs, err := c.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 1000}); err == nil {
		counts := map[state.JobStatus]int{}
		for _, j := range jobs {
			counts[j.Status]++
		}
		for st, n := range counts {
			ch <- prometheus.MustNewConstMetric(c.jobs, prometheus.GaugeValue, float64(n), string(st))
		}
	}
	if active, err := c.store.ActiveJobs(ctx); err == nil {
		var queued, waiting int
		for _, j := range active {
			if j.Kind != state.KindOrchestrationJob {
				continue
			}
			switch j.Status {
			case state.JobCreated:
				queued++
			case state.JobWaiting:
				queued++
				waiting++
			}
		}
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(queued))
		ch <- prometheus.MustNewConstMetric(c.waiting, prometheus.GaugeValue, float64(waiting))
	}
	if st, err := c.store.SourceStatus(ctx); err == nil {
		if !st.LastSuccessAt.IsZero() {
			ch <- prometheus.MustNewConstMetric(c.lastSuccess, prometheus.GaugeValue, float64(st.LastSuccessAt.Unix()))
		}
		stale := 0.0
		if !st.StaleSince.IsZero() {
			stale = c.clock.Now().Sub(st.StaleSince).Seconds()
		}
		ch <- prometheus.MustNewConstMetric(c.stale, prometheus.GaugeValue, stale)
	}
}
