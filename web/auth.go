package web

import (
	"crypto/sha256"
	"crypto/subtle"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
)

// sessionCookie holds the session of a browser that typed the token.
const sessionCookie = "jetcron_session"

// authenticator checks credentials: a bearer token, a session cookie
// issued by the login form, or basic auth. With neither token nor users it
// lets everything through. Failed attempts are limited per client address.
type authenticator struct {
	token string
	basic *BasicAuth
	sess  *sessions
	limit *failureLimiter
	login func(w http.ResponseWriter, r *http.Request, status int, problem string)
}

func newAuthenticator(token string, basic *BasicAuth, now func() time.Time) *authenticator {
	return &authenticator{token: token, basic: basic, sess: newSessions(now), limit: newFailureLimiter(now)}
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
		if c, err := r.Cookie(sessionCookie); err == nil && a.sess.valid(c.Value) {
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

// equal compares in constant time, whatever the lengths.
func equal(a, b string) bool {
	ha, hb := sha256.Sum256([]byte(a)), sha256.Sum256([]byte(b))
	return subtle.ConstantTimeCompare(ha[:], hb[:]) == 1
}

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
		if public(r.URL.Path) {
			next.ServeHTTP(w, r)
			return
		}
		if a.enabled() && a.tooMany(w, r) {
			return
		}
		if a.ok(r) {
			next.ServeHTTP(w, r.WithContext(api.WithWebUser(r.Context(), a.user(r))))
			return
		}
		if r.Header.Get("Authorization") != "" {
			a.limit.fail(clientAddr(r)) // a wrong token or password
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

// tooMany answers 429 to a client address that failed to authenticate too
// often lately, whatever it sends now (else a guess that succeeds would
// still tell itself apart), and reports whether it did.
func (a *authenticator) tooMany(w http.ResponseWriter, r *http.Request) bool {
	until, blocked := a.limit.blocked(clientAddr(r))
	if !blocked {
		return false
	}
	w.Header().Set("Retry-After", strconv.Itoa(int(until.Sub(a.limit.now()).Seconds())+1))
	writeError(w, &httpError{status: http.StatusTooManyRequests, msg: "too many failed sign-in attempts from this address; try again later"})
	return true
}

// signIn checks a typed token and sets a new session cookie, valid for
// SessionTTL.
func (a *authenticator) signIn(w http.ResponseWriter, r *http.Request, token string) bool {
	if a.token == "" || !equal(strings.TrimSpace(token), a.token) {
		a.limit.fail(clientAddr(r))
		return false
	}
	http.SetCookie(w, &http.Cookie{
		Name: sessionCookie, Value: a.sess.issue(), Path: "/", MaxAge: int(SessionTTL.Seconds()),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil,
	})
	return true
}

// signOut revokes the session and clears its cookie.
func (a *authenticator) signOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(sessionCookie); err == nil {
		a.sess.revoke(c.Value)
	}
	http.SetCookie(w, &http.Cookie{Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: r.TLS != nil})
}
