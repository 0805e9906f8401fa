package reconciler

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/baton-dev/baton/internal/gitrepotest"
)

const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// gitHTTPServer serves the repositories below root with the real
// git-http-backend behind net/http/cgi, as a Git host would. With a
// password set, requests need Basic auth with user and password and get a
// 401 with an HTML page otherwise, as hosts send.
func gitHTTPServer(t *testing.T, root, user, password string) *httptest.Server {
	t.Helper()
	if _, err := os.Stat(gitHTTPBackend); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("git-http-backend is missing (.ci/run installs git): %v", err)
		}
		t.Skipf("git-http-backend is missing: %v", err)
	}
	backend := &cgi.Handler{
		Path: gitHTTPBackend,
		Root: "/",
		Env:  []string{"GIT_PROJECT_ROOT=" + root, "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir()},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if password != "" {
			u, p, ok := r.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte("<html><body><h1>401 Unauthorized</h1><p>Sign in at https://git.example.com</p></body></html>"))
				return
			}
		}
		backend.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// serveRepo serves repo over HTTP and returns its URL.
func serveRepo(t *testing.T, repo *gitrepotest.Repo, user, password string) string {
	t.Helper()
	srv := gitHTTPServer(t, filepath.Dir(repo.Dir), user, password)
	return srv.URL + "/" + filepath.Base(repo.Dir) + "/.git"
}
