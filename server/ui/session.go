package ui

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/baton-dev/baton/clock"
	"github.com/baton-dev/baton/state"
	"github.com/baton-dev/baton/token"
)

const (
	sessionCookie = "baton_session"
	loginCookie   = "baton_login"
	// maxSessions bounds the store; the oldest sign-ins go first.
	maxSessions = 10000
	maxFormBody = 1 << 20
)

// session is one sign-in. The store is keyed by the SHA-256 of the cookie's
// value and keeps only the hash of the API token it was made with, so a
// dump of memory reveals neither.
type session struct {
	key       string
	tokenHash string
	CSRF      string
	created   time.Time
	expires   time.Time
	// Token is the API token, read again on every request so that a revoked
	// token ends its sessions at once.
	Token state.Token
}

// CanRun reports whether the session may run, retry and cancel jobs of the
// orchestration ("" for any).
func (s *session) CanRun(orchestration string) bool {
	return token.Allows(s.Token, token.ScopeRun, orchestration)
}

// Who names the signed-in token.
func (s *session) Who() string {
	if s.Token.Owner != "" {
		return s.Token.Owner
	}
	if s.Token.Description != "" {
		return s.Token.Description
	}
	return s.Token.ID
}

type sessions struct {
	clock clock.Clock
	ttl   time.Duration
	mu    sync.Mutex
	byKey map[string]*session
}

func newSessions(c clock.Clock, ttl time.Duration) *sessions {
	return &sessions{clock: c, ttl: ttl, byKey: map[string]*session{}}
}

func randomToken() string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic("crypto/rand: " + err.Error())
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashKey(id string) string {
	sum := sha256.Sum256([]byte(id))
	return hex.EncodeToString(sum[:])
}

// create starts a session and returns the cookie value, which is kept
// nowhere on the server.
func (s *sessions) create(tokenHash string) (string, *session) {
	id := randomToken()
	now := s.clock.Now()
	sess := &session{key: hashKey(id), tokenHash: tokenHash, CSRF: randomToken(), created: now, expires: now.Add(s.ttl)}
	s.mu.Lock()
	defer s.mu.Unlock()
	if len(s.byKey) >= maxSessions {
		s.sweepLocked(now)
	}
	s.byKey[sess.key] = sess
	return id, sess
}

// sweepLocked drops expired sessions and, if the store is still full, the
// oldest one.
func (s *sessions) sweepLocked(now time.Time) {
	var oldest *session
	for k, v := range s.byKey {
		if !now.Before(v.expires) {
			delete(s.byKey, k)
			continue
		}
		if oldest == nil || v.created.Before(oldest.created) {
			oldest = v
		}
	}
	if len(s.byKey) >= maxSessions && oldest != nil {
		delete(s.byKey, oldest.key)
	}
}

func (s *sessions) get(id string) (*session, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	sess, ok := s.byKey[hashKey(id)]
	if !ok {
		return nil, false
	}
	if !s.clock.Now().Before(sess.expires) {
		delete(s.byKey, sess.key)
		return nil, false
	}
	c := *sess
	return &c, true
}

func (s *sessions) delete(key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.byKey, key)
}

func setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
}

var errNoSession = errors.New("not signed in")

// current returns the request's session with its token read afresh.
func (u *UI) current(r *http.Request) (*session, error) {
	c, err := r.Cookie(sessionCookie)
	if err != nil || c.Value == "" {
		return nil, errNoSession
	}
	sess, ok := u.sessions.get(c.Value)
	if !ok {
		return nil, errNoSession
	}
	tok, err := u.cfg.Store.TokenByHash(r.Context(), sess.tokenHash)
	if errors.Is(err, state.ErrNotFound) {
		u.sessions.delete(sess.key)
		return nil, errNoSession
	}
	if err != nil {
		return nil, err
	}
	if !tok.RevokedAt.IsZero() || !token.Allows(tok, token.ScopeJobsRead, "") {
		u.sessions.delete(sess.key)
		return nil, errNoSession
	}
	sess.Token = tok
	return sess, nil
}

type viewHandler func(w http.ResponseWriter, r *http.Request, s *session)

