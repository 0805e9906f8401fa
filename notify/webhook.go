package notify

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/baton-dev/baton/redact"
	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// SignatureHeader carries sha256=HEX(HMAC-SHA256(secret, body)) when the
// channel names a secret, so that the receiver can tell baton's calls from
// anyone else's.
const SignatureHeader = "X-Baton-Signature-256"

// Sign is the value of SignatureHeader for body.
func Sign(secret, body []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func (w *Worker) webhook(ctx context.Context, target string, ch spec.Notification, n state.Notification) error {
	body, err := w.webhookBody(ch, n)
	if err != nil {
		return permanent(err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return permanent(fmt.Errorf("webhook request: %s", redact.Error(err, target)))
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("User-Agent", "baton")
	if ch.SecretEnv != "" {
		secret := w.Getenv(ch.SecretEnv)
		if secret == "" {
			return permanent(fmt.Errorf("notification %q signs with the secret in $%s, which is not set; set it in baton's environment", ch.Name, ch.SecretEnv))
		}
		req.Header.Set(SignatureHeader, Sign([]byte(secret), body))
	}
	resp, err := w.HTTP.Do(req)
	if err != nil {
		return fmt.Errorf("webhook: %s", redact.Error(err, target))
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("webhook answered %s", resp.Status)
	}
	return nil
}

// webhookBody is the notification as JSON, or in the shape of a Slack
// incoming webhook (which Mattermost, Rocket.Chat and others accept too).
func (w *Worker) webhookBody(ch spec.Notification, n state.Notification) ([]byte, error) {
	switch ch.Format {
	case "", spec.WebhookJSON:
		return json.Marshal(n)
	case spec.WebhookSlack:
		text := n.Subject()
		if n.Message != "" {
			text += "\n" + n.Message
		}
		if w.PublicURL != "" {
			text += fmt.Sprintf("\n<%s/jobs/%d|Job %d>", strings.TrimRight(w.PublicURL, "/"), n.JobID, n.JobID)
		}
		return json.Marshal(map[string]string{"text": text})
	}
	return nil, fmt.Errorf("notification %q: unknown webhook format %q", ch.Name, ch.Format)
}
