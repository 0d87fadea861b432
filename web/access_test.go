package web_test

import (
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/jetcron/jetcron/web"
)

func TestTokenAuth(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	s := start(t, options{noScheduler: true, cfg: web.Config{AuthToken: token}})

	// Without the token: the API answers 401 JSON, a page asks for it.
	r := s.call(http.MethodGet, "/api/v1/jobs", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Contains(t, r.apiError(t).Message, "Bearer")
	require.Equal(t, `Bearer realm="jetcron"`, r.header.Get("WWW-Authenticate"))
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodPost, "/api/v1/jobs/x/run", nil).status)
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/api/v1/events", nil).status)
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/metrics", nil).status)
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/api/v1/jobs", nil, "Authorization", "Bearer wrong").status)
	page := s.call(http.MethodGet, "/jobs/x", nil)
	require.Equal(t, http.StatusUnauthorized, page.status)
	require.Contains(t, string(page.body), `name="token"`, "the login form")
	require.Contains(t, string(page.body), `value="/jobs/x"`, "it returns to the page asked for")

	// Open without it: probes and assets.
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/healthz", nil).status)
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/assets/app.css", nil).status)

	// With it.
	require.Equal(t, http.StatusServiceUnavailable, s.call(http.MethodGet, "/api/v1/jobs", nil, "Authorization", "Bearer "+token).status,
		"past the auth (no scheduler runs here)")
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/metrics", nil, "Authorization", "Bearer "+token).status)

	// The login form sets a session cookie: HttpOnly, SameSite=Strict, not the token.
	r = s.call(http.MethodPost, "/login", nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "an empty form")
	form := func(v url.Values, header ...string) response {
		return s.callForm("/login", v, header...)
	}
	r = form(url.Values{"token": {"wrong"}, "next": {"/workers"}})
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Contains(t, string(r.body), "not the one this server was started with")
	require.Empty(t, r.header.Values("Set-Cookie"))
	r = form(url.Values{"token": {token}, "next": {"/workers"}})
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, "/workers", r.header.Get("Location"))
	cookies := (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cookies, 1)
	c := cookies[0]
	require.Equal(t, "jetcron_session", c.Name)
	require.True(t, c.HttpOnly)
	require.Equal(t, http.SameSiteStrictMode, c.SameSite)
	require.NotContains(t, c.Value, token)
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/workers", nil, "Cookie", c.Name+"="+c.Value).status)
	r = s.call(http.MethodGet, "/login?next=/workers", nil)
	require.Equal(t, http.StatusOK, r.status, "the sign-in page")
	require.Contains(t, string(r.body), `value="/workers"`)
	r = s.call(http.MethodGet, "/login?next=/workers", nil, "Cookie", c.Name+"="+c.Value)
	require.Equal(t, http.StatusSeeOther, r.status, "signed in already")
	require.Equal(t, "/workers", r.header.Get("Location"))
	require.Equal(t, http.StatusServiceUnavailable, s.call(http.MethodGet, "/api/v1/workers", nil, "Cookie", c.Name+"="+c.Value).status, "past the auth")
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/workers", nil, "Cookie", c.Name+"="+token).status, "the token is not a session")

	// Redirects stay on this server.
	for _, next := range []string{"//evil.example/", "https://evil.example/", `/\evil.example`, "javascript:alert(1)", "/\t/evil.example", "/\n/evil.example", "/ /evil.example", "\t//evil.example", "/\x00/evil.example"} {
		r = form(url.Values{"token": {token}, "next": {next}})
		require.Equal(t, "/", r.header.Get("Location"), next)
	}

	// Sign out clears the cookie.
	r = s.callForm("/logout", url.Values{}, "Cookie", c.Name+"="+c.Value)
	require.Equal(t, http.StatusSeeOther, r.status)
	cookies = (&http.Response{Header: r.header}).Cookies()
	require.Len(t, cookies, 1)
	require.Equal(t, -1, cookies[0].MaxAge)
}

