package server

import (
	"bytes"
	"context"
	"io"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/notify"
	"github.com/baton-dev/baton/state/sqlite"
)

// /metrics passes Prometheus' own linter, notification deliveries
// included as they were counted.
func TestMetricsPassPromtoolCheck(t *testing.T) {
	promtool, err := exec.LookPath("promtool")
	if err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatal("promtool is not installed; .ci/run installs Debian's prometheus package for it")
		}
		t.Skip("promtool is not installed (Debian: apt-get install prometheus)")
	}
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	deliveries := notify.NewDeliveryCounter()
	deliveries.WithLabelValues("ops", notify.OutcomeSent).Inc()
	deliveries.WithLabelValues("ops", notify.OutcomeUndeliverable).Inc()
	api := httptest.NewServer((&Server{Store: store, Clock: clock.Real(), PublicMetrics: true, Collectors: []prometheus.Collector{deliveries}}).Handler())
	defer api.Close()
	resp, err := api.Client().Get(api.URL + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(body), `baton_notification_deliveries_total{channel="ops",outcome="undeliverable"} 1`) {
		t.Errorf("/metrics has no delivery count:\n%s", body)
	}
	cmd := exec.Command(promtool, "check", "metrics")
	cmd.Stdin = bytes.NewReader(body)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Errorf("promtool check metrics: %v\n%s\n--- metrics:\n%s", err, out, body)
	}
}
