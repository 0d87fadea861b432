package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"

	"github.com/nats-io/nats-server/v2/server"
)

// report is everything a run measured.
type report struct {
	Machine  machine
	Command  string
	Setup    string
	Dispatch []dispatchResult
	Lateness *latenessResult
}

// machine describes where the figures were taken.
type machine struct {
	CPUs       int
	GOMAXPROCS int
	Model      string
	Go         string
	Platform   string
	NATS       string
}

func currentMachine() machine {
	return machine{
		CPUs:       runtime.NumCPU(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		Model:      cpuModel(),
		Go:         runtime.Version(),
		Platform:   runtime.GOOS + "/" + runtime.GOARCH,
		NATS:       server.VERSION,
	}
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
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "  command\t%s\n", r.Command)
	fmt.Fprintf(tw, "  machine\t%d CPUs%s, GOMAXPROCS %d, %s\n", m.CPUs, model, m.GOMAXPROCS, m.Platform)
	fmt.Fprintf(tw, "  go\t%s\n", m.Go)
	fmt.Fprintf(tw, "  nats-server\t%s embedded in the same process, file storage, fsync always\n", m.NATS)
	_ = tw.Flush()

	if len(r.Dispatch) > 0 {
		d0 := r.Dispatch[0]
		fmt.Fprintf(out, "\ndispatch rate: %d jobs due at the same slot, created via %s\n", d0.Jobs, r.Setup)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  dispatcher\tsetup\tloop woke\tfirst stored\tall stored\tslots/s\t\n")
		for _, d := range r.Dispatch {
			mode := "atomic batches"
			if d.NoBatch {
				mode = "one by one"
			}
			fmt.Fprintf(tw, "  %s\t%.1f s\t%s\t%s\t%s\t%s\t\n", mode, d.Setup.Seconds(), ms(d.Woke), ms(d.First), ms(d.All), thousands(d.Rate))
		}
		_ = tw.Flush()
		if len(r.Dispatch) == 2 && r.Dispatch[1].Rate > 0 {
			fmt.Fprintf(out, "  batches/one-by-one: %.1fx\n", r.Dispatch[0].Rate/r.Dispatch[1].Rate)
		}
		fmt.Fprintf(out, "  (times from the slot; slots/s = jobs / all stored)\n")
	}

	if l := r.Lateness; l != nil {
		spread := "anchors spread evenly over the second"
		if l.Aligned {
			spread = "all on the whole second"
		}
		fmt.Fprintf(out, "\nfiring lateness: %d jobs every %s, %s (%d fires/s), for %s: %d slots", l.Jobs, latenessPeriod, spread, l.Jobs, l.Duration, l.Expected)
		if l.Missing > 0 {
			fmt.Fprintf(out, ", %d NOT FIRED", l.Missing)
		}
		fmt.Fprintln(out)
		tw = tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
		fmt.Fprintf(tw, "  lateness\tp50\tp99\tmax\tn\t\n")
		fmt.Fprintf(tw, "  stored on the work stream - slot\t%s\t%s\t%s\t%d\t\n", ms(l.Stored.P50), ms(l.Stored.P99), ms(l.Stored.Max), l.Stored.N)
		fmt.Fprintf(tw, "  loop woke (scheduled event) - slot\t%s\t%s\t%s\t%d\t\n", ms(l.Woke.P50), ms(l.Woke.P99), ms(l.Woke.Max), l.Woke.N)
		_ = tw.Flush()
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
