package main

import (
	"fmt"
	"io"
)

// printScale writes the scale phase's figures, if it ran.
func (r report) printScale(out io.Writer) {
	s := r.Scale
	if s == nil {
		return
	}
	limit := ""
	if s.MemLimit != "" {
		limit = ", GOMEMLIMIT=" + s.MemLimit
	}
	fmt.Fprintf(out, "\nscale: %s jobs in one scheduler (a process of its own%s; the server in the bench's)\n", thousands(float64(s.Jobs)), limit)
	fmt.Fprintf(out, "  jobs bucket loaded in %s (%s definitions/s)\n", secs(s.Load), thousands(float64(s.Jobs)/s.Load.Seconds()))
	rows := [][]string{{"scheduler", "leading", "all planned", "CPU", "live heap", "RSS", "peak RSS", "peak RSS after API"}}
	for _, c := range []struct {
		name string
		f    childFigures
	}{{"first start", s.First}, {"takeover", s.Takeover}} {
		after := "-"
		if c.f.PeakAfterAPI > 0 {
			after = mib(c.f.PeakAfterAPI)
		}
		rows = append(rows, []string{c.name, secs(c.f.Leading), secs(c.f.Planned), secs(c.f.CPU), mib(int64(c.f.HeapAlloc)), mib(c.f.RSS), mib(c.f.PeakRSS), after})
	}
	table(out, rows, true)
	fmt.Fprintf(out, "  (times from the process's start; CPU: its CPU time until all planned; takeover: the second\n")
	fmt.Fprintf(out, "   process starts once the first resigned)\n")
	if s.Runs > 0 {
		fmt.Fprintf(out, "  every job ran once (a no-op Go handler, %s slots a second): the last recorded %s after the first scheduler planned\n",
			thousands(scaleRunRate), secs(s.Runs))
		rows := [][]string{{"scheduler, once every job has run", "CPU so far", "live heap", "RSS", "peak RSS"}}
		rows = append(rows, []string{"first, after the runs", secs(s.Ran.CPU), mib(int64(s.Ran.HeapAlloc)), mib(s.Ran.RSS), mib(s.Ran.PeakRSS)})
		if s.Settled.Step != "" {
			rows = append(rows, []string{"takeover, after leading " + secs(s.IdleWindow), secs(s.Settled.CPU), mib(int64(s.Settled.HeapAlloc)), mib(s.Settled.RSS), mib(s.Settled.PeakRSS)})
		}
		table(out, rows, true)
	}
	if s.IdleWindow > 0 {
		fmt.Fprintf(out, "  first scheduler idle for %s (nothing due; its watchdog checks every job each round): CPU %s, %.1f%% of a core; RSS %s\n",
			secs(s.IdleWindow), secs(s.Idle), 100*s.Idle.Seconds()/s.IdleWindow.Seconds(), mib(s.IdleRSS))
	}
	rows = [][]string{
		{"API", "p50", "p90", "p99", "max", "n"},
		{"job_get", ms(s.Get.P50), ms(s.Get.P90), ms(s.Get.P99), ms(s.Get.Max), fmt.Sprint(s.Get.N)},
		{"job_list, a prefix of 10 jobs", ms(s.List.P50), ms(s.List.P90), ms(s.List.P99), ms(s.List.Max), fmt.Sprint(s.List.N)},
	}
	if s.Page.N > 0 {
		rows = append(rows, []string{"job_list, 100 after a name", ms(s.Page.P50), ms(s.Page.P90), ms(s.Page.P99), ms(s.Page.Max), fmt.Sprint(s.Page.N)})
	}
	table(out, rows, true)
	if s.PageErr != "" {
		fmt.Fprintf(out, "  job_list of a page: failed: %s\n", s.PageErr)
	}
	if s.ListAllErr != "" {
		fmt.Fprintf(out, "  job_list of every job: failed after %s: %s\n", secs(s.ListAll), s.ListAllErr)
	} else {
		fmt.Fprintf(out, "  job_list of every job: %d jobs in %s\n", s.ListAllCount, secs(s.ListAll))
	}
}

// mib formats a size in MiB.
func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }
