package browser

import (
	"testing"

	"github.com/stretchr/testify/require"
)

// TestJobsPages: the jobs page shows a page of jobs and links to the next
// and the first; a filter pages too.
func TestJobsPages(t *testing.T) {
	t.Parallel()
	tb := newTab(t)
	d := startDev(t)
	for _, name := range []string{"alpha", "beta", "gamma", "delta", "epsilon"} {
		d.run(t, "job", "create", name, "--every", "1h", "--", "true")
	}
	rows := `document.querySelectorAll('#jobs tr[data-job]').length`
	names := `[...document.querySelectorAll('#jobs tr[data-job]')].map((r) => r.dataset.job).join(',')`
	tb.open(d.ui + "?limit=2")
	tb.until(rows+` === 2`, "a page of two")
	require.Equal(t, "alpha,beta", eval[string](tb, names))
	require.Contains(t, tb.text(`.count`), "on this page")
	tb.click(`#jobs-next`)
	tb.visible(`#jobs-pager[data-after="beta"]`)
	tb.until(rows+` === 2`, "the second page")
	require.Equal(t, "delta,epsilon", eval[string](tb, names))
	tb.click(`#jobs-next`)
	tb.visible(`#jobs-pager[data-after="epsilon"]`)
	tb.until(rows+` === 1 && !document.querySelector('#jobs-next')`, "the last page")
	require.Equal(t, "gamma", eval[string](tb, names))
	tb.click(`#jobs-first`)
	tb.visible(`#jobs-pager[data-after=""] #jobs-next`)
	tb.until(rows+` === 2`, "back to the first page")

	tb.open(d.ui + "?limit=1&q=a")
	tb.until(rows+` === 1`, "a filtered page")
	require.Equal(t, "alpha", eval[string](tb, names))
	tb.click(`#jobs-next`)
	tb.visible(`#jobs-pager[data-after="alpha"]`)
	tb.until(rows+` === 1`, "the filter's next page")
	require.Equal(t, "beta", eval[string](tb, names))
}
