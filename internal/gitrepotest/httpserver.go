package gitrepotest

import (
	"net/http"
	"net/http/cgi"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

const gitHTTPBackend = "/usr/lib/git-core/git-http-backend"

// ServeHTTP serves the repository r with the real git-http-backend behind
// net/http/cgi, as a Git host would, and returns its URL. With a password
// set, requests need Basic auth with user and password; others get a 401
// with an HTML page, as hosts send.
func (r *Repo) ServeHTTP(t testing.TB, user, password string) string {
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
		Env:  []string{"GIT_PROJECT_ROOT=" + filepath.Dir(r.Dir), "GIT_HTTP_EXPORT_ALL=1", "GIT_CONFIG_NOSYSTEM=1", "HOME=" + t.TempDir()},
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if password != "" {
			u, p, ok := req.BasicAuth()
			if !ok || u != user || p != password {
				w.Header().Set("WWW-Authenticate", `Basic realm="git"`)
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(http.StatusUnauthorized)
				_, _ = w.Write([]byte("<html><body><h1>401 Unauthorized</h1><p>Sign in at https://git.example.com</p></body></html>"))
				return
			}
		}
		backend.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/" + filepath.Base(r.Dir) + "/.git"
}
