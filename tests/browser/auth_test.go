package browser

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"
	"golang.org/x/crypto/bcrypt"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
)

// get requests a URL and returns its status, its WWW-Authenticate header
// and its body.
func get(t *testing.T, url string, header ...string) (int, string, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
	require.NoError(t, err)
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, res.Header.Get("WWW-Authenticate"), string(body)
}

// TestAuthToken: with --auth-token the UI and the API refuse requests
// without it; the UI asks for it once and keeps a session cookie.
func TestAuthToken(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	const token = "correct-horse-battery-staple"
	d := startDev(t, "--auth-token", token)
	d.run(t, "job", "create", "guarded", "--every", "1h", "--", "true")

	// The API and the pages refuse a request without the token.
	status, challenge, body := get(t, d.ui+"api/v1/jobs")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, `Bearer realm="jetcron"`, challenge)
	var apiErr struct {
		Code  int    `json:"code"`
		Error string `json:"error"`
	}
	require.NoError(t, json.Unmarshal([]byte(body), &apiErr))
	require.Equal(t, 401, apiErr.Code)
	status, _, body = get(t, d.ui+"jobs/guarded")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Contains(t, body, `name="token"`, "the sign-in form, not the page")
	require.NotContains(t, body, `data-page="job"`)
	status, _, _ = get(t, d.ui+"api/v1/jobs", "Authorization", "Bearer "+token)
	require.Equal(t, http.StatusOK, status)
	status, _, _ = get(t, d.ui+"healthz")
	require.Equal(t, http.StatusOK, status, "the probes stay open")

	// The browser is asked for the token once.
	tb.open(d.ui + "jobs/guarded")
	tb.visible(`#token`)
	tb.screenshot("web-login")
	tb.typeInto(`#token`, "wrong")
	tb.click(`#login-submit`)
	tb.visible(`#login-problem`)
	tb.typeInto(`#token`, token)
	tb.click(`#login-submit`)
	tb.visible(`#run`) // back on the page it asked for
	require.Equal(t, "/jobs/guarded", eval[string](tb, `location.pathname`))
	tb.open(d.ui + "workers")
	tb.visible(`#workers tr[data-worker]`) // the cookie is kept: no second prompt

	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{})
	require.NoError(t, err)
	require.Len(t, cookies.Cookies, 1)
	c := cookies.Cookies[0]
	require.Equal(t, "jetcron_session", c.Name)
	require.True(t, c.HTTPOnly, "scripts cannot read the session")
	require.Equal(t, network.CookieSameSiteStrict, c.SameSite)
	require.NotContains(t, c.Value, token)

	// Signing out asks again.
	tb.click(`.signout button`)
	tb.visible(`#token`)
}

// TestWebRole runs `jetcron web` beside a `jetcron dev`, protected by a
// basic-auth file.
func TestWebRole(t *testing.T) {
	t.Parallel()
	d := startDev(t, "--http", "off")
	require.Empty(t, d.ui, "--http off serves no UI")
	hash, err := bcrypt.GenerateFromPassword([]byte("s3cret"), bcrypt.MinCost)
	require.NoError(t, err)
	file := filepath.Join(t.TempDir(), "users")
	require.NoError(t, os.WriteFile(file, []byte("ops:"+string(hash)+"\n"), 0o600))
	d.run(t, "job", "create", "seen-by-web", "--every", "1h", "--", "true")

	_, url := startJetcron(t, regexp.MustCompile(`msg="web UI and HTTP API are serving" url=(\S+)`),
		"--nats", d.nats, "web", "--http", "127.0.0.1:0", "--basic-auth-file", file)
	status, challenge, _ := get(t, url+"api/v1/jobs")
	require.Equal(t, http.StatusUnauthorized, status)
	require.Equal(t, `Basic realm="jetcron", charset="UTF-8"`, challenge)
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, url+"api/v1/jobs/seen-by-web", nil)
	require.NoError(t, err)
	req.SetBasicAuth("ops", "s3cret")
	res, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	require.Equal(t, http.StatusOK, res.StatusCode, string(body))
	require.Contains(t, string(body), `"schedule_text": "every hour"`)
	status, _, _ = get(t, url+"readyz")
	require.Equal(t, http.StatusOK, status)
	status, _, body2 := get(t, url+"metrics", "Authorization", res.Request.Header.Get("Authorization"))
	require.Equal(t, http.StatusOK, status)
	require.True(t, strings.Contains(body2, "jetcron_web_requests_total"))
}

// TestWebFlags: bad flags of `jetcron web` and `jetcron dev` stop at the
// edge with the flag named; a taken address is reported.
func TestWebFlags(t *testing.T) {
	t.Parallel()
	run := func(args ...string) (int, string) {
		var out syncBuffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &out, Stdin: strings.NewReader("")}, append([]string{"jetcron"}, args...))
		return code, out.String()
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer taken.Close()
	for _, c := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"web", "--http", "nonsense"}, 2, "--http"},
		{[]string{"web", "--http", "off"}, 2, "--http"},
		{[]string{"web", "--basic-auth-file", "/nonexistent"}, 2, "--basic-auth-file"},
		{[]string{"web", "--auth-token", " "}, 2, "--auth-token"},
		{[]string{"web", "extra"}, 2, "no arguments"},
		{[]string{"dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--http", "nonsense"}, 2, "--http"},
		{[]string{"dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--http", taken.Addr().String()}, 5, "address already in use"},
	} {
		code, out := run(c.args...)
		require.Equal(t, c.code, code, "%v: %s", c.args, out)
		require.Contains(t, out, c.want, c.args)
	}
}
