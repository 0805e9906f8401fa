package state

import (
	"slices"
	"testing"
	"time"
)

func TestAlikeRunGroupsOnlyEqualTransitionsOfDistinctJobs(t *testing.T) {
	wait := func(id JobID, msg string) JobTransition {
		return JobTransition{ID: id, From: []JobStatus{JobCreated, JobWaiting}, Update: JobUpdate{Status: JobWaiting, Message: &msg}}
	}
	at := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	start := func(id JobID) JobTransition {
		return JobTransition{ID: id, From: []JobStatus{JobCreated, JobWaiting}, Update: JobUpdate{Status: JobProcessing, StartedAt: at}}
	}
	withTables := wait(9, "a")
	withTables.Update.TableUpdates = []TableUpdate{{Table: "t"}}
	tests := []struct {
		name string
		in   []JobTransition
		want []int // the lengths of the runs
	}{
		{"a wide phase's waiting marks", []JobTransition{start(1), wait(2, "a"), wait(3, "a"), wait(4, "a"), wait(5, "a"), wait(6, "a")}, []int{1, 5}},
		{"too short a run stays single", []JobTransition{wait(2, "a"), wait(3, "a"), wait(4, "a")}, []int{1, 1, 1}},
		{"another message ends a run", []JobTransition{wait(2, "a"), wait(3, "a"), wait(4, "a"), wait(5, "a"), wait(6, "b"), wait(7, "b")}, []int{4, 1, 1}},
		{"a job twice ends a run", []JobTransition{wait(2, "a"), wait(3, "a"), wait(4, "a"), wait(5, "a"), wait(2, "a"), wait(6, "a")}, []int{4, 1, 1}},
		{"equal starts group too", []JobTransition{start(1), start(2), start(3), start(4)}, []int{4}},
		{"table updates never group", []JobTransition{wait(2, "a"), wait(3, "a"), wait(4, "a"), withTables, wait(5, "a")}, []int{1, 1, 1, 1, 1}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var lens []int
			var flat []JobTransition
			for ts := tc.in; len(ts) > 0; {
				n := AlikeRun(ts)
				lens = append(lens, n)
				flat = append(flat, ts[:n]...)
				ts = ts[n:]
			}
			if !slices.Equal(lens, tc.want) {
				t.Errorf("run lengths = %v, want %v", lens, tc.want)
			}
			if len(flat) != len(tc.in) {
				t.Fatalf("runs hold %d transitions, want %d", len(flat), len(tc.in))
			}
			for i := range flat {
				if flat[i].ID != tc.in[i].ID {
					t.Errorf("transition %d of the runs is job %d, want job %d (the order kept)", i, flat[i].ID, tc.in[i].ID)
				}
			}
		})
	}
}