func TestBasicAuth(t *testing.T) {
	t.Parallel()
	hash, err := bcrypt.GenerateFromPassword([]byte("hunter2"), bcrypt.MinCost)
	require.NoError(t, err)
	users, err := web.ParseBasicAuth([]byte("# operators\nada:" + string(hash) + "\n\nbob:plain-pass\n"))
	require.NoError(t, err)
	s := start(t, options{noScheduler: true, cfg: web.Config{BasicAuth: users}})

	r := s.call(http.MethodGet, "/api/v1/workers", nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	require.Equal(t, `Basic realm="jetcron", charset="UTF-8"`, r.header.Get("WWW-Authenticate"))
	r = s.call(http.MethodGet, "/", nil)
	require.Equal(t, http.StatusUnauthorized, r.status, "the browser asks for basic credentials")
	require.Equal(t, `Basic realm="jetcron", charset="UTF-8"`, r.header.Get("WWW-Authenticate"))

	basic := func(user, pass string) string {
		req, _ := http.NewRequest(http.MethodGet, "/", nil)
		req.SetBasicAuth(user, pass)
		return req.Header.Get("Authorization")
	}
	for range 2 { // the second check uses the cached digest
		require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/", nil, "Authorization", basic("ada", "hunter2")).status)
	}
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/", nil, "Authorization", basic("bob", "plain-pass")).status)
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/", nil, "Authorization", basic("ada", "hunter3")).status)
	require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/", nil, "Authorization", basic("eve", "hunter2")).status)
}

func TestParseBasicAuth(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ file, want string }{
		{"", "no users"},
		{"# only a comment\n", "no users"},
		{"ada\n", "line 1: want user:password"},
		{"ada:x\n\nada:y\n", `line 3: user "ada" is listed twice`},
		{"ada:x\nbad user:y\n", `line 2: user "bad user" contains a space`},
		{":pass\n", "line 1: want user:password"},
	} {
		_, err := web.ParseBasicAuth([]byte(c.file))
		require.ErrorContains(t, err, c.want, c.file)
	}
	_, err := web.LoadBasicAuthFile("/nonexistent/file")
	require.ErrorContains(t, err, "basic auth file")
}

