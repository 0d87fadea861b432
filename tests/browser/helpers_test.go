package browser

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// step bounds one browser step; the system under test answers in well
// under a second, so this only decides how long a failure takes to report.
const step = 30 * time.Second

// syncBuffer is a bytes.Buffer safe for a writer and a reader goroutine.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// proc is a jetcron command (dev or web) running in the test process.
type proc struct {
	stderr *syncBuffer
	done   chan int
}

// startJetcron runs the jetcron command line with args until the test ends,
// and returns once the first submatch of ready appears in its stderr.
func startJetcron(t *testing.T, ready *regexp.Regexp, args ...string) (*proc, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	p := &proc{stderr: &syncBuffer{}, done: make(chan int, 1)}
	go func() {
		p.done <- cli.Run(ctx, cli.Deps{Stdout: p.stderr, Stderr: p.stderr, Stdin: strings.NewReader("")}, append([]string{"jetcron"}, args...))
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case <-p.done:
		case <-time.After(20 * time.Second):
			t.Errorf("jetcron %s did not stop in 20s", args)
		}
	})
	var found string
	natstest.Eventually(t, step, func() bool {
		select {
		case code := <-p.done:
			p.done <- code
			require.FailNow(t, "jetcron exited", "jetcron %s exited with %d:\n%s", strings.Join(args, " "), code, p.stderr.String())
		default:
		}
		if m := ready.FindStringSubmatch(p.stderr.String()); m != nil {
			found = m[1]
			return true
		}
		return false
	}, "jetcron %s starts", args)
	return p, found
}

// dev is a running `jetcron dev`.
type dev struct {
	*proc
	nats string // NATS URL
	ui   string // the UI's URL as printed, ending in "/"
}

var (
	uiLine   = regexp.MustCompile(`UI:\s+(http://\S+|off)`)
	natsLine = regexp.MustCompile(`NATS:\s+(nats://\S+)`)
)

// startDev runs `jetcron dev` on free ports with a fresh data directory.
func startDev(t *testing.T, args ...string) *dev {
	t.Helper()
	// Port 0 for NATS too: the server binds a free port itself, and the
	// banner names it.
	full := append([]string{"--log-level", "warn", "dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--http", "127.0.0.1:0", "--workers", "3"}, args...)
	p, ui := startJetcron(t, uiLine, full...)
	if ui == "off" {
		ui = ""
	}
	m := natsLine.FindStringSubmatch(p.stderr.String())
	require.NotNil(t, m, "the banner names the NATS URL:\n%s", p.stderr.String())
	return &dev{proc: p, nats: m[1], ui: ui}
}

// run runs a jetcron CLI command against the dev server and returns its
// standard output; it must succeed.
func (d *dev) run(t *testing.T, args ...string) string {
	t.Helper()
	var out, errb bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader("")}, append([]string{"jetcron", "--nats", d.nats}, args...))
	require.Equal(t, 0, code, "jetcron %s\nstdout: %s\nstderr: %s", strings.Join(args, " "), out.String(), errb.String())
	return strings.TrimSpace(out.String())
}

// tab is one browser tab of a test. It fails the test on any uncaught
// exception or dialog in its pages (a script that should not run, would).
type tab struct {
	t   *testing.T
	ctx context.Context

	mu       sync.Mutex // guards problems
	problems []string
}

func newTab(t *testing.T) *tab {
	t.Helper()
	if browserErr != nil {
		if natstest.CI() {
			t.Fatalf("the browser tests need Chromium under CI=true: %v", browserErr)
		}
		t.Skipf("skipping the browser tests: %v", browserErr)
	}
	ctx, cancel := chromedp.NewContext(browserCtx)
	require.NoError(t, chromedp.Do(ctx), "open a tab")
	tb := &tab{t: t, ctx: ctx}
	console := chromedp.Console(ctx)
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	var wg sync.WaitGroup
	wg.Add(2)
	go func() {
		defer wg.Done()
		for m, err := range console {
			if err != nil {
				return
			}
			if m.IsException() {
				tb.problem("uncaught exception: " + m.String())
			}
		}
	}()
	go func() {
		defer wg.Done()
		for ev, err := range dialogs {
			if err != nil {
				return
			}
			tb.problem("a dialog opened: " + ev.Message)
			_, _ = chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		tb.mu.Lock()
		defer tb.mu.Unlock()
		require.Empty(t, tb.problems, "the pages ran into problems")
	})
	return tb
}

func (tb *tab) problem(s string) {
	tb.mu.Lock()
	tb.problems = append(tb.problems, s)
	tb.mu.Unlock()
}

func (tb *tab) do(msg string, actions ...chromedp.Action[chromedp.Void]) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	require.NoError(tb.t, chromedp.Do(ctx, actions...), msg)
}

func (tb *tab) open(url string) {
	tb.t.Helper()
	tb.do("open "+url, chromedp.Navigate(url))
}

func (tb *tab) visible(css string) {
	tb.t.Helper()
	tb.do("wait for "+css, chromedp.WaitVisible(chromedp.CSS(css)))
}

// click clicks the element css selects once it is visible. The click is
// dispatched in the page in one step: pages redraw as events arrive, and a
// node found in one protocol call may be gone in the next.
func (tb *tab) click(css string) {
	tb.t.Helper()
	tb.visible(css)
	tb.until(`(() => { const el = document.querySelector(`+jsString(css)+`); if (!el || el.disabled) return false; el.click(); return true; })()`, "click "+css)
}

func (tb *tab) typeInto(css, text string) {
	tb.t.Helper()
	tb.do("type into "+css, chromedp.SendKeys(chromedp.CSS(css), text, chromedp.NodeVisible))
}

// until polls a JavaScript expression until it is true.
func (tb *tab) until(expr, msg string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	_, err := chromedp.Run(ctx, chromedp.Poll[bool](expr, chromedp.WithPollingInterval(25*time.Millisecond)))
	require.NoError(tb.t, err, "waiting until %s (%s)", msg, expr)
}

// eval returns the value of a JavaScript expression.
func eval[T any](tb *tab, expr string) T {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	require.NoError(tb.t, err, expr)
	return v
}

func (tb *tab) text(css string) string {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	s, err := chromedp.Run(ctx, chromedp.TextContent(chromedp.CSS(css)))
	require.NoError(tb.t, err, "text of %s", css)
	return s
}

// screenshot captures the whole page; with JETCRON_SCREENSHOTS=DIR it is
// written to DIR/NAME.png (DIR relative to the repository root).
func (tb *tab) screenshot(name string) {
	tb.t.Helper()
	ctx, cancel := context.WithTimeout(tb.ctx, step)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(tb.t, err, "screenshot %s", name)
	require.True(tb.t, bytes.HasPrefix(png, []byte("\x89PNG")), "a PNG")
	dir := os.Getenv("JETCRON_SCREENSHOTS")
	if dir == "" {
		return
	}
	if !filepath.IsAbs(dir) {
		dir = filepath.Join(repoRoot(tb.t), dir)
	}
	require.NoError(tb.t, os.MkdirAll(dir, 0o755))
	require.NoError(tb.t, os.WriteFile(filepath.Join(dir, name+".png"), png, 0o644))
}

func repoRoot(t *testing.T) string {
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		require.NotEqual(t, parent, dir, "go.mod not found")
		dir = parent
	}
}

// evalVoid runs a JavaScript expression for its effect.
func evalVoid(expr string) chromedp.Action[chromedp.Void] {
	return chromedp.Evaluate[chromedp.Void](expr)
}
