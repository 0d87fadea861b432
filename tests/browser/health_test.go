package browser

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestHealthBadges: the jobs list and the job page show each job's health
// as the scheduler's watchdog stored it — a job that fails, one whose
// queue has no worker, one that runs as expected — and a page left open
// shows a change without a reload.
func TestHealthBadges(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t, "--watchdog-interval", "300ms")
	d.run(t, "job", "create", "backup-db", "--cron", "0 3 * * *", "--alert-after-failures", "1",
		"--", "sh", "-c", `echo "error: no space left on device" >&2; exit 3`)
	d.run(t, "job", "create", "render-video", "--every", "1s", "--queue", "gpu", "--expect-start-within", "1s", "--", "true")
	d.run(t, "job", "create", "greet", "--every", "1s", "--max-runtime", "1m", "--", "true")

	// The job page of backup-db, open while it is ok, turns failing.
	tb.open(d.ui + "jobs/backup-db")
	tb.visible(`h1 .badge.h-ok`)
	tb.do("mark the page", evalVoid(`window.__sameDocument = true`))
	d.run(t, "job", "run", "backup-db")
	tb.visible(`h1 .badge.h-failing`)
	require.True(t, eval[bool](tb, `window.__sameDocument === true`), "the badge changed without a reload")
	require.Contains(t, tb.text(`#health-reason`), "failed (alert after 1)")

	tb.open(d.ui)
	tb.visible(`tr[data-job="backup-db"] .badge.h-failing`)
	tb.visible(`tr[data-job="render-video"] .badge.h-late`)
	tb.visible(`tr[data-job="greet"] .badge.h-ok`)
	require.Contains(t, eval[string](tb, `document.querySelector('tr[data-job="backup-db"] .badge.health').title`), "failed (alert after 1)")
	tb.screenshot("web-health")

	tb.click(`tr[data-job="render-video"] a.job-name`)
	tb.visible(`h1 .badge.h-late`)
	require.Contains(t, tb.text(`#health-reason`), "has not started within 1s")
	require.Contains(t, tb.text(`#definition-json`), `"health"`)
}
