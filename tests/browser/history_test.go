package browser

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/history"
)

// TestJobHistoryCard: the job page lists the revisions of the definition
// with their reasons, shows a revision's diff with the current one, and
// rolls back to it with a reason.
func TestJobHistoryCard(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	d.run(t, "job", "create", "report", "--cron", "0 2 * * *", "--reason", "first cut", "--", "true")
	d.run(t, "job", "create", "report", "--update", "--cron", "0 3 * * *", "--reason", "after the dump", "--", "true")

	tb.open(d.ui + "jobs/report")
	tb.visible(`#history tr[data-revision]`)
	tb.until(`document.querySelectorAll('#history tr[data-revision]').length === 2`, "two revisions")
	require.Contains(t, tb.text(`#history`), "after the dump")
	require.Contains(t, tb.text(`#history`), "first cut")

	var h api.HistoryResponse
	require.NoError(t, json.Unmarshal([]byte(d.run(t, "job", "history", "report", "-o", "json")), &h))
	first := h.Revisions[0].Revision
	sel := `#history tr[data-revision="` + jsonNumber(first) + `"]`
	tb.click(sel + ` button[data-diff]`)
	tb.visible(`#history-detail table.diff`)
	require.Contains(t, tb.text(`#history-detail`), "schedule.cron")

	tb.click(sel + ` button[data-rollback]`)
	tb.visible(`#rollback-reason`)
	tb.typeInto(`#rollback-reason`, "the dump moved back")
	tb.click(`#rollback-confirm`)
	tb.until(`document.querySelectorAll('#history tr[data-revision]').length === 3`, "the rollback is a third revision")
	tb.screenshot("web-job-history")

	require.NoError(t, json.Unmarshal([]byte(d.run(t, "job", "history", "report", "-o", "json")), &h))
	last := h.Revisions[len(h.Revisions)-1]
	require.Equal(t, history.OpRolledBack, last.Op)
	require.Equal(t, first, last.RollbackOf)
	require.Equal(t, "the dump moved back", last.Reason)
	require.Equal(t, "0 2 * * *", last.Spec.Schedule.Cron)
}

func jsonNumber(n uint64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestJobBackfillCard: the job page previews a backfill of a window (which
// slots run, which are skipped), starts it and shows it end.
func TestJobBackfillCard(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	from := time.Now().Add(-time.Second)
	d.run(t, "job", "create", "ticker", "--every", "1s", "--overlap", "allow", "--", "true")
	d.run(t, "job", "disable", "ticker", "--reason", "outage")
	time.Sleep(3 * time.Second) // slots go by while it is paused
	to := time.Now()

	tb.open(d.ui + "jobs/ticker")
	tb.visible(`#bf-from`)
	local := func(t time.Time) string { return t.Local().Format("2006-01-02T15:04:05") }
	tb.do("set the window", evalVoid(`(() => { document.querySelector('#bf-from').value = `+jsString(local(from))+`; document.querySelector('#bf-to').value = `+jsString(local(to))+`; })()`))
	tb.click(`#bf-preview`)
	tb.visible(`#bf-result table.bf-slots tr[data-action="run"]`)
	require.Contains(t, tb.text(`#bf-result`), "Nothing has changed")
	require.Contains(t, tb.text(`#bf-result`), "paused")
	tb.click(`#bf-start`)
	tb.visible(`#bf-list tr[data-backfill]`)
	tb.until(`document.querySelector('#bf-list tr[data-backfill]')?.dataset.state === 'done'`, "the backfill ends")
	tb.screenshot("web-job-backfill")
	require.Contains(t, d.run(t, "exec", "list", "ticker"), "_bf1")
}
