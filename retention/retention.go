// Package retention deletes what baton no longer needs to keep: ended jobs
// after project.retention.jobs (default 90 days), and the logs and data
// dirs of ended tasks after project.retention.logs (default 14 days). It
// works in small batches, each its own short transaction, so that the
// executor's writes go on in between. Running jobs, the last job of each
// orchestration and the original of a kept retry are never deleted.
package retention

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// Policy is how long ended jobs and their files are kept.
type Policy struct {
	Jobs time.Duration
	Logs time.Duration
}

// Store is what retention needs of the state.
type Store interface {
	state.RetentionStore
	AppliedObject(ctx context.Context, kind spec.Kind, name string) (spec.Object, error)
}

// PolicyOf reads the policy of the applied project; the defaults when
// nothing is applied or the project says nothing.
func PolicyOf(ctx context.Context, st Store) (Policy, error) {
	var p *spec.Project
	o, err := st.AppliedObject(ctx, spec.KindProject, spec.ProjectName)
	switch {
	case err == nil:
		p = &spec.Project{}
		if err := json.Unmarshal(o.JSON, p); err != nil {
			return Policy{}, fmt.Errorf("read the retention policy: %w", err)
		}
	case !errors.Is(err, state.ErrNotFound):
		return Policy{}, fmt.Errorf("read the retention policy: %w", err)
	}
	return Policy{Jobs: p.JobRetention(), Logs: p.LogRetention()}, nil
}

// Report is what one sweep freed (or, in a dry run, would free).
type Report struct {
	// Jobs counts top-level runs; Records every job record with their
	// task jobs and nested runs (not known in a dry run).
	Jobs    int   `json:"jobs"`
	Records int   `json:"records"`
	Files   int   `json:"files"`
	Bytes   int64 `json:"bytes"`
	DryRun  bool  `json:"dry_run,omitempty"`
}

// Sweeper deletes expired jobs and files.
type Sweeper struct {
	Store   Store
	JobsDir string
	Clock   clock.Clock
	Logger  *slog.Logger
	// Batch is how many runs one transaction deletes (default 50).
	Batch int
	// Unstored, when set, reports the new jobs the executor of this
	// process holds and has not stored yet: their data dirs are in use,
	// although the state does not know them.
	Unstored func(state.JobID) bool
	// KeepUnknown leaves the files of jobs the state does not know alone,
	// but for the jobs this sweep deleted: set when an executor runs in
	// another process, which may be storing new jobs whose data dirs it
	// has made already. That process's own sweep removes the rest.
	KeepUnknown bool
}

func (s *Sweeper) defaults() {
	if s.Batch <= 0 {
		s.Batch = 50
	}
	if s.Logger == nil {
		s.Logger = slog.New(slog.DiscardHandler)
	}
	if s.Clock == nil {
		s.Clock = clock.Real()
	}
}

// Run sweeps after first and then every interval until ctx ends: not at
// once, so that a starting watcher's own work goes first. Failures are
// logged; the next sweep tries again.
func (s *Sweeper) Run(ctx context.Context, first, interval time.Duration) {
	s.defaults()
	if !s.sleep(ctx, first) {
		return
	}
	for {
		policy, err := PolicyOf(ctx, s.Store)
		if err == nil {
			var r Report
			r, err = s.Sweep(ctx, policy, false)
			if r.Records+r.Files > 0 {
				s.Logger.Info("retention freed", "jobs", r.Jobs, "records", r.Records, "files", r.Files, "bytes", r.Bytes)
			}
		}
		if err != nil && ctx.Err() == nil {
			s.Logger.Error("retention", "error", err)
		}
		if !s.sleep(ctx, interval) {
			return
		}
	}
}

func (s *Sweeper) sleep(ctx context.Context, d time.Duration) bool {
	t := s.Clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C():
		return true
	}
}

// Sweep deletes what policy no longer keeps, or with dryRun only counts it.
func (s *Sweeper) Sweep(ctx context.Context, policy Policy, dryRun bool) (Report, error) {
	s.defaults()
	now := s.Clock.Now().UTC()
	r := Report{DryRun: dryRun}
	jobsCut := now.Add(-policy.Jobs)
	gone := map[state.JobID]bool{}
	if dryRun {
		ids, err := s.Store.ExpiredJobs(ctx, jobsCut, 0)
		if err != nil {
			return r, err
		}
		r.Jobs = len(ids)
	}
	for !dryRun {
		if err := ctx.Err(); err != nil {
			return r, err
		}
		ids, err := s.Store.ExpiredJobs(ctx, jobsCut, s.Batch)
		if err != nil {
			return r, err
		}
		if len(ids) == 0 {
			break
		}
		deleted, err := s.Store.DeleteJobs(ctx, ids)
		if err != nil {
			return r, err
		}
		r.Jobs += len(ids)
		r.Records += len(deleted)
		for _, id := range deleted {
			gone[id] = true
		}
	}
	return r, s.sweepFiles(ctx, now.Add(-min(policy.Logs, policy.Jobs)), &r, gone)
}

// sweepFiles removes the logs and data dirs of jobs that ended before cut
// or no longer exist (with KeepUnknown: were deleted by this sweep, gone),
// a batch of names at a time.
func (s *Sweeper) sweepFiles(ctx context.Context, cut time.Time, r *Report, gone map[state.JobID]bool) error {
	if s.JobsDir == "" {
		return nil
	}
	entries, err := os.ReadDir(s.JobsDir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("read the jobs dir: %w", err)
	}
	const batch = 500
	for start := 0; start < len(entries); start += batch {
		if err := ctx.Err(); err != nil {
			return err
		}
		byID := map[state.JobID][]fs.DirEntry{}
		var ids []state.JobID
		for _, e := range entries[start:min(start+batch, len(entries))] {
			n, err := strconv.ParseInt(strings.TrimSuffix(e.Name(), ".log"), 10, 64)
			if err != nil {
				continue // not ours
			}
			id := state.JobID(n)
			// Asked before the state: a job stored after this is known
			// to the state below.
			if s.Unstored != nil && s.Unstored(id) {
				continue
			}
			if byID[id] == nil {
				ids = append(ids, id)
			}
			byID[id] = append(byID[id], e)
		}
		ended, err := s.Store.JobsEnded(ctx, ids)
		if err != nil {
			return err
		}
		for _, id := range ids {
			at, exists := ended[id]
			if exists && (at.IsZero() || !at.Before(cut)) {
				continue
			}
			if !exists && s.KeepUnknown && !gone[id] {
				continue
			}
			for _, e := range byID[id] {
				path := filepath.Join(s.JobsDir, e.Name())
				r.Files++
				r.Bytes += size(path)
				if r.DryRun {
					continue
				}
				if err := os.RemoveAll(path); err != nil {
					return fmt.Errorf("remove %s: %w", path, err)
				}
			}
		}
	}
	return nil
}

// size is the bytes of a file or of everything below a directory.
func size(path string) int64 {
	var n int64
	_ = filepath.WalkDir(path, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			if info, err := d.Info(); err == nil {
				n += info.Size()
			}
		}
		return nil
	})
	return n
}
