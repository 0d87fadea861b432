package browser

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWindowAndCaps: the job page shows the concurrency key, the last
// success and the checkpoint (a run's own output, shown as text); the
// workers page lists the queue caps.
func TestWindowAndCaps(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	hostile := `<img src=x onerror="window.__pwned = 1">`
	d.run(t, "job", "create", "export", "--every", "1h", "--concurrency-key", "warehouse:3",
		"--", "sh", "-c", `printf '%s' '`+hostile+`' > "$JETCRON_CHECKPOINT_FILE"`)
	d.run(t, "queue", "set", "default", "--max-running", "5")
	id := d.run(t, "job", "run", "export")

	tb.open(d.ui + "executions/" + id)
	tb.visible(`#exec-state [data-state="succeeded"]`)
	tb.open(d.ui + "jobs/export")
	tb.visible(`#checkpoint`)
	require.Contains(t, tb.text(`main`), "concurrency key warehouse:3")
	require.Contains(t, tb.text(`#checkpoint`), "Last success")
	require.Contains(t, tb.text(`#checkpoint`), hostile)
	require.True(t, eval[bool](tb, `!document.querySelector('main img') && window.__pwned === undefined`), "the checkpoint is text")
	tb.screenshot("job-window")

	tb.open(d.ui + "workers")
	tb.until(`document.querySelector('#queue-caps')?.textContent.includes('at most 5 running')`, "the queue caps are listed")
}
