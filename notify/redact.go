package notify

import (
	"errors"
	"net/url"
	"strings"
)

// Redact hides a webhook URL's user, path and query, which often carry
// secrets (Slack's and Teams' hooks are bearer URLs): what is left names
// the host, enough to tell targets apart in a log.
func Redact(target string) string {
	u, err := url.Parse(target)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
		return target
	}
	out := u.Scheme + "://" + u.Host
	if (u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.User != nil {
		out += "/..."
	}
	return out
}

// redactError rewrites the URL net/http puts into its errors, and any other
// copy of target in the message.
func redactError(err error, target string) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return &url.Error{Op: ue.Op, URL: Redact(ue.URL), Err: redactError(ue.Err, target)}
	}
	if target != "" && strings.Contains(err.Error(), target) {
		return errors.New(strings.ReplaceAll(err.Error(), target, Redact(target)))
	}
	return err
}
