package browser

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestCalendarsPage: a calendar made from the Calendars page, named by a
// job from the command line: the page lists the job, the job's page the
// slots the calendar skips; deleting it while named is refused in a toast.
func TestCalendarsPage(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	tb.open(d.ui + "calendars")
	tb.visible(`#calendar-form`)
	require.Equal(t, "Calendars · jetcron", eval[string](tb, `document.title`))
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format("2006-01-02")
	tb.typeInto(`#c-name`, "closed")
	tb.typeInto(`#c-dates`, tomorrow)
	tb.click(`#calendar-form button[type="submit"]`)
	tb.visible(`tr[data-calendar="closed"]`)
	require.Contains(t, tb.text(`tr[data-calendar="closed"]`), tomorrow)

	d.run(t, "job", "create", "daily", "--cron", "0 9 * * *", "--skip-calendar", "closed", "--", "true")
	tb.open(d.ui + "calendars")
	tb.until(`document.querySelector('tr[data-calendar="closed"] a.chip')?.textContent === 'daily'`, "the calendar lists the job that names it")
	tb.do("accept confirmations", evalVoid(`window.confirm = () => true`))
	tb.click(`tr[data-calendar="closed"] button[data-delete="closed"]`)
	tb.until(`!!document.querySelector('.toast.error')`, "deleting a calendar a job names is refused")
	require.Contains(t, tb.text(`.toast.error`), "daily")

	tb.open(d.ui + "jobs/daily")
	tb.visible(`#skipped li`)
	require.Contains(t, tb.text(`#skipped`), "calendar closed excludes "+tomorrow)
}
