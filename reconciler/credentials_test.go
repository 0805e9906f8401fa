package reconciler

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	githttp "github.com/go-git/go-git/v5/plumbing/transport/http"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

func TestGitCredentialsComeFromTheEnvironment(t *testing.T) {
	env := map[string]string{"BATON_GIT_TOKEN": "s3cret", "BATON_GIT_SSH_KEY": "/nonexistent/key"}
	getenv := func(k string) string { return env[k] }
	auth, err := gitAuth("https://git.example.com/data/pipelines.git", "", "", getenv)
	if basic, ok := auth.(*githttp.BasicAuth); err != nil || !ok || basic.Username != "baton" || basic.Password != "s3cret" {
		t.Errorf("https auth = %v, %v; want basic auth baton with the token", auth, err)
	}
	env["BATON_GIT_USER"] = "x-access-token"
	if auth, _ := gitAuth("https://git.example.com/p.git", "", "", getenv); auth.(*githttp.BasicAuth).Username != "x-access-token" {
		t.Errorf("BATON_GIT_USER ignored: %v", auth)
	}
	for _, u := range []string{"ssh://git@git.example.com/data/pipelines.git", "git@git.example.com:data/pipelines.git", "deploy@10.0.0.5:/srv/git/p.git"} {
		if _, err := gitAuth(u, "", "", getenv); err == nil || !strings.Contains(err.Error(), "BATON_GIT_SSH_KEY") {
			t.Errorf("%s with an unreadable key: %v, want an error naming BATON_GIT_SSH_KEY (it is SSH)", u, err)
		}
	}
	if auth, err := gitAuth("file:///srv/repo", "", "", getenv); auth != nil || err != nil {
		t.Errorf("file:// needs no credentials: %v %v", auth, err)
	}
}

// Issue 10 item 7: scp-style user@host:path is SSH, as in Git.
func TestSCPStyleAddressesAreSSH(t *testing.T) {
	for s, want := range map[string]bool{
		"git@github.com:org/repo.git":   true,
		"deploy@10.0.0.5:/srv/p.git":    true,
		"https://u@host/p.git":          false,
		"/srv/repos/p":                  false,
		"./user@host:odd":               false,
		"ssh://git@host:2222/p.git":     false, // SSH too, but a URL
		"C:/not/scp":                    false,
		"mailto@example.com":            false,
		"git@github.com:org/repo.git/x": true,
	} {
		if got := isSCPLike(s); got != want {
			t.Errorf("isSCPLike(%q) = %v, want %v", s, got, want)
		}
	}
	if !isGitURL("git@github.com:org/repo.git") || !isSSH("deploy@10.0.0.5:/srv/p.git") {
		t.Error("an scp-style address is not taken as a Git SSH source")
	}
}

func TestURLCredentialsAreSplitOff(t *testing.T) {
	for raw, want := range map[string][3]string{
		"https://bot:tok3n@git.example.com/p.git": {"https://git.example.com/p.git", "bot", "tok3n"},
		"https://tok3n@git.example.com/p.git":     {"https://git.example.com/p.git", "tok3n", ""},
		"ssh://git:pw@host/p.git":                 {"ssh://git@host/p.git", "", ""},
		"git@host:p.git":                          {"git@host:p.git", "", ""},
		"https://git.example.com/p.git":           {"https://git.example.com/p.git", "", ""},
	} {
		clean, user, password := splitCredentials(raw)
		if [3]string{clean, user, password} != want {
			t.Errorf("splitCredentials(%q) = %q %q %q, want %q", raw, clean, user, password, want)
		}
	}
}

// A 401 from a real Git host says which URL and which variable, without
// the server's HTML page; the right token works.
func TestHTTPAuthenticationAgainstARealGitServer(t *testing.T) {
	repo := gitrepotest.New(t)
	repo.Commit("A", map[string]string{"configurations.hcl": configs, "orchestrations/daily.hcl": orchestration("daily", "0 6 * * *")})
	u := repo.ServeHTTP(t, "ci-bot", "right-token")
	open := func(env map[string]string) Source {
		src, err := Open(Options{Location: u, CacheDir: filepath.Join(t.TempDir(), "git"), Getenv: func(k string) string { return env[k] }})
		if err != nil {
			t.Fatal(err)
		}
		return src
	}
	for _, env := range []map[string]string{nil, {"BATON_GIT_TOKEN": "wrong-token", "BATON_GIT_USER": "ci-bot"}} {
		_, err := open(env).Fetch(context.Background())
		if err == nil {
			t.Fatalf("fetch with %v succeeded", env)
		}
		msg := err.Error()
		if !strings.Contains(msg, "authentication failed for "+u+" (check BATON_GIT_TOKEN)") || strings.Contains(msg, "<html") || strings.Contains(msg, "wrong-token") {
			t.Errorf("fetch with %v: %q", env, msg)
		}
	}
	snap, err := open(map[string]string{"BATON_GIT_TOKEN": "right-token", "BATON_GIT_USER": "ci-bot"}).Fetch(context.Background())
	if err != nil || len(snap.Files) != 2 {
		t.Fatalf("fetch with the right token: %v", err)
	}
	// Credentials in the URL work too, and the source never shows them.
	withCreds := strings.Replace(u, "://", "://ci-bot:right-token@", 1)
	src, err := Open(Options{Location: withCreds, CacheDir: filepath.Join(t.TempDir(), "git"), Getenv: func(string) string { return "" }})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.Fetch(context.Background()); err != nil {
		t.Fatalf("fetch with credentials in the URL: %v", err)
	}
	if strings.Contains(src.String(), "right-token") {
		t.Errorf("the source shows its credentials: %s", src)
	}
}
