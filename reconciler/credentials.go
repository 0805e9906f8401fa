package reconciler

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strings"

	"github.com/go-git/go-git/v5/plumbing/transport"
	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"
	gitssh "github.com/go-git/go-git/v5/plumbing/transport/ssh"
)

// defaultGitUser is the HTTPS user name sent with BATON_GIT_TOKEN when
// BATON_GIT_USER is not set; hosts that take a token as password accept
// any name.
const defaultGitUser = "baton"

// scpLike matches Git's scp-style SSH address, user@host:path.
var scpLike = regexp.MustCompile(`^[^@/:\s]+@[^@/:\s]+:[^\s]*$`)

// isSCPLike reports whether s is an scp-style SSH address (user@host:path),
// which Git reads as SSH.
func isSCPLike(s string) bool { return !strings.Contains(s, "://") && scpLike.MatchString(s) }

func isSSH(u string) bool { return strings.HasPrefix(u, "ssh://") || isSCPLike(u) }

// splitCredentials takes the user and password out of an HTTP(S) URL, and
// the password out of an SSH URL (its user name stays: it says which
// account to log in as). The URL left is what baton prints and stores, so
// that a secret given in a URL never reaches a log, an error or the state.
func splitCredentials(raw string) (clean, user, password string) {
	if !strings.HasPrefix(raw, "http://") && !strings.HasPrefix(raw, "https://") && !strings.HasPrefix(raw, "ssh://") {
		return raw, "", ""
	}
	u, err := url.Parse(raw)
	if err != nil || u.User == nil {
		return raw, "", ""
	}
	user = u.User.Username()
	password, _ = u.User.Password()
	if u.Scheme == "ssh" {
		u.User = url.User(user)
		return u.String(), "", ""
	}
	u.User = nil
	return u.String(), user, password
}

// gitAuth takes credentials from the environment (or from the URL they
// were split off): a token for HTTPS, a private key (its text or the path
// of one, and its passphrase) for SSH. SSH host keys are checked against
// SSH_KNOWN_HOSTS, else ~/.ssh/known_hosts.
func gitAuth(u, urlUser, urlPassword string, getenv func(string) string) (transport.AuthMethod, error) {
	switch {
	case strings.HasPrefix(u, "https://"), strings.HasPrefix(u, "http://"):
		if tok := getenv("BATON_GIT_TOKEN"); tok != "" {
			user := getenv("BATON_GIT_USER")
			if user == "" {
				user = defaultGitUser
			}
			return &githttp.BasicAuth{Username: user, Password: tok}, nil
		}
		if urlUser != "" || urlPassword != "" {
			return &githttp.BasicAuth{Username: urlUser, Password: urlPassword}, nil
		}
	case isSSH(u):
		key := getenv("BATON_GIT_SSH_KEY")
		if key == "" {
			return nil, nil
		}
		pem := []byte(key)
		if !strings.HasPrefix(strings.TrimSpace(key), "-----BEGIN") {
			b, err := os.ReadFile(key)
			if err != nil {
				return nil, fmt.Errorf("read BATON_GIT_SSH_KEY: %w; set it to a private key or the path of one", err)
			}
			pem = b
		}
		user := "git"
		if ep, err := transport.NewEndpoint(u); err == nil && ep.User != "" {
			user = ep.User
		}
		auth, err := gitssh.NewPublicKeys(user, pem, getenv("BATON_GIT_SSH_KEY_PASSPHRASE"))
		if err != nil {
			return nil, fmt.Errorf("BATON_GIT_SSH_KEY: %w (an encrypted key needs BATON_GIT_SSH_KEY_PASSPHRASE)", err)
		}
		return auth, nil
	}
	return nil, nil
}

// explainTransport replaces go-git's transport errors with what to do;
// a refused login never carries the server's page along.
func explainTransport(err error, u string) error {
	switch {
	case errors.Is(err, transport.ErrRepositoryNotFound):
		return fmt.Errorf("%w: check the URL and that the repository exists", err)
	case errors.Is(err, transport.ErrAuthenticationRequired), errors.Is(err, transport.ErrAuthorizationFailed):
		if isSSH(u) {
			return fmt.Errorf("authentication failed for %s (check BATON_GIT_SSH_KEY): %w", u, transport.ErrAuthorizationFailed)
		}
		return fmt.Errorf("authentication failed for %s (check BATON_GIT_TOKEN): %w", u, transport.ErrAuthenticationRequired)
	case errors.Is(err, transport.ErrEmptyRemoteRepository):
		return fmt.Errorf("%w: push a commit with the HCL files first", err)
	case strings.Contains(err.Error(), "unable to authenticate") || strings.Contains(err.Error(), "no supported methods remain"):
		return fmt.Errorf("authentication failed for %s (check BATON_GIT_SSH_KEY): %v", u, err)
	case strings.Contains(err.Error(), "knownhosts") || strings.Contains(err.Error(), "key mismatch"):
		return fmt.Errorf("the host key of %s is not trusted: add it to the file SSH_KNOWN_HOSTS names (or ~/.ssh/known_hosts), e.g. with ssh-keyscan: %v", u, err)
	}
	return err
}
