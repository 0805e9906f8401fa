package ui

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// hub watches the state for job changes while someone follows them and
// tells every follower which jobs changed. It polls the state, so it also
// sees jobs that another process (a `baton run`) executes.
type hub struct {
	store    Store
	clock    clock.Clock
	interval time.Duration
	logger   *slog.Logger

	mu   sync.Mutex
	subs map[*follower]struct{}
	// stop ends the polling goroutine; nil while none runs.
	stop context.CancelFunc
}

// follower collects the changes one stream has not sent yet.
type follower struct {
	signal  chan struct{}
	mu      sync.Mutex
	changed map[state.JobID]bool
	newJobs bool
}

func (f *follower) take() (map[state.JobID]bool, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c, n := f.changed, f.newJobs
	f.changed, f.newJobs = map[state.JobID]bool{}, false
	return c, n
}

func newHub(store Store, c clock.Clock, interval time.Duration, logger *slog.Logger) *hub {
	return &hub{store: store, clock: c, interval: interval, logger: logger, subs: map[*follower]struct{}{}}
}

// follow registers a follower; the polling runs while anyone follows.
func (h *hub) follow() (*follower, func()) {
	f := &follower{signal: make(chan struct{}, 1), changed: map[state.JobID]bool{}}
	h.mu.Lock()
	h.subs[f] = struct{}{}
	if h.stop == nil {
		// The first snapshot is taken before the stream starts, so no
		// change after the follower's page asked for it is missed.
		ctx, stop := context.WithCancel(context.Background())
		h.stop = stop
		first, err := h.take(ctx)
		if err != nil {
			h.logger.Warn("web UI live updates: read state", "error", err)
		}
		go h.poll(ctx, first)
	}
	h.mu.Unlock()
	return f, func() {
		h.mu.Lock()
		defer h.mu.Unlock()
		delete(h.subs, f)
		if len(h.subs) == 0 && h.stop != nil {
			h.stop()
			h.stop = nil
		}
	}
}

// snapshot is what the hub compares between polls: a fingerprint of every
// unfinished job and the newest job id.
type snapshot struct {
	active map[state.JobID]string
	parent map[state.JobID]state.JobID
	newest state.JobID
}

func (h *hub) take(ctx context.Context) (snapshot, error) {
	s := snapshot{active: map[state.JobID]string{}, parent: map[state.JobID]state.JobID{}}
	jobs, err := h.store.ActiveJobs(ctx)
	if err != nil {
		return s, err
	}
	for _, j := range jobs {
		s.active[j.ID] = fmt.Sprint(j.Status, j.StartedAt.UnixNano(), j.Message, j.LogPath)
		s.parent[j.ID] = j.ParentID
	}
	newest, err := h.store.ListJobs(ctx, state.JobFilter{Kind: state.KindTaskJob, Limit: 1})
	if err != nil {
		return s, err
	}
	if len(newest) > 0 {
		s.newest = newest[0].ID
	}
	if orch, err := h.store.ListJobs(ctx, state.JobFilter{Kind: state.KindOrchestrationJob, Limit: 1}); err == nil && len(orch) > 0 && orch[0].ID > s.newest {
		s.newest = orch[0].ID
	}
	return s, nil
}

func (h *hub) poll(ctx context.Context, prev snapshot) {
	timer := h.clock.NewTimer(h.interval)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C():
		}
		cur, err := h.take(ctx)
		timer.Reset(h.interval)
		if err != nil {
			if ctx.Err() == nil {
				h.logger.Warn("web UI live updates: read state", "error", err)
			}
			continue
		}
		changed := map[state.JobID]bool{}
		mark := func(id, parent state.JobID) {
			changed[id] = true
			if parent != 0 {
				changed[parent] = true
			}
		}
		for id, fp := range cur.active {
			if prev.active[id] != fp {
				mark(id, cur.parent[id])
			}
		}
		for id := range prev.active {
			if _, ok := cur.active[id]; !ok {
				mark(id, prev.parent[id])
			}
		}
		newJobs := cur.newest != prev.newest
		prev = cur
		if len(changed) == 0 && !newJobs {
			continue
		}
		h.mu.Lock()
		for f := range h.subs {
			f.mu.Lock()
			for id := range changed {
				f.changed[id] = true
			}
			f.newJobs = f.newJobs || newJobs
			f.mu.Unlock()
			select {
			case f.signal <- struct{}{}:
			default:
			}
		}
		h.mu.Unlock()
	}
}

