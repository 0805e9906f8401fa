package server

import (
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/baton-dev/baton/spec"
)

// probeMethods are the methods tried to tell a wrong method from a wrong
// path.
var probeMethods = []string{http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete}

// fallback answers what no route takes: 405 with an Allow header when the
// path exists for other methods, else 404. The mux's own 405 needs no
// catch-all route, but the API's errors are JSON.
func fallback(mux *http.ServeMux) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		allow := allowedMethods(mux, r)
		if len(allow) > 0 && !slices.Contains(allow, r.Method) {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			writeError(w, http.StatusMethodNotAllowed, "method "+r.Method+" is not allowed on "+r.URL.Path, "use "+strings.Join(allow, " or "))
			return
		}
		writeError(w, http.StatusNotFound, "no such endpoint "+r.Method+" "+r.URL.Path, "the API lives under /v1/: orchestrations, jobs, tables and tokens")
	}
}

// allowedMethods lists the methods the API serves on r's path.
func allowedMethods(mux *http.ServeMux, r *http.Request) []string {
	var allow []string
	for _, m := range probeMethods {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, pattern := mux.Handler(probe); pattern != "" && pattern != "/" {
			allow = append(allow, m)
		}
	}
	return allow
}

// validName answers 400 for an orchestration name outside the name rule:
// no such orchestration can exist, and the name is not echoed whole.
func validName(w http.ResponseWriter, name string) bool {
	if err := spec.CheckName(name); err != nil {
		if len(name) > 60 {
			name = name[:60] + "..."
		}
		writeError(w, http.StatusBadRequest, fmt.Sprintf("orchestration name %q is not valid: %v", name, err), "name an orchestration of the applied revision")
		return false
	}
	return true
}
