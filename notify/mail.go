package notify

import (
	"context"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	mail "github.com/wneessen/go-mail"

	"github.com/baton-dev/baton/state"
)

// mail sends one e-mail: a proper Date and Message-ID, a MIME-encoded
// subject, and a link to the job when a public URL is configured.
func (w *Worker) mail(ctx context.Context, to string, n state.Notification) error {
	if w.SMTPURL == "" {
		return permanent(errNoSMTP)
	}
	u, err := url.Parse(w.SMTPURL)
	if err != nil || u.Scheme != "smtp" || u.Host == "" {
		return permanent(fmt.Errorf("BATON_SMTP_URL must look like smtp://[user:password@]host:port?from=ADDRESS"))
	}
	from := u.Query().Get("from")
	if from == "" {
		from = "baton@localhost"
	}
	m := mail.NewMsg()
	if err := m.From(from); err != nil {
		return permanent(fmt.Errorf("BATON_SMTP_URL from=%q: %w", from, err))
	}
	if err := m.To(to); err != nil {
		return permanent(fmt.Errorf("recipient %q: %w", to, err))
	}
	m.Subject(n.Subject())
	m.SetDateWithValue(w.Clock.Now())
	m.SetMessageID()
	m.SetBodyString(mail.TypeTextPlain, w.mailBody(n))

	c, err := w.smtpClient(u)
	if err != nil {
		return permanent(err)
	}
	if err := c.DialAndSendWithContext(ctx, m); err != nil {
		return fmt.Errorf("SMTP %s: %w", u.Host, err)
	}
	return nil
}

func (w *Worker) mailBody(n state.Notification) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Job %d of orchestration %s ended %s.\n", n.JobID, n.Orchestration, n.Status)
	fmt.Fprintf(&b, "Trigger: %s %s\n", n.Trigger, n.TriggeredBy)
	if n.Message != "" {
		fmt.Fprintf(&b, "%s\n", n.Message)
	}
	b.WriteString("\n")
	if w.PublicURL != "" {
		fmt.Fprintf(&b, "Details: %s/jobs/%d\n", strings.TrimRight(w.PublicURL, "/"), n.JobID)
	}
	fmt.Fprintf(&b, "On the command line: baton jobs show %d\n", n.JobID)
	return b.String()
}

// smtpClient connects as BATON_SMTP_URL says: STARTTLS when the server
// offers it, PLAIN authentication when a user is given.
func (w *Worker) smtpClient(u *url.URL) (*mail.Client, error) {
	host, portText, err := net.SplitHostPort(u.Host)
	if err != nil {
		host, portText = u.Host, "25"
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		return nil, fmt.Errorf("BATON_SMTP_URL port %q is not a number", portText)
	}
	opts := []mail.Option{mail.WithPort(port), mail.WithTLSPolicy(mail.TLSOpportunistic), mail.WithTimeout(w.HTTP.Timeout)}
	if u.User != nil {
		pass, _ := u.User.Password()
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthPlain), mail.WithUsername(u.User.Username()), mail.WithPassword(pass))
	}
	c, err := mail.NewClient(host, opts...)
	if err != nil {
		return nil, fmt.Errorf("BATON_SMTP_URL: %w", err)
	}
	return c, nil
}