// TestGuards: cross-origin state changes (CSRF) and foreign Host names
// (DNS rebinding) are refused; every answer carries the security headers.
func TestGuards(t *testing.T) {
	t.Parallel()
	s := start(t, options{noScheduler: true})

	r := s.call(http.MethodPost, "/api/v1/jobs/x/run", nil, "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.status)
	require.Contains(t, r.apiError(t).Message, "cross-origin")
	r = s.call(http.MethodPost, "/api/v1/jobs/x/run", nil, "Origin", "https://evil.example")
	require.Equal(t, http.StatusForbidden, r.status, "an Origin that is not the Host")
	r = s.call(http.MethodPost, "/logout", nil, "Sec-Fetch-Site", "cross-site")
	require.Equal(t, http.StatusForbidden, r.status, "forms too")
	r = s.call(http.MethodPost, "/api/v1/jobs/x/run", nil, "Sec-Fetch-Site", "same-origin")
	require.Equal(t, http.StatusServiceUnavailable, r.status, "same-origin passes (and finds no scheduler)")
	r = s.call(http.MethodGet, "/api/v1/workers", nil, "Sec-Fetch-Site", "cross-site")
	require.NotEqual(t, http.StatusForbidden, r.status, "reads are safe")

	r = s.call(http.MethodGet, "/", nil, "Host", "evil.example:8080")
	require.Equal(t, http.StatusForbidden, r.status, "a rebound DNS name")
	require.Equal(t, "Host", r.apiError(t).Field)
	port := s.base[strings.LastIndex(s.base, ":")+1:]
	for _, host := range []string{"localhost:" + port, "127.0.0.1:" + port, "[::1]:" + port, "app.localhost:" + port} {
		require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/", nil, "Host", host).status, host)
	}

	r = s.call(http.MethodGet, "/", nil)
	require.Contains(t, r.header.Get("Content-Security-Policy"), "script-src 'self'")
	require.Equal(t, "nosniff", r.header.Get("X-Content-Type-Options"))
	require.Equal(t, "DENY", r.header.Get("X-Frame-Options"))
}

func TestPagesAndAssets(t *testing.T) {
	t.Parallel()
	s := start(t, options{noScheduler: true})
	for _, c := range []struct {
		path, page string
		status     int
	}{
		{"/", `data-page="jobs"`, http.StatusOK},
		{"/jobs/nightly-backup", `data-page="job" data-arg="nightly-backup"`, http.StatusOK},
		{"/executions/nightly-20260101T000000Z", `data-page="execution" data-arg="nightly-20260101T000000Z"`, http.StatusOK},
		{"/workers", `data-page="workers"`, http.StatusOK},
		{"/jobs/not.a.name", `data-page="notfound"`, http.StatusNotFound},
		{"/executions/nope", `data-page="notfound"`, http.StatusNotFound},
		{"/elsewhere", `data-page="notfound" data-arg="/elsewhere"`, http.StatusNotFound},
	} {
		r := s.call(http.MethodGet, c.path, nil)
		require.Equal(t, c.status, r.status, c.path)
		require.Equal(t, "text/html; charset=utf-8", r.header.Get("Content-Type"))
		require.Contains(t, string(r.body), c.page, c.path)
	}
	r := s.call(http.MethodGet, "/jobs/%3Cscript%3E", nil)
	require.Equal(t, http.StatusNotFound, r.status)
	require.NotContains(t, string(r.body), "<script>", "the path is escaped")

	shell := string(s.call(http.MethodGet, "/", nil).body)
	scripts := regexp.MustCompile(`<script src="(/assets/[a-z]+\.js)\?v=[0-9a-f]+" defer></script>`).FindAllStringSubmatch(shell, -1)
	require.Len(t, scripts, 10, "ui.js, a file per page (the job page's slot ledger, history and backfill cards in three more), app.js")
	for _, m := range scripts {
		js := s.call(http.MethodGet, m[1], nil)
		require.Equal(t, http.StatusOK, js.status, m[1])
		require.Equal(t, "text/javascript; charset=utf-8", js.header.Get("Content-Type"))
		require.False(t, regexp.MustCompile(`\.innerHTML\s*=|outerHTML\s*=|insertAdjacentHTML|document\.write|eval\(|new Function`).Match(js.body),
			"%s: pages are built from text nodes", m[1])
	}
	js := s.call(http.MethodGet, "/assets/app.js", nil)
	etag := js.header.Get("ETag")
	require.NotEmpty(t, etag)
	require.Equal(t, http.StatusNotModified, s.call(http.MethodGet, "/assets/app.js", nil, "If-None-Match", etag).status)
	require.Equal(t, http.StatusNotFound, s.call(http.MethodGet, "/assets/page.html", nil).status, "templates are not assets")
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/assets/favicon.svg", nil).status)

	// Probes and metrics.
	require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/healthz", nil).status)
	m := s.call(http.MethodGet, "/metrics", nil)
	require.Equal(t, http.StatusOK, m.status)
	require.Contains(t, string(m.body), `jetcron_web_requests_total{code="200",route="GET /assets/{file}"}`)
	require.Contains(t, string(m.body), "jetcron_web_streams 0")
}

// callForm posts a form, as a browser's form does.
func (s *system) callForm(path string, v url.Values, header ...string) response {
	s.t.Helper()
	req, err := http.NewRequestWithContext(s.t.Context(), http.MethodPost, s.base+path, strings.NewReader(v.Encode()))
	require.NoError(s.t, err)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := noRedirect.Do(req)
	require.NoError(s.t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(s.t, err)
	return response{status: res.StatusCode, header: res.Header, body: body}
}
