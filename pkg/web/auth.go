package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"strings"
	"time"
)

// sessionCookie holds the session of a browser that typed the token.
const sessionCookie = "jetcron_session"

// authenticator checks credentials: a bearer token, the session cookie
// derived from it, or basic auth. With neither token nor users it lets
// everything through.
type authenticator struct {
	token   string
	session string // the cookie value: an HMAC of the token, not the token
	basic   *BasicAuth
	login   func(w http.ResponseWriter, r *http.Request, status int, problem string)
}

func newAuthenticator(token string, basic *BasicAuth) *authenticator {
	a := &authenticator{token: token, basic: basic}
	if token != "" {
		mac := hmac.New(sha256.New, []byte(token))
		mac.Write([]byte("jetcron web session v1"))
		a.session = hex.EncodeToString(mac.Sum(nil))
	}
	return a
}

func (a *authenticator) enabled() bool { return a.token != "" || a.basic != nil }

// tokenMode reports whether the login page (token) is how browsers sign in.
func (a *authenticator) tokenMode() bool { return a.token != "" }

// ok reports whether r carries valid credentials.
func (a *authenticator) ok(r *http.Request) bool {
	if !a.enabled() {
		return true
	}
	if a.token != "" {
		if bearer, found := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); found && equal(strings.TrimSpace(bearer), a.token) {
			return true
		}
		if c, err := r.Cookie(sessionCookie); err == nil && equal(c.Value, a.session) {
			return true
		}
	}
	if a.basic != nil {
		if user, pass, found := r.BasicAuth(); found && a.basic.Verify(user, pass) {
			return true
		}
	}
	return false
}

func equal(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

// public reports whether a path is served without credentials: the probes
// (they tell nothing but "ok"), the login page and the static assets (they
// hold no data).
func public(path string) bool {
	return path == "/healthz" || path == "/readyz" || path == "/login" || strings.HasPrefix(path, "/assets/")
}

// wrap refuses requests without valid credentials: the API answers 401
// JSON; a page asks for the token (login page) or for basic credentials.
func (a *authenticator) wrap(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if public(r.URL.Path) || a.ok(r) {
			next.ServeHTTP(w, r)
			return
		}
		if a.basic != nil {
			w.Header().Add("WWW-Authenticate", `Basic realm="jetcron", charset="UTF-8"`)
		}
		if a.token != "" {
			w.Header().Add("WWW-Authenticate", `Bearer realm="jetcron"`)
		}
		page := r.Method == http.MethodGet && !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/metrics"
		if page && a.tokenMode() && a.login != nil {
			a.login(w, r, http.StatusUnauthorized, "")
			return
		}
		writeError(w, &httpError{status: http.StatusUnauthorized, msg: a.hint()})
	})
}

func (a *authenticator) hint() string {
	switch {
	case a.token != "" && a.basic != nil:
		return "authentication required: send Authorization: Bearer TOKEN, or basic credentials"
	case a.token != "":
		return "authentication required: send Authorization: Bearer TOKEN"
	default:
		return "authentication required: send basic credentials"
	}
}

// signIn checks a typed token and sets the session cookie.
func (a *authenticator) signIn(w http.ResponseWriter, r *http.Request, token string) bool {
	if a.token == "" || !equal(strings.TrimSpace(token), a.token) {
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: a.session, Path: "/", MaxAge: int((30 * 24 * time.Hour).Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return true
}

// signOut clears the session cookie.
func (a *authenticator) signOut(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}
