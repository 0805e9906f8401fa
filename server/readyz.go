package server

import (
	"net/http"

	"github.com/baton-dev/baton/health"
)

// readyz is 200 while baton is ready and 503 with the reasons while it is
// not: the source has failed for too long, the executor stopped, or the
// state takes no writes. Like /healthz it needs no token, so it says
// nothing a log would not.
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	checker := s.Ready
	if checker == nil {
		checker = &health.Checker{Store: s.Store, Clock: s.Clock}
	}
	problems := checker.Problems(r.Context())
	if len(problems) == 0 {
		writeJSON(w, http.StatusOK, map[string]any{"status": "ready", "problems": []health.Problem{}})
		return
	}
	writeJSON(w, http.StatusServiceUnavailable, map[string]any{"status": "not ready", "reason": problems[0].Reason, "problems": problems})
}
