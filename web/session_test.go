package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/web"
)

// TestSessionsExpireAndSignOutRevokes: each sign-in gets its own session
// (not a fixed function of the token), which ends after web.SessionTTL or
// when its browser signs out.
func TestSessionsExpireAndSignOutRevokes(t *testing.T) {
	t.Parallel()
	const token = "s3cret-token"
	clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
	s := start(t, options{noScheduler: true, cfg: web.Config{AuthToken: token, Clock: clk}})
	signIn := func() *http.Cookie {
		r := s.callForm("/login", url.Values{"token": {token}, "next": {"/workers"}})
		require.Equal(t, http.StatusSeeOther, r.status)
		cookies := (&http.Response{Header: r.header}).Cookies()
		require.Len(t, cookies, 1)
		require.Equal(t, int(web.SessionTTL.Seconds()), cookies[0].MaxAge)
		return cookies[0]
	}
	page := func(c *http.Cookie) int {
		return s.call(http.MethodGet, "/workers", nil, "Cookie", c.Name+"="+c.Value).status
	}

	a, b := signIn(), signIn()
	require.NotEqual(t, a.Value, b.Value, "every sign-in is its own session")
	require.Equal(t, http.StatusOK, page(a))
	require.Equal(t, http.StatusOK, page(b))

	// Sign out revokes that session only.
	r := s.callForm("/logout", url.Values{}, "Cookie", a.Name+"="+a.Value)
	require.Equal(t, http.StatusSeeOther, r.status)
	require.Equal(t, http.StatusUnauthorized, page(a), "a signed-out cookie is refused")
	require.Equal(t, http.StatusOK, page(b))

	// Sessions expire.
	clk.Advance(web.SessionTTL - time.Minute)
	require.Equal(t, http.StatusOK, page(b))
	clk.Advance(2 * time.Minute)
	require.Equal(t, http.StatusUnauthorized, page(b), "an expired session is refused")

	// A forged cookie is refused.
	require.Equal(t, http.StatusUnauthorized, page(&http.Cookie{Name: a.Name, Value: "AAAA" + b.Value[4:]}))
}

// TestFailedSignInsAreLimited: after 10 failed attempts in a minute, an
// address gets 429, even with the right credentials, until the minute ends.
func TestFailedSignInsAreLimited(t *testing.T) {
	t.Parallel()
	t.Run("Basic", func(t *testing.T) {
		t.Parallel()
		users, err := web.ParseBasicAuth([]byte("ada:right\n"))
		require.NoError(t, err)
		clk := clock.NewFake(time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC))
		s := start(t, options{noScheduler: true, cfg: web.Config{BasicAuth: users, Clock: clk}})
		basic := func(user, pass string) string {
			req, _ := http.NewRequest(http.MethodGet, "/", nil)
			req.SetBasicAuth(user, pass)
			return req.Header.Get("Authorization")
		}
		for i := range 10 {
			require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/", nil, "Authorization", basic("ada", "guess"+strconv.Itoa(i))).status)
		}
		r := s.call(http.MethodGet, "/", nil, "Authorization", basic("ada", "right"))
		require.Equal(t, http.StatusTooManyRequests, r.status)
		require.NotEmpty(t, r.header.Get("Retry-After"))
		clk.Advance(61 * time.Second)
		require.Equal(t, http.StatusOK, s.call(http.MethodGet, "/", nil, "Authorization", basic("ada", "right")).status)
	})
	t.Run("Token", func(t *testing.T) {
		t.Parallel()
		s := start(t, options{noScheduler: true, cfg: web.Config{AuthToken: "tok"}})
		for range 5 {
			require.Equal(t, http.StatusUnauthorized, s.callForm("/login", url.Values{"token": {"guess"}}).status)
			require.Equal(t, http.StatusUnauthorized, s.call(http.MethodGet, "/api/v1/jobs", nil, "Authorization", "Bearer guess").status)
		}
		require.Equal(t, http.StatusTooManyRequests, s.callForm("/login", url.Values{"token": {"tok"}}).status)
		require.Equal(t, http.StatusTooManyRequests, s.call(http.MethodGet, "/api/v1/jobs", nil, "Authorization", "Bearer tok").status)
	})
}
