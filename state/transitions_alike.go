package state

import (
	"slices"
	"time"
)

// minAlike is the shortest run of alike transitions a backend writes as
// one statement; shorter runs cost less one by one.
const minAlike = 4

// AlikeRun is the length of the run of transitions at the start of ts
// that a backend may apply as one statement: a run of at least minAlike
// transitions of distinct jobs that set the same columns to the same
// values from the same statuses, with no table updates or notifications
// (the waiting marks of a wide phase), or else 1. Applying the runs of ts
// in turn is applying ts in turn: the jobs of a run are distinct, so
// their order within it does not matter. It allocates nothing unless a
// run may begin, so a round of a few transitions costs nothing extra.
func AlikeRun(ts []JobTransition) int {
	if len(ts) < minAlike || !groupable(ts[0].Update) || !alike(ts[0], ts[1]) || ts[0].ID == ts[1].ID {
		return 1
	}
	seen := map[JobID]bool{ts[0].ID: true}
	n := 1
	for n < len(ts) && !seen[ts[n].ID] && alike(ts[0], ts[n]) {
		seen[ts[n].ID] = true
		n++
	}
	if n < minAlike {
		return 1
	}
	return n
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

// ApplyAlikeRuns applies ts in turn, each run of alike transitions (see
// AlikeRun) with many and every other transition alone with one.
func ApplyAlikeRuns(ts []JobTransition, one func(JobTransition) error, many func([]JobTransition) error) error {
	for len(ts) > 0 {
		n := AlikeRun(ts)
		var err error
		if n == 1 {
			err = one(ts[0])
		} else {
			err = many(ts[:n])
		}
		if err != nil {
			return err
		}
		ts = ts[n:]
	}
	return nil
}
