package spec

import "time"

// Retention says how long ended jobs and their files are kept.
type Retention struct {
	Source `json:"-"`
	// Jobs is how long an ended job's record is kept (default 90 days).
	Jobs Duration `json:"jobs,omitempty"`
	// Logs is how long an ended task's log and data dir are kept (default
	// 14 days); never longer than its job.
	Logs Duration `json:"logs,omitempty"`
}

// Default retention periods.
const (
	DefaultJobRetention = 90 * 24 * time.Hour
	DefaultLogRetention = 14 * 24 * time.Hour
	// MinRetention keeps a typo such as "1s" from deleting the history
	// of jobs that just ended.
	MinRetention = time.Hour
)

// JobRetention is how long ended jobs are kept.
func (p *Project) JobRetention() time.Duration {
	if p != nil && p.Retention != nil && p.Retention.Jobs > 0 {
		return time.Duration(p.Retention.Jobs)
	}
	return DefaultJobRetention
}

// LogRetention is how long the logs and data dirs of ended tasks are kept.
func (p *Project) LogRetention() time.Duration {
	if p != nil && p.Retention != nil && p.Retention.Logs > 0 {
		return min(time.Duration(p.Retention.Logs), p.JobRetention())
	}
	return min(DefaultLogRetention, p.JobRetention())
}

func (v *validator) retention(r *Retention) {
	for _, f := range []struct {
		name string
		d    Duration
	}{{"jobs", r.Jobs}, {"logs", r.Logs}} {
		if f.d != 0 && time.Duration(f.d) < MinRetention {
			v.errorf(r.FieldPos(f.name), `keep ended jobs at least an hour, e.g. "90d"`, "retention %s = %s is shorter than the minimum of 1h", f.name, time.Duration(f.d))
		}
	}
}
