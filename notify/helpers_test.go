package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/state/sqlite"
)

var t0 = time.Date(2026, 11, 25, 6, 0, 0, 0, time.UTC)

func openStore(t *testing.T) state.Store {
	t.Helper()
	store, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	return store
}

// queue adds one notification of a new job of orchestration o for each
// target.
func queue(t *testing.T, store state.Store, o, channel string, targets ...string) state.JobID {
	t.Helper()
	ctx := context.Background()
	job, err := store.CreateJob(ctx, state.NewJob{Kind: state.KindOrchestrationJob, Orchestration: o, SerialKey: "orchestration:" + o, Status: state.JobCreated, CreatedAt: t0}, nil)
	if err != nil {
		t.Fatal(err)
	}
	payload, _ := json.Marshal(state.Notification{Event: spec.EventError, Orchestration: o, JobID: job.ID, Status: state.JobError, Trigger: "schedule", Message: "task t failed"})
	for _, target := range targets {
		if err := store.AddOutbox(ctx, state.OutboxEntry{JobID: job.ID, Channel: channel, Target: target, Event: "error", Payload: payload, CreatedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	return job.ID
}

// applyChannels applies notification channels, which webhooks read their
// format and secret from.
func applyChannels(t *testing.T, store state.Store, channels ...*spec.Notification) {
	t.Helper()
	objs, err := (&spec.Spec{Notifications: channels}).Objects()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := store.ApplyRevision(context.Background(), state.Revision{Ref: "r1", Source: "test", AppliedAt: t0}, objs); err != nil {
		t.Fatal(err)
	}
}

// hook is a webhook receiver that keeps what it was sent.
type hook struct {
	mu      sync.Mutex
	bodies  [][]byte
	headers []http.Header
	got     chan struct{}
}

func newHook(t *testing.T) (*hook, *httptest.Server) {
	h := &hook{got: make(chan struct{}, 1000)}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		h.mu.Lock()
		h.bodies = append(h.bodies, b)
		h.headers = append(h.headers, r.Header.Clone())
		h.mu.Unlock()
		h.got <- struct{}{}
	}))
	t.Cleanup(srv.Close)
	return h, srv
}

func (h *hook) received() ([][]byte, []http.Header) {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([][]byte(nil), h.bodies...), append([]http.Header(nil), h.headers...)
}

// smtpBox is a real SMTP server that keeps the raw messages it receives.
type smtpBox struct {
	mu   sync.Mutex
	msgs []string
}

func (b *smtpBox) NewSession(*smtp.Conn) (smtp.Session, error) { return &smtpSession{box: b}, nil }

type smtpSession struct{ box *smtpBox }

func (s *smtpSession) Reset()                               {}
func (s *smtpSession) Logout() error                        { return nil }
func (s *smtpSession) Mail(string, *smtp.MailOptions) error { return nil }
func (s *smtpSession) Rcpt(string, *smtp.RcptOptions) error { return nil }
func (s *smtpSession) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.box.mu.Lock()
	defer s.box.mu.Unlock()
	s.box.msgs = append(s.box.msgs, string(b))
	return nil
}

func (b *smtpBox) messages() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.msgs...)
}

// startSMTP serves a real SMTP server on the loopback and returns its
// BATON_SMTP_URL.
func startSMTP(t *testing.T) (*smtpBox, string) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	box := &smtpBox{}
	srv := smtp.NewServer(box)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return box, "smtp://" + ln.Addr().String() + "?from=baton@example.com"
}

// logBuffer collects log lines safely across goroutines.
type logBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logBuffer) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

func (l *logBuffer) count(s string) int { return strings.Count(l.String(), s) }
