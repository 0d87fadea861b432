package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// printE2E writes the end-to-end figures.
func (r report) printE2E(out io.Writer) {
	if len(r.E2E) == 0 {
		return
	}
	sync := "fsync always"
	if r.E2E[0].NoSync {
		sync = "--no-sync"
	}
	fmt.Fprintf(out, "\nend to end (server, scheduler and worker in this process, %s, worker concurrency %d)\n", sync, r.E2E[0].Concurrency)
	rows := [][]string{{"phase", "task", "load", "done", "first slot -> last final", "execs/s", "handler p50", "p90", "p99", "started p50", "p99", "final p50", "p99", "CPU/exec", "CPU", "peak RSS"}}
	for _, e := range r.E2E {
		load := fmt.Sprintf("%d at once", e.Jobs)
		if e.Steady {
			load = fmt.Sprintf("%d/s for %s", e.Jobs, e.Duration)
		}
		h := []string{"-", "-", "-"}
		if e.Handler.N > 0 {
			h = []string{ms(e.Handler.P50), ms(e.Handler.P90), ms(e.Handler.P99)}
		}
		rows = append(rows, append(append([]string{e.Phase, e.task(), load, fmt.Sprintf("%d/%d", e.Done, e.Expected), secs(e.Last), thousands(e.Rate)}, h...),
			ms(e.Started.P50), ms(e.Started.P99), ms(e.Final.P50), ms(e.Final.P99), ms(e.CPUPerExec()), fmt.Sprintf("%.2f s", e.CPU.Seconds()), fmt.Sprintf("%d MiB", e.PeakRSS>>20)))
	}
	table(out, rows, true)
	fmt.Fprintf(out, "  (latencies from each execution's slot: handler = the Go handler began; started = the worker's started event;\n")
	fmt.Fprintf(out, "   final = its final event stored. execs/s = done / (first slot -> last final stored). CPU = this process's\n")
	fmt.Fprintf(out, "   user+system time from the first slot until every execution ended (steady: until the worker is idle again);\n")
	fmt.Fprintf(out, "   CPU/exec = CPU / executions ended in that time. peak RSS = VmHWM during the phase, setup included)\n")
	for _, e := range r.E2E {
		if e.Done < e.Expected || e.Failed > 0 {
			fmt.Fprintf(out, "  %s: %d of %d executions have no final event, %d ended other than succeeded\n", e.Phase, e.Expected-e.Done, e.Expected, e.Failed)
		}
	}
}

func (e e2eResult) task() string {
	if e.Command {
		return "command true"
	}
	return "Go no-op"
}

// writeSummary writes the e2e figures to file as tab-separated phase,
// metric, value lines (milliseconds, seconds, per second, MiB).
func (r report) writeSummary(file string) error {
	var b strings.Builder
	msf := func(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }
	for _, e := range r.E2E {
		for _, kv := range [][2]string{
			{"jobs", fmt.Sprint(e.Jobs)},
			{"rate", fmt.Sprintf("%.0f", e.Rate)},
			{"last_s", fmt.Sprintf("%.3f", e.Last.Seconds())},
			{"done", fmt.Sprint(e.Done)},
			{"expected", fmt.Sprint(e.Expected)},
			{"failed", fmt.Sprint(e.Failed)},
			{"handler_p50_ms", msf(e.Handler.P50)},
			{"handler_p90_ms", msf(e.Handler.P90)},
			{"handler_p99_ms", msf(e.Handler.P99)},
			{"handler_max_ms", msf(e.Handler.Max)},
			{"started_p50_ms", msf(e.Started.P50)},
			{"started_p90_ms", msf(e.Started.P90)},
			{"started_p99_ms", msf(e.Started.P99)},
			{"final_p50_ms", msf(e.Final.P50)},
			{"final_p99_ms", msf(e.Final.P99)},
			{"cpu_ms_per_exec", msf(e.CPUPerExec())},
			{"rss_mib", fmt.Sprint(e.PeakRSS >> 20)},
		} {
			fmt.Fprintf(&b, "%s\t%s\t%s\n", e.Phase, kv[0], kv[1])
		}
	}
	if err := os.WriteFile(file, []byte(b.String()), 0o644); err != nil {
		return fmt.Errorf("-summary: %w", err)
	}
	return nil
}
