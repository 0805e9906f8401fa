package notify

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/baton-dev/baton/spec"
	"github.com/baton-dev/baton/state"
)

// channelSet is the applied notification channels by name; a webhook's
// format and secret are read from it at delivery.
type channelSet map[string]*spec.Notification

func (w *Worker) channels(ctx context.Context) channelSet {
	out := channelSet{}
	objs, err := w.Store.AppliedObjects(ctx)
	if err != nil {
		w.Logger.Warn("read notification channels; webhooks go out as plain JSON", "error", err)
		return out
	}
	for _, o := range objs {
		if o.Kind != spec.KindNotification {
			continue
		}
		var n spec.Notification
		if err := json.Unmarshal(o.JSON, &n); err == nil {
			out[n.Name] = &n
		}
	}
	return out
}

func (w *Worker) send(ctx context.Context, e state.OutboxEntry, channels channelSet) error {
	var n state.Notification
	if err := json.Unmarshal(e.Payload, &n); err != nil {
		return permanent(fmt.Errorf("decode notification: %w", err))
	}
	if addr, ok := strings.CutPrefix(e.Target, "mailto:"); ok {
		return w.mail(ctx, addr, n)
	}
	var ch spec.Notification
	if c := channels[e.Channel]; c != nil && c.Webhook == e.Target {
		ch = *c
	}
	return w.webhook(ctx, e.Target, ch, n)
}

var errNoSMTP = errors.New("e-mail is not configured: set BATON_SMTP_URL=smtp://host:port?from=baton@example.com and restart baton watch")
