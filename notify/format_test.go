package notify

import (
	"context"
	"encoding/json"
	"mime"
	"net/mail"
	"strconv"
	"strings"
	"testing"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/spec"
)

// An e-mail has a Date, a Message-ID, a MIME-encoded subject and a link to
// the job when a public URL is configured.
func TestEmailIsAProperMessageWithALinkToTheJob(t *testing.T) {
	box, smtpURL := startSMTP(t)
	store := openStore(t)
	job := queue(t, store, "nächtlich", "ops", "mailto:ops@example.com")
	w := &Worker{Store: store, Clock: clock.NewFake(t0), SMTPURL: smtpURL, PublicURL: "https://baton.example.com/"}
	if err := w.SendPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	msgs := box.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d messages, want 1", len(msgs))
	}
	m, err := mail.ReadMessage(strings.NewReader(msgs[0]))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := m.Header.Date(); err != nil || !d.Equal(t0) {
		t.Errorf("Date = %v (%v), want %v", d, err, t0)
	}
	if id := m.Header.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.Contains(id, "@") {
		t.Errorf("Message-ID = %q", id)
	}
	raw := m.Header.Get("Subject")
	if !strings.HasPrefix(raw, "=?UTF-8?") {
		t.Errorf("subject %q is not MIME-encoded", raw)
	}
	if subject, err := new(mime.WordDecoder).DecodeHeader(raw); err != nil || !strings.Contains(subject, "nächtlich") {
		t.Errorf("subject decodes to %q (%v)", subject, err)
	}
	body := msgs[0][strings.Index(msgs[0], "\r\n\r\n"):]
	if want := "https://baton.example.com/jobs/" + strconv.FormatInt(int64(job), 10); !strings.Contains(body, want) {
		t.Errorf("body has no link %s:\n%s", want, body)
	}
}

// A channel with secret_env signs the body with HMAC-SHA256 of the secret
// from the environment; format = "slack" sends Slack's {"text": ...}.
func TestWebhookIsSignedAndSpeaksSlack(t *testing.T) {
	h, srv := newHook(t)
	store := openStore(t)
	applyChannels(t, store,
		&spec.Notification{Name: "signed", Webhook: srv.URL + "/signed", SecretEnv: "OPS_HOOK_SECRET"},
		&spec.Notification{Name: "slack", Webhook: srv.URL + "/slack", Format: spec.WebhookSlack},
	)
	queue(t, store, "daily", "signed", srv.URL+"/signed")
	queue(t, store, "daily", "slack", srv.URL+"/slack")
	env := map[string]string{"OPS_HOOK_SECRET": "s3cret"}
	w := &Worker{Store: store, Clock: clock.NewFake(t0), Getenv: func(k string) string { return env[k] }, Parallel: 1}
	if err := w.SendPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	bodies, headers := h.received()
	if len(bodies) != 2 {
		t.Fatalf("%d calls, want 2", len(bodies))
	}
	var signed, slack int = -1, -1
	for i, b := range bodies {
		if strings.Contains(string(b), `"text"`) {
			slack = i
		} else {
			signed = i
		}
	}
	if signed < 0 || slack < 0 {
		t.Fatalf("bodies: %s", bodies)
	}
	if got, want := headers[signed].Get(SignatureHeader), Sign([]byte("s3cret"), bodies[signed]); got != want || !strings.HasPrefix(got, "sha256=") {
		t.Errorf("signature = %q, want %q", got, want)
	}
	var n map[string]any
	if err := json.Unmarshal(bodies[signed], &n); err != nil || n["orchestration"] != "daily" {
		t.Errorf("signed body = %s (%v)", bodies[signed], err)
	}
	if headers[slack].Get(SignatureHeader) != "" {
		t.Error("a channel without secret_env was signed")
	}
	var s map[string]string
	if err := json.Unmarshal(bodies[slack], &s); err != nil || !strings.Contains(s["text"], "job") || len(s) != 1 {
		t.Errorf("slack body = %s (%v)", bodies[slack], err)
	}
}

// A channel that signs with a variable that is not set is undeliverable
// (sending it unsigned would teach the receiver to accept anything).
func TestWebhookWithMissingSecretIsUndeliverable(t *testing.T) {
	h, srv := newHook(t)
	store := openStore(t)
	applyChannels(t, store, &spec.Notification{Name: "signed", Webhook: srv.URL, SecretEnv: "OPS_HOOK_SECRET"})
	queue(t, store, "daily", "signed", srv.URL)
	var outcomes []string
	w := &Worker{Store: store, Clock: clock.NewFake(t0), Getenv: func(string) string { return "" }, Observe: func(_, o string) { outcomes = append(outcomes, o) }}
	if err := w.SendPending(context.Background()); err != nil {
		t.Fatal(err)
	}
	if b, _ := h.received(); len(b) != 0 || len(outcomes) != 1 || outcomes[0] != OutcomeUndeliverable {
		t.Errorf("calls %d, outcomes %v; want none sent and one undeliverable", len(b), outcomes)
	}
}
