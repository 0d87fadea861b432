package browser

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natstest"
)

// jsString quotes s for a JavaScript expression.
func jsString(s string) string { return strconv.Quote(s) }

// TestTour is what a new user does: start `jetcron dev`, open the UI,
// create a job from the command line and watch it appear, run it from the
// UI, read its log, pause it with a reason.
func TestTour(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	require.Regexp(t, `^http://127\.0\.0\.1:\d+/$`, d.ui, "dev prints the UI's URL")

	// A job that keeps firing, so that the pages have some history, and
	// one that fails.
	d.run(t, "job", "create", "sync-inventory", "--every", "1s", "--label", "team=platform", "--description", "Pulls stock levels from the warehouse API",
		"--", "sh", "-c", `s=$(date +%s); sleep 0.$((s % 4)); echo "synced $((s % 97)) items"; if [ $((s % 5)) -eq 0 ]; then echo "warehouse API answered 503" >&2; exit 1; fi`)
	d.run(t, "job", "create", "backup-db", "--cron", "0 3 * * *", "--tz", "Europe/Berlin", "--label", "team=data", "--retries", "0",
		"--", "sh", "-c", `echo "dumping the orders database"; echo "error: no space left on device" >&2; exit 3`)
	d.run(t, "job", "run", "backup-db")

	tb.open(d.ui)
	tb.visible(`tr[data-job="sync-inventory"]`)
	tb.until(`document.querySelector('#live')?.classList.contains('on')`, "the page follows the events stream")
	require.Equal(t, "Jobs · jetcron", eval[string](tb, `document.title`))

	// A job created from the command line appears without a reload.
	tb.do("mark the page", evalVoid(`window.__sameDocument = true`))
	d.run(t, "job", "create", "greet", "--every", "1h", "--label", "team=ops", "--description", "Says hello to the team",
		"--", "sh", "-c", "echo 'hello from jetcron'; echo \"job=$JETCRON_JOB\"")
	tb.visible(`tr[data-job="greet"]`)
	require.True(t, eval[bool](tb, `window.__sameDocument === true`), "the row appeared without a reload")
	require.Contains(t, tb.text(`tr[data-job="greet"]`), "every hour")
	require.Contains(t, tb.text(`tr[data-job="greet"]`), "team=ops")

	// Filters: by name, then by label, kept in the URL.
	tb.typeInto(`#f-name`, "gre")
	tb.until(`!document.querySelector('tr[data-job="sync-inventory"]') && !!document.querySelector('tr[data-job="greet"]')`, "the name filter keeps greet only")
	require.Contains(t, eval[string](tb, `location.search`), "q=gre")
	tb.do("clear the name filter", evalVoid(`(() => { const el = document.querySelector('#f-name'); el.value = ''; el.dispatchEvent(new Event('input')); })()`))
	tb.typeInto(`#f-label`, "team=platform")
	tb.until(`!!document.querySelector('tr[data-job="sync-inventory"]') && !document.querySelector('tr[data-job="greet"]')`, "the label filter keeps sync-inventory only")
	tb.do("clear the label filter", evalVoid(`(() => { const el = document.querySelector('#f-label'); el.value = ''; el.dispatchEvent(new Event('input')); })()`))
	tb.visible(`tr[data-job="greet"]`)

	// Run it now from the UI and watch the execution succeed.
	tb.click(`tr[data-job="greet"] a.job-name`)
	tb.visible(`#run`)
	require.Equal(t, "greet · jetcron", eval[string](tb, `document.title`))
	tb.until(`document.querySelector('#live')?.classList.contains('on')`, "the job page follows the events stream")
	tb.click(`#run`)
	tb.visible(`#executions tr[data-state="succeeded"]`)
	tb.visible(`svg.timeline rect.bar.s-succeeded`)
	tb.until(`document.querySelector('#executions tr[data-state="succeeded"] td:nth-child(3)')?.textContent === 'manual'`, "the run is a manual one")

	// Its execution page shows the log.
	tb.click(`#executions tr[data-state="succeeded"] a`)
	tb.visible(`#exec-state [data-state="succeeded"]`)
	tb.until(`document.querySelector('#log')?.dataset.complete === 'true'`, "the log is read")
	log := tb.text(`#log`)
	require.Contains(t, log, "hello from jetcron")
	require.Contains(t, log, "job=greet")
	require.Equal(t, "0", tb.text(`#exit-code`))
	require.True(t, eval[bool](tb, `!document.querySelector('#log-download').hidden`), "a stored log can be downloaded")
	tb.screenshot("web-execution")

	// Pause it with a reason: the badge and the reason show, here and in the list.
	tb.click(`#job-link`)
	tb.visible(`#disable`)
	tb.click(`#disable`)
	tb.typeInto(`#disable-reason`, "maintenance window until 18:00")
	tb.click(`#disable-confirm`)
	tb.visible(`h1 .badge.disabled`)
	tb.until(`document.querySelector('#disabled-reason')?.textContent.includes('maintenance window until 18:00')`, "the reason shows")
	tb.visible(`#enable`)
	tb.open(d.ui)
	tb.visible(`tr[data-job="greet"][data-status="disabled"] .badge.disabled`)
	require.Equal(t, "maintenance window until 18:00", eval[string](tb, `document.querySelector('tr[data-job="greet"] .badge.disabled').title`))

	// The jobs page, with some history in the strips.
	history := 3
	if os.Getenv("JETCRON_SCREENSHOTS") != "" {
		history = 15 // pictures for the docs: a longer history
	}
	tb.until(`document.querySelectorAll('tr[data-job="sync-inventory"] .strip .tick').length >= `+strconv.Itoa(history), "sync-inventory has a history")
	tb.visible(`tr[data-job="backup-db"][data-last="failed"]`)
	require.Contains(t, tb.text(`tr[data-job="backup-db"]`), "Europe/Berlin")
	require.Contains(t, tb.text(`tr[data-job="backup-db"]`), "0%")
	tb.screenshot("web-jobs")

	// The job page of the firing job: its slot ledger, a timeline and a
	// table, updated live.
	tb.open(d.ui + "jobs/sync-inventory")
	tb.visible(`#ledger .cells a.cell.f-on_time.r-succeeded[href^="/executions/sync-inventory-"]`)
	require.Zero(t, eval[int](tb, `document.querySelectorAll('#ledger .cell.f-unaccounted').length`), "no slot unaccounted for")
	tb.visible(`svg.timeline rect.bar`)
	n := eval[int](tb, `document.querySelectorAll('#executions tr[data-id]').length`)
	tb.until(`document.querySelectorAll('#executions tr[data-id]').length > `+strconv.Itoa(n), "a new run appears without a reload")
	tb.screenshot("web-job")

	// The workers page.
	tb.open(d.ui + "workers")
	tb.visible(`#workers tr[data-worker]`)
	require.Contains(t, tb.text(`#workers`), "default")
	tb.screenshot("web-workers")
}

