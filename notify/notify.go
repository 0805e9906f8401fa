// Package notify delivers the notification outbox: e-mail over SMTP
// (BATON_SMTP_URL) and webhooks (HTTP POST of JSON). Entries are written
// with a job's final status; the worker sends them with retries and
// backoff and marks each sent, so a crash loses nothing.
package notify

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/smtp"
	"net/url"
	"strings"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/executor"
	"github.com/baton-dev/baton/state"
)

// Worker sends pending notifications.
type Worker struct {
	Store state.Store
	Clock clock.Clock
	// SMTPURL is smtp://[user:password@]host:port?from=ADDRESS; e-mail
	// entries wait (and are retried) while it is empty.
	SMTPURL string
	HTTP    *http.Client
	Logger  *slog.Logger
	// Poll is how often the outbox is read (default 2 s).
	Poll time.Duration
}

// Run sends until ctx ends.
func (w *Worker) Run(ctx context.Context) error {
	w.defaults()
	for {
		if err := w.SendPending(ctx); err != nil && ctx.Err() == nil {
			w.Logger.Error("send notifications", "error", err)
		}
		t := w.Clock.NewTimer(w.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
	}
}

func (w *Worker) defaults() {
	if w.Poll <= 0 {
		w.Poll = 2 * time.Second
	}
	if w.HTTP == nil {
		w.HTTP = &http.Client{Timeout: 10 * time.Second}
	}
	if w.Logger == nil {
		w.Logger = slog.New(slog.DiscardHandler)
	}
}

// SendPending sends every entry that is due once.
func (w *Worker) SendPending(ctx context.Context) error {
	w.defaults()
	pending, err := w.Store.PendingOutbox(ctx, w.Clock.Now().UTC(), 100)
	if err != nil {
		return err
	}
	for _, e := range pending {
		err := w.send(ctx, e)
		now := w.Clock.Now().UTC()
		if err == nil {
			if err := w.Store.MarkOutboxSent(ctx, e.ID, now); err != nil {
				return err
			}
			w.Logger.Info("notification sent", "job", e.JobID, "channel", e.Channel, "target", redact(e.Target), "event", e.Event)
			continue
		}
		next := now.Add(backoff(e.Attempts))
		w.Logger.Warn("notification failed; will retry", "job", e.JobID, "channel", e.Channel, "target", redact(e.Target), "attempt", e.Attempts+1, "next", next, "error", err)
		if err := w.Store.MarkOutboxFailed(ctx, e.ID, next, err.Error()); err != nil {
			return err
		}
	}
	return nil
}

// backoff doubles from 10 s up to an hour.
func backoff(attempts int) time.Duration {
	d := 10 * time.Second
	for i := 0; i < attempts && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// redact hides webhook paths and queries, which often carry secrets.
func redact(target string) string {
	if u, err := url.Parse(target); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		return u.Scheme + "://" + u.Host + "/..."
	}
	return target
}

func (w *Worker) send(ctx context.Context, e state.OutboxEntry) error {
	if addr, ok := strings.CutPrefix(e.Target, "mailto:"); ok {
		var n executor.Notification
		if err := json.Unmarshal(e.Payload, &n); err != nil {
			return fmt.Errorf("decode notification: %w", err)
		}
		return w.mail(addr, n)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.Target, bytes.NewReader(e.Payload))
	if err != nil {
		return fmt.Errorf("webhook request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "baton")
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %w", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

func (w *Worker) mail(to string, n executor.Notification) error {
	if w.SMTPURL == "" {
		return errors.New("BATON_SMTP_URL is not set; set it to smtp://host:port?from=baton@example.com to send e-mail")
	}
	u, err := url.Parse(w.SMTPURL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return fmt.Errorf("BATON_SMTP_URL must look like smtp://[user:password@]host:port?from=ADDRESS")
	}
	from := u.Query().Get("from")
	if from == "" {
		from = "baton@localhost"
	}
	c, err := smtp.Dial(u.Host)
	if err != nil {
		return fmt.Errorf("SMTP %s: %w", u.Host, err)
	}
	defer c.Close()
	host, _, _ := net.SplitHostPort(u.Host)
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host}); err != nil {
			return fmt.Errorf("SMTP STARTTLS: %w", err)
		}
	}
	if u.User != nil {
		pass, _ := u.User.Password()
		if err := c.Auth(smtp.PlainAuth("", u.User.Username(), pass, host)); err != nil {
			return fmt.Errorf("SMTP auth: %w", err)
		}
	}
	if err := c.Mail(from); err != nil {
		return fmt.Errorf("SMTP MAIL FROM: %w", err)
	}
	if err := c.Rcpt(to); err != nil {
		return fmt.Errorf("SMTP RCPT TO %s: %w", to, err)
	}
	wc, err := c.Data()
	if err != nil {
		return fmt.Errorf("SMTP DATA: %w", err)
	}
	body := fmt.Sprintf("From: %s\r\nTo: %s\r\nSubject: %s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"+
		"Job %d of orchestration %s ended %s.\r\nTrigger: %s %s\r\n%s\r\n\r\nDetails: baton jobs show %d\r\n",
		from, to, n.Subject(), n.JobID, n.Orchestration, n.Status, n.Trigger, n.TriggeredBy, n.Message, n.JobID)
	if _, err := wc.Write([]byte(body)); err != nil {
		return fmt.Errorf("SMTP write: %w", err)
	}
	if err := wc.Close(); err != nil {
		return fmt.Errorf("SMTP end of data: %w", err)
	}
	return c.Quit()
}
