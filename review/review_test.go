package review

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/baton-dev/baton/finding"
	"github.com/baton-dev/baton/hcl"
	"github.com/baton-dev/baton/schedule"
	"github.com/baton-dev/baton/spec"
)

func parse(t *testing.T, src string) *spec.Spec {
	t.Helper()
	s, diags := hcl.Parse([]hcl.File{{Name: "main.hcl", Src: []byte(`configuration "c" { command = ["true"] }
` + src)}})
	if diags.HasErrors() {
		var b strings.Builder
		diags.WriteText(&b)
		t.Fatalf("fixture does not parse:\n%s", b.String())
	}
	return s
}

func nightly(cron, zone string) string {
	return `orchestration "nightly" {
  schedule {
    cron     = "` + cron + `"
    timezone = "` + zone + `"
  }
  phase "p" {
    task "t" { configuration = "c" }
  }
}
`
}

var now = time.Date(2026, 11, 25, 5, 0, 0, 0, time.UTC)

func codes(fs finding.List) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.Code)
	}
	return out
}

// The DST findings say when baton fires; that must be when the schedule
// really fires (Vixie's rule: a skipped time once at the change, a
// repeated time once at its first occurrence).
func TestDSTFindingsNameTheInstantBatonFires(t *testing.T) {
	fs := Run(context.Background(), Input{Head: parse(t, nightly("30 2 * * *", "Europe/Prague")), Now: now})
	if got := codes(fs); len(got) != 2 || got[0] != "dst-change" || got[1] != "dst-change" {
		t.Fatalf("findings = %v, want two dst-change (spring and autumn)", got)
	}
	sched, err := schedule.Parse("30 2 * * *", "Europe/Prague")
	if err != nil {
		t.Fatal(err)
	}
	utc := regexp.MustCompile(`\((\d\d:\d\d) UTC\)$`)
	for _, f := range fs {
		day := regexp.MustCompile(`on \w+ (\d{4}-\d\d-\d\d)`).FindStringSubmatch(f.Message)
		at := utc.FindStringSubmatch(f.Message)
		if day == nil || at == nil {
			t.Fatalf("finding names no day or UTC time: %s", f.Message)
		}
		midnight, _ := time.Parse("2006-01-02", day[1])
		fire := sched.Next(midnight.Add(-3 * time.Hour))
		if fire.UTC().Format("15:04") != at[1] {
			t.Errorf("%s\nbut the schedule fires at %s UTC", f.Message, fire.UTC().Format("15:04"))
		}
		if f.Severity != finding.Warning || f.Line != 4 {
			t.Errorf("finding %+v: want a warning at the cron line", f)
		}
	}
	for _, quiet := range []string{nightly("30 2 * * *", "UTC"), nightly("0 6 * * *", "Europe/Prague"), nightly("30 * * * *", "Europe/Prague")} {
		if fs := Run(context.Background(), Input{Head: parse(t, quiet), Now: now}); len(fs) != 0 {
			t.Errorf("no DST finding expected for\n%s\ngot %v", quiet, codes(fs))
		}
	}
}

// With a base, warnings concern what the change touches; errors always
// show, as apply refuses them either way.
func TestWarningsAreAboutWhatChanged(t *testing.T) {
	src := nightly("30 2 * * *", "Europe/Prague") + strings.ReplaceAll(nightly("0 0 30 2 *", "UTC"), "nightly", "never")
	head, base := parse(t, src), parse(t, src)
	got := codes(Run(context.Background(), Input{Head: head, Base: base, Now: now}))
	if len(got) != 1 || got[0] != "never-fires" {
		t.Errorf("unchanged revision: findings %v, want only the never-fires error", got)
	}
	got = codes(Run(context.Background(), Input{Head: head, Now: now}))
	if len(got) != 3 {
		t.Errorf("without a base: findings %v, want both DST warnings and the error", got)
	}
}

type durations []time.Duration

func (d durations) SuccessfulDurations(context.Context, string) ([]time.Duration, error) {
	return d, nil
}

func TestOverlapFromHistoryComparesTheIntervalWithTheP95(t *testing.T) {
	head := parse(t, nightly("*/15 * * * *", "UTC"))
	for _, tc := range []struct {
		hist durations
		want int
	}{
		{durations{10 * time.Minute, 12 * time.Minute, 14 * time.Minute}, 0},
		{durations{10 * time.Minute, 12 * time.Minute, 20 * time.Minute}, 1},
		{durations{20 * time.Minute, 20 * time.Minute}, 0}, // too few jobs to trust
	} {
		fs := Run(context.Background(), Input{Head: head, Now: now, History: tc.hist})
		if len(fs) != tc.want {
			t.Errorf("history %v: %v, want %d finding(s)", tc.hist, fs, tc.want)
		}
	}
	if p := percentile(durations{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 100}, 0.95); p != 19 {
		t.Errorf("p95 of 20 values = %v, want the 19th", p)
	}
}

func TestZoneShiftsReadAsHoursAndMinutes(t *testing.T) {
	for d, want := range map[time.Duration]string{6 * time.Hour: "+6h", -5*time.Hour - 30*time.Minute: "-5h30m", 0: "+0h", 45 * time.Minute: "+45m"} {
		if got := signed(d); got != want {
			t.Errorf("signed(%v) = %q, want %q", d, got, want)
		}
	}
}
