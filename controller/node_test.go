package controller

import (
	"testing"
	"time"

	"github.com/baton-dev/baton/state"
)

// The node that led until another could take the lead is lost at once only
// when its session ended while the database server ran; one last heard of
// before the server restarted lost only its session, and its lease counts
// from the new lead like every node's.
func TestALeaderIsLostOnlyWhenItsSessionEndedWhileTheServerRan(t *testing.T) {
	restart := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		name          string
		heartbeat     time.Time
		serverStarted time.Time
		lost          bool
	}{
		{"heard of after the server started: it died or was cut off", restart.Add(time.Second), restart, true},
		{"heard of at the instant the server started", restart, restart, true},
		{"last heard of before the server restarted", restart.Add(-time.Second), restart, false},
		{"the server's start unknown (SQLite, or not read)", restart.Add(-time.Hour), time.Time{}, true},
	} {
		if got := leaderLost(state.Node{Name: "n1", Leading: true, HeartbeatAt: c.heartbeat}, c.serverStarted); got != c.lost {
			t.Errorf("%s: lost = %v, want %v", c.name, got, c.lost)
		}
	}
}