// view requires a session; without one a page redirects to the login page
// and a script's request gets 401.
func (u *UI) view(h viewHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sess, err := u.current(r)
		if errors.Is(err, errNoSession) {
			if r.Method != http.MethodGet || r.Header.Get("Accept") == "text/event-stream" {
				http.Error(w, "sign in first", http.StatusUnauthorized)
				return
			}
			http.Redirect(w, r, "/login?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
			return
		}
		if err != nil {
			u.internal(w, err)
			return
		}
		h(w, r, sess)
	})
}

// form is view for a POST: the body is limited and must carry the
// session's CSRF token, and a browser's Origin must be this server.
func (u *UI) form(h viewHandler) http.Handler {
	return u.view(func(w http.ResponseWriter, r *http.Request, s *session) {
		r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
		if err := r.ParseForm(); err != nil {
			u.fail(w, r, s, http.StatusBadRequest, "The form could not be read: "+err.Error())
			return
		}
		if !sameOrigin(r) || !equalSecret(r.PostForm.Get("csrf"), s.CSRF) {
			u.fail(w, r, s, http.StatusForbidden, "The form expired or came from another site. Reload the page and try again.")
			return
		}
		h(w, r, s)
	})
}

func equalSecret(a, b string) bool {
	return a != "" && subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1
}

// sameOrigin refuses a request whose Origin header names another host.
func sameOrigin(r *http.Request) bool {
	o := r.Header.Get("Origin")
	if o == "" || o == "null" {
		return o == ""
	}
	ou, err := url.Parse(o)
	return err == nil && ou.Host == r.Host
}

// localPath keeps a redirect target on this site.
func localPath(p string) string {
	if !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.HasPrefix(p, "/\\") || strings.HasPrefix(p, "/login") {
		return "/jobs"
	}
	return p
}

type loginData struct {
	CSRF  string
	Next  string
	Error string
}

func (u *UI) loginPage(w http.ResponseWriter, r *http.Request) {
	u.renderLogin(w, r, http.StatusOK, localPath(r.URL.Query().Get("next")), "")
}

// renderLogin shows the form with a login CSRF token, which is also set as
// a cookie: a form posted from another site carries neither. A browser that
// has one keeps it, so that two tabs (or a stray request for an icon) do
// not expire each other's forms.
func (u *UI) renderLogin(w http.ResponseWriter, r *http.Request, status int, next, msg string) {
	nonce := randomToken()
	if c, err := r.Cookie(loginCookie); err == nil && len(c.Value) == len(nonce) {
		nonce = c.Value
	}
	setCookie(w, r, loginCookie, nonce, "/login", 600)
	u.render(w, r, status, "login", page{Title: "Sign in", Data: loginData{CSRF: nonce, Next: next, Error: msg}})
}

func (u *UI) login(w http.ResponseWriter, r *http.Request) {
	r.Body = http.MaxBytesReader(w, r.Body, maxFormBody)
	if err := r.ParseForm(); err != nil {
		u.renderLogin(w, r, http.StatusBadRequest, "/jobs", "The form could not be read.")
		return
	}
	next := localPath(r.PostForm.Get("next"))
	c, err := r.Cookie(loginCookie)
	if err != nil || !sameOrigin(r) || !equalSecret(r.PostForm.Get("csrf"), c.Value) {
		u.renderLogin(w, r, http.StatusForbidden, next, "The sign-in form expired. Please try again.")
		return
	}
	secret := strings.TrimSpace(r.PostForm.Get("token"))
	tok, err := u.cfg.Tokens.Authenticate(r.Context(), "Bearer "+secret)
	if errors.Is(err, token.ErrUnauthorized) {
		u.renderLogin(w, r, http.StatusUnauthorized, next, "That token is unknown or revoked. Create one with: baton tokens create --scope jobs:read")
		return
	}
	if err != nil {
		u.internal(w, err)
		return
	}
	if !token.Allows(tok, token.ScopeJobsRead, "") {
		u.renderLogin(w, r, http.StatusForbidden, next, "That token lacks the scope jobs:read, which the web UI needs to show jobs.")
		return
	}
	id, _ := u.sessions.create(token.Hash(secret))
	setCookie(w, r, loginCookie, "", "/login", -1)
	setCookie(w, r, sessionCookie, id, "/", int(u.cfg.SessionTTL/time.Second))
	http.Redirect(w, r, next, http.StatusSeeOther)
}

func (u *UI) logout(w http.ResponseWriter, r *http.Request, s *session) {
	u.sessions.delete(s.key)
	setCookie(w, r, sessionCookie, "", "/", -1)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}
