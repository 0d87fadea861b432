package worker

import (
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/clock"
)

func TestHTTPGuardCheck(t *testing.T) {
	t.Parallel()
	cases := []struct {
		addr   string
		reason string // empty: allowed
	}{
		{"127.0.0.1", "loopback"},
		{"127.255.0.9", "loopback"},
		{"::1", "loopback"},
		{"::ffff:127.0.0.1", "loopback"},
		{"169.254.169.254", "link-local"},
		{"fe80::1", "link-local"},
		{"10.0.0.1", "private"},
		{"10.255.255.255", "private"},
		{"172.16.0.1", "private"},
		{"172.31.255.1", "private"},
		{"192.168.1.1", "private"},
		{"100.64.0.1", "carrier-grade NAT"},
		{"fd00::1", "unique local"},
		{"fc00::1", "unique local"},
		{"0.0.0.0", "this network"},
		{"::", "unspecified"},
		{"224.0.0.1", "multicast"},
		{"ff02::1", "multicast"},
		{"255.255.255.255", "reserved"},
		{"198.18.0.1", "benchmarking"},
		{"64:ff9b::a00:1", "embeds 10.0.0.1"},
		{"64:ff9b::7f00:1", "embeds 127.0.0.1"},
		{"2002:a9fe:a9fe::1", "embeds 169.254.169.254"},
		{"8.8.8.8", ""},
		{"1.1.1.1", ""},
		{"172.32.0.1", ""},
		{"100.128.0.1", ""},
		{"2606:4700:4700::1111", ""},
		{"64:ff9b::808:808", ""},
	}
	g := &httpGuard{}
	for _, tc := range cases {
		err := g.check(netip.MustParseAddr(tc.addr))
		if tc.reason == "" {
			require.NoError(t, err, tc.addr)
			continue
		}
		require.Error(t, err, tc.addr)
		require.True(t, errors.Is(err, ErrHTTPBlocked), tc.addr)
		require.Contains(t, err.Error(), tc.reason, tc.addr)
		require.Contains(t, err.Error(), "--http-allow", "the message says how to allow it")
	}
}

func TestHTTPGuardAllow(t *testing.T) {
	t.Parallel()
	g := &httpGuard{allow: []netip.Prefix{netip.MustParsePrefix("10.1.0.0/16"), netip.MustParsePrefix("::1/128")}}
	require.NoError(t, g.check(netip.MustParseAddr("10.1.2.3")))
	require.NoError(t, g.check(netip.MustParseAddr("::1")))
	require.NoError(t, g.check(netip.MustParseAddr("::ffff:10.1.2.3")), "mapped addresses are compared unmapped")
	require.NoError(t, g.check(netip.MustParseAddr("64:ff9b::a01:203")), "an allowed embedded address")
	require.Error(t, g.check(netip.MustParseAddr("10.2.0.1")))
	require.Error(t, g.check(netip.MustParseAddr("127.0.0.1")))
}

func TestHTTPGuardControl(t *testing.T) {
	t.Parallel()
	g := &httpGuard{}
	require.Error(t, g.control("tcp4", "127.0.0.1:80", nil))
	require.Error(t, g.control("tcp6", "[::1]:443", nil))
	require.Error(t, g.control("tcp6", "[fe80::1%eth0]:80", nil), "a zone does not hide a link-local address")
	require.Error(t, g.control("tcp", "not-an-address", nil))
	require.NoError(t, g.control("tcp4", "93.184.215.14:443", nil))

	require.Error(t, g.checkHost("169.254.169.254"))
	require.Error(t, g.checkHost("::ffff:169.254.169.254"))
	require.NoError(t, g.checkHost("example.com"), "names are checked when dialed")
}

// TestHTTPGuardDial dials through the runner's client: the guard acts on
// the resolved address at connect time, for literal addresses and names.
func TestHTTPGuardDial(t *testing.T) {
	t.Parallel()
	var hits atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		io.WriteString(w, "ok")
	}))
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())

	guarded := newHTTPRunner(nil, clock.New())
	t.Cleanup(guarded.closeIdle)
	for _, u := range []string{srv.URL, "http://localhost:" + port} {
		resp, err := guarded.client.Get(u)
		if resp != nil {
			resp.Body.Close()
		}
		require.ErrorIs(t, err, ErrHTTPBlocked, u)
		require.Contains(t, err.Error(), "127.0.0.1: it is a loopback address")
	}
	require.Zero(t, hits.Load())

	allowed := newHTTPRunner([]netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}, clock.New())
	t.Cleanup(allowed.closeIdle)
	resp, err := allowed.client.Get("http://localhost:" + port)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	require.EqualValues(t, 1, hits.Load())
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	cases := []struct {
		in   string
		want time.Duration
		ok   bool
	}{
		{"2", 2 * time.Second, true},
		{" 120 ", 2 * time.Minute, true},
		{"0", minRetryAfter, true},
		{"99999999999999", MaxRetryAfter, true},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second, true},
		{"Sun, 01 Mar 2026 12:00:30 GMT", 30 * time.Second, true},
		{"Sunday, 01-Mar-26 12:00:30 GMT", 30 * time.Second, true}, // RFC 850
		{now.Add(-time.Hour).Format(http.TimeFormat), minRetryAfter, true},
		{now.Add(48 * time.Hour).Format(http.TimeFormat), MaxRetryAfter, true},
		{"", 0, false},
		{"-1", 0, false},
		{"soon", 0, false},
		{"1.5", 0, false},
	}
	for _, tc := range cases {
		got, ok := parseRetryAfter(tc.in, now)
		require.Equal(t, tc.ok, ok, "%q", tc.in)
		require.Equal(t, tc.want, got, "%q", tc.in)
	}
}

func TestWriteResponseHead(t *testing.T) {
	t.Parallel()
	resp := &http.Response{Proto: "HTTP/1.1", Status: "429 Too Many Requests", StatusCode: 429,
		Header: http.Header{"Retry-After": {"2"}, "Content-Type": {"text/plain"}, "Set-Cookie": {"a=1", "b=2"}}}
	var b strings.Builder
	writeResponseHead(&b, resp)
	require.Equal(t, "< HTTP/1.1 429 Too Many Requests\n< Content-Type: text/plain\n< Retry-After: 2\n< Set-Cookie: ***\n< Set-Cookie: ***\n<\n", b.String(), "cookies are masked in the log")
	o := (&httpRunner{clock: clock.NewFake(time.Now())}).outcomeOf(resp)
	require.True(t, o.retryable)
	require.Equal(t, 2*time.Second, o.retryAfter)
	require.Equal(t, "HTTP 429 Too Many Requests (Retry-After: 2)", o.err)
}
