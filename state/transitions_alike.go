package state

import (
	"slices"
	"time"
)

// minAlike is the shortest run of alike transitions a backend writes as
// one statement; shorter runs cost less one by one.
const minAlike = 4

// AlikeRuns splits ts, in order, into runs a backend may apply each as one
// statement: a run of at least minAlike transitions of distinct jobs that
// set the same columns to the same values from the same statuses, with no
// table updates or notifications (the waiting marks of a wide phase), or
// else a single transition. Applying the runs in turn is applying ts in
// turn: the jobs of a run are distinct, so their order within it does not
// matter.
func AlikeRuns(ts []JobTransition) [][]JobTransition {
	var out [][]JobTransition
	for i := 0; i < len(ts); {
		j := i + 1
		if groupable(ts[i].Update) {
			seen := map[JobID]bool{ts[i].ID: true}
			for j < len(ts) && !seen[ts[j].ID] && alike(ts[i], ts[j]) {
				seen[ts[j].ID] = true
				j++
			}
		}
		if j-i < minAlike {
			j = i + 1
		}
		out = append(out, ts[i:j:j])
		i = j
	}
	return out
}

func groupable(u JobUpdate) bool { return len(u.TableUpdates) == 0 && len(u.Outbox) == 0 }

// alike reports whether b sets what a sets, from the same statuses.
func alike(a, b JobTransition) bool {
	u, v := a.Update, b.Update
	return groupable(v) && u.Status == v.Status && slices.Equal(a.From, b.From) &&
		sameTime(u.StartedAt, v.StartedAt) && sameTime(u.FinishedAt, v.FinishedAt) &&
		samePtr(u.Message, v.Message) && samePtr(u.ExitCode, v.ExitCode) &&
		samePtr(u.PID, v.PID) && samePtr(u.LogPath, v.LogPath)
}

func sameTime(a, b time.Time) bool { return a.Equal(b) && a.IsZero() == b.IsZero() }

func samePtr[T comparable](a, b *T) bool {
	if a == nil || b == nil {
		return a == b
	}
	return *a == *b
}
