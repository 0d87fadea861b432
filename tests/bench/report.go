package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"runtime/debug"
	"strings"

	"github.com/nats-io/nats-server/v2/server"
)

// report is everything a run measured.
type report struct {
	Machine  machine
	Command  string
	Setup    string
	Dispatch []dispatchResult
	Lateness []latenessResult
	E2E      []e2eResult
	Scale    *scaleResult
	// NoSync is set when the servers fsynced every two minutes.
	NoSync bool
}

// machine describes where the figures were taken.
type machine struct {
	CPUs       int
	GOMAXPROCS int
	Model      string
	Go         string
	Platform   string
	NATS       string
	// Linked is how the binary was linked: a command's supervisor is this
	// binary started again, and a dynamically linked one starts slower.
	Linked string
}

func currentMachine() machine {
	return machine{
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Model:      cpuModel(),
		Go:         runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		NATS:       server.VERSION,
		Linked:     linkage(),
	}
}

// linkage says whether the binary was built with cgo, which links it
// dynamically: each command's supervisor then starts through the dynamic
// loader (docs/benchmarks.md, "What a command costs").
func linkage() string {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	for _, s := range bi.Settings {
		if s.Key == "CGO_ENABLED" && s.Value == "0" {
			return "static (CGO_ENABLED=0, as deploy/Dockerfile builds)"
		}
	}
	return "dynamic (cgo): each command's supervisor starts through the dynamic loader; build with CGO_ENABLED=0 for production's figures"
}

// cpuModel reads the CPU's model name on Linux; "" elsewhere.
func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// print writes the report as short tables.
func (r report) print(out io.Writer) {
	m := r.Machine
	model := ""
	if m.Model != "" {
		model = " (" + m.Model + ")"
	}
	fmt.Fprintf(out, "\njetcron scheduler benchmark\n")
	table(out, [][]string{
		{"command", r.Command},
		{"machine", fmt.Sprintf("%d CPUs%s, GOMAXPROCS %d, %s", m.CPUs, model, m.GOMAXPROCS, m.Platform)},
		{"go", m.Go},
		{"binary", m.Linked},
		{"nats-server", m.NATS + " embedded in the same process, file storage, " + syncName(r.NoSync)},
	}, false)

	if len(r.Dispatch) > 0 {
		fmt.Fprintf(out, "\ndispatch rate: %d jobs due at the same slot, created via %s\n", r.Dispatch[0].Jobs, r.Setup)
		rows := [][]string{{"dispatcher", "setup", "loop woke", "first stored", "all stored", "slots/s", "last event", "last cursor"}}
		for _, d := range r.Dispatch {
			rows = append(rows, []string{dispatcherName(d.NoBatch), fmt.Sprintf("%.1f s", d.Setup.Seconds()), ms(d.Woke), ms(d.First), ms(d.All), thousands(d.Rate), secs(d.EventsDone), secs(d.CursorsDone)})
		}
		table(out, rows, true)
		if len(r.Dispatch) == 2 && r.Dispatch[1].Rate > 0 {
			fmt.Fprintf(out, "  %s / %s: %.1fx\n", dispatcherName(r.Dispatch[0].NoBatch), dispatcherName(r.Dispatch[1].NoBatch), r.Dispatch[0].Rate/r.Dispatch[1].Rate)
		}
		fmt.Fprintf(out, "  (times from the slot; slots/s = jobs / all stored; last event = last scheduled event stored;\n")
		fmt.Fprintf(out, "   last cursor = last cursor write the leader sent, at its next flush)\n")
		for _, d := range r.Dispatch {
			if d.EventsMissing > 0 {
				fmt.Fprintf(out, "  %s: %d of %d slots fired without a scheduled event\n", dispatcherName(d.NoBatch), d.EventsMissing, d.Jobs)
			}
			if d.Cursors < d.Jobs {
				fmt.Fprintf(out, "  %s: %d cursor writes seen for %d fired jobs\n", dispatcherName(d.NoBatch), d.Cursors, d.Jobs)
			}
		}
	}

	for _, l := range r.Lateness {
		spread := "anchors spread evenly over the second"
		if l.Aligned {
			spread = "all on the whole second"
		}
		fmt.Fprintf(out, "\nfiring lateness (%s): %d jobs every %s, %s (%d fires/s), for %s: %d slots", dispatcherName(l.NoBatch), l.Jobs, latenessPeriod, spread, l.Jobs, l.Duration, l.Expected)
		if l.Missing > 0 {
			fmt.Fprintf(out, ", %d NOT FIRED", l.Missing)
		}
		fmt.Fprintln(out)
		rows := [][]string{
			{"lateness", "p50", "p99", "max", "n"},
			{"stored on the work stream - slot", ms(l.Stored.P50), ms(l.Stored.P99), ms(l.Stored.Max), fmt.Sprint(l.Stored.N)},
			{"loop woke (scheduled event) - slot", ms(l.Woke.P50), ms(l.Woke.P99), ms(l.Woke.Max), fmt.Sprint(l.Woke.N)},
		}
		if l.Flushes.Count > 0 {
			rows = append(rows, []string{"cursor flush, first to last write", ms(l.Flushes.Spread.P50), ms(l.Flushes.Spread.P99), ms(l.Flushes.Spread.Max), fmt.Sprint(l.Flushes.Count)})
		}
		table(out, rows, true)
		if l.Flushes.Count > 0 {
			fmt.Fprintf(out, "  (the leader wrote a median %d cursors per flush, beside its loop)\n", l.Flushes.Keys)
		}
	}
	r.printE2E(out)
	r.printScale(out)
}

func syncName(noSync bool) string {
	if noSync {
		return "fsync every 2 min (-no-sync)"
	}
	return "fsync always"
}

func dispatcherName(noBatch bool) string {
	if noBatch {
		return "one by one"
	}
	return "atomic batches"
}

// table writes rows indented, the first column left-aligned and, when
// right is set, the others right-aligned.
func table(out io.Writer, rows [][]string, right bool) {
	var widths []int
	for _, row := range rows {
		for i, c := range row {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], len(c))
		}
	}
	for _, row := range rows {
		var b strings.Builder
		b.WriteString(" ")
		for i, c := range row {
			b.WriteString(" ")
			pad := strings.Repeat(" ", widths[i]-len(c))
			if i > 0 && right {
				b.WriteString(pad + c)
			} else if i < len(row)-1 {
				b.WriteString(c + pad)
			} else {
				b.WriteString(c)
			}
			if i < len(row)-1 {
				b.WriteString(" ")
			}
		}
		fmt.Fprintln(out, b.String())
	}
}

// thousands formats a rate as a whole number with thousands separators.
func thousands(f float64) string {
	s := fmt.Sprintf("%.0f", f)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}