// sse prepares a Server-Sent Events response; streams outlive the
// server's write timeout.
func sse(w http.ResponseWriter) (*http.ResponseController, bool) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{})
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Accel-Buffering", "no")
	w.WriteHeader(http.StatusOK)
	_, err := io.WriteString(w, ": live\n\n")
	return rc, err == nil && rc.Flush() == nil
}

func sendEvent(w io.Writer, rc *http.ResponseController, event string, data any) bool {
	b, err := json.Marshal(data)
	if err != nil {
		return false
	}
	if _, err := fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, b); err != nil {
		return false
	}
	return rc.Flush() == nil
}

// events streams "change" events: every change for the jobs list, or only
// those of one job (?job=ID) for a job page.
func (u *UI) events(w http.ResponseWriter, r *http.Request, _ *session) {
	var only state.JobID
	if v := r.URL.Query().Get("job"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			http.Error(w, "job must be a number", http.StatusBadRequest)
			return
		}
		only = state.JobID(n)
	}
	f, done := u.hub.follow()
	defer done()
	rc, ok := sse(w)
	if !ok {
		return
	}
	keepAlive := u.cfg.Clock.NewTimer(15 * time.Second)
	defer keepAlive.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-u.closing.Done():
			return
		case <-keepAlive.C():
			keepAlive.Reset(15 * time.Second)
			if _, err := io.WriteString(w, ": keep-alive\n\n"); err != nil || rc.Flush() != nil {
				return
			}
		case <-f.signal:
			changed, newJobs := f.take()
			if only != 0 && !changed[only] {
				continue
			}
			ids := make([]state.JobID, 0, len(changed))
			for id := range changed {
				ids = append(ids, id)
			}
			if !sendEvent(w, rc, "change", map[string]any{"jobs": ids, "new": newJobs}) {
				return
			}
		}
	}
}

// logChunk is what a log stream sends: new text of one task's log.
type logChunk struct {
	Task  state.JobID `json:"task"`
	Name  string      `json:"name"`
	Phase string      `json:"phase"`
	Text  string      `json:"text"`
}

const logChunkMax = 256 << 10

// logTail streams what the job's tasks write to their logs, from the
// offsets the page already shows (?o=TASK:OFFSET,...), and ends once the
// job ended and every log was sent.
func (u *UI) logTail(w http.ResponseWriter, r *http.Request, s *session) {
	job, ok := u.readJob(w, r, s)
	if !ok {
		return
	}
	offsets := map[state.JobID]int64{}
	for _, kv := range strings.Split(r.URL.Query().Get("o"), ",") {
		k, v, _ := strings.Cut(kv, ":")
		id, err1 := strconv.ParseInt(k, 10, 64)
		off, err2 := strconv.ParseInt(v, 10, 64)
		if err1 == nil && err2 == nil && off >= 0 {
			offsets[state.JobID(id)] = off
		}
	}
	rc, ok := sse(w)
	if !ok {
		return
	}
	ended := map[state.JobID]bool{} // tasks whose log was sent to its end
	timer := u.cfg.Clock.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-r.Context().Done():
			return
		case <-u.closing.Done():
			return
		case <-timer.C():
		}
		sent := false
		for _, t := range job.Tasks {
			if t.LogPath == "" || ended[t.ID] {
				continue
			}
			text, next := u.readFrom(r.Context(), t, offsets)
			if text == "" {
				// A task's whole log is kept before it is seen ended.
				ended[t.ID] = t.Status.Terminal()
				continue
			}
			offsets[t.ID] = next
			sent = true
			if !sendEvent(w, rc, "log", logChunk{Task: t.ID, Name: t.Task, Phase: t.Phase, Text: text}) {
				return
			}
		}
		if job.Status.Terminal() && !sent {
			sendEvent(w, rc, "end", map[string]any{"status": job.Status})
			return
		}
		var err error
		if job, err = u.cfg.Store.Job(r.Context(), job.ID); err != nil {
			return
		}
		timer.Reset(u.cfg.PollInterval)
	}
}

// readFrom reads a log from the task's offset, from its file or what a
// shared state keeps of it; a log never seen starts at its last window.
func (u *UI) readFrom(ctx context.Context, t state.Job, offsets map[state.JobID]int64) (string, int64) {
	logs := executor.LogsOf(u.cfg.Store)
	off, seen := offsets[t.ID]
	if !seen {
		text, end, _, ok := executor.TailLog(ctx, logs, t, logWindow)
		if !ok {
			return "", 0
		}
		return string(text), end // a window is less than a chunk
	}
	b, ok := executor.ReadLog(ctx, logs, t, off, logChunkMax)
	if !ok {
		return "", off
	}
	return string(b), off + int64(len(b))
}