// TestLiveLog follows a running execution's log from its first byte: the
// first line shows while the run still waits, the rest when it goes on.
func TestLiveLog(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	gate := filepath.Join(natstest.SharedDir(t), "go-on")
	d.run(t, "job", "create", "slow", "--every", "1h", "--env", "GATE="+gate,
		"--", "sh", "-c", `echo "first line"; while [ ! -e "$GATE" ]; do sleep 0.05; done; echo "second line"`)
	id := d.run(t, "job", "run", "slow")

	tb.open(d.ui + "executions/" + id)
	tb.until(`document.querySelector('#log')?.textContent.includes('first line')`, "the first line shows while it runs")
	tb.visible(`#exec-state [data-state="running"]`)
	require.NotContains(t, tb.text(`#log`), "second line", "the run waits at its gate")
	require.Contains(t, tb.text(`#log-status`), "live")
	require.NoError(t, os.WriteFile(gate, nil, 0o600))
	tb.visible(`#exec-state [data-state="succeeded"]`)
	tb.until(`document.querySelector('#log')?.dataset.complete === 'true'`, "the log stream ends with the run")
	require.Equal(t, "first line\nsecond line\n", tb.text(`#log`))
}

// TestOutputIsEscaped shows job output, labels and reasons that hold HTML
// as text, and no script in them runs.
func TestOutputIsEscaped(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	payload := `<script>window.__pwned = 1</script><img src=x onerror="window.__pwned = 2"><b>bold</b>`
	d.run(t, "job", "create", "xss", "--every", "1h",
		"--label", `note=<img src=x onerror="window.__pwned = 3">`,
		"--description", `<script>window.__pwned = 4</script>`,
		"--", "printf", payload+`\n`)
	id := d.run(t, "job", "run", "xss")

	tb.open(d.ui + "executions/" + id)
	tb.visible(`#exec-state [data-state="succeeded"]`)
	d.run(t, "job", "disable", "xss", "--reason", `<i onmouseover="window.__pwned = 5">later</i>`)
	tb.until(`document.querySelector('#log')?.dataset.complete === 'true'`, "the log is read")
	require.Equal(t, payload+"\n", tb.text(`#log`), "the log shows as text")
	require.True(t, eval[bool](tb, `document.querySelector('#log').children.length === 0`), "the log holds no element")
	require.True(t, eval[bool](tb, `window.__pwned === undefined`), "no script of the log ran")

	tb.open(d.ui + "jobs/xss")
	tb.visible(`#disabled-reason`)
	require.Contains(t, tb.text(`#disabled-reason`), `<i onmouseover="window.__pwned = 5">later</i>`)
	require.Contains(t, tb.text(`main`), `note=<img src=x onerror="window.__pwned = 3">`)
	require.Contains(t, tb.text(`main`), `<script>window.__pwned = 4</script>`)
	require.True(t, eval[bool](tb, `!document.querySelector('main img, main script, main i[onmouseover]')`), "no element came from job data")

	tb.open(d.ui)
	tb.visible(`tr[data-job="xss"]`)
	require.True(t, strings.Contains(tb.text(`tr[data-job="xss"]`), `<script>window.__pwned = 4</script>`))
	require.True(t, eval[bool](tb, `!document.querySelector('main img, main script') && window.__pwned === undefined`), "no element came from job data")
}
