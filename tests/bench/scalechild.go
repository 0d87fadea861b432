package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/scheduler"
)

// childCommand is the first argument that makes the bench binary a
// scheduler process of the scale phase (scale.go starts it): a scheduler
// alone in its process, so that its memory is its own.
const childCommand = "scale-scheduler"

// childReport is what a scheduler process of the scale phase tells its
// parent, one JSON line per step: "leading" once it holds the lease,
// "planned" once its plan holds every job, "report" when asked, "stopped"
// after a graceful stop.
type childReport struct {
	Step string `json:"step"`
	// Since is the time from the process's start to the step.
	Since time.Duration `json:"since"`
	// Planned is the leader's planned-jobs gauge.
	Planned int `json:"planned"`
	// CPU is the CPU time the process used until the step (user and
	// system): unlike Since, it does not depend on what else the machine
	// runs.
	CPU time.Duration `json:"cpu"`
	// HeapAlloc is the live heap after a garbage collection; HeapSys and
	// Sys what the Go runtime holds from the OS.
	HeapAlloc uint64 `json:"heap_alloc"`
	HeapSys   uint64 `json:"heap_sys"`
	Sys       uint64 `json:"sys"`
	// RSS and PeakRSS are the process's resident set now and at its peak
	// (VmRSS, VmHWM).
	RSS     int64  `json:"rss"`
	PeakRSS int64  `json:"peak_rss"`
	Error   string `json:"error,omitempty"`
}

// runChild is the scheduler process: it leads, reports when it has
// planned -n jobs (with a heap profile if asked), and stops gracefully
// (resigning its lease) when its standard input ends.
func runChild(args []string, stdin io.Reader, stdout io.Writer) error {
	start := time.Now()
	fs := flag.NewFlagSet(childCommand, flag.ContinueOnError)
	url := fs.String("url", "", "NATS URL")
	id := fs.String("id", "scale", "replica ID")
	n := fs.Int("n", 0, "jobs to wait for")
	memprofile := fs.String("memprofile", "", "heap profile once every job is planned (FILE), at the resident set's highest after that (FILE.peak), and when asked for a report (FILE.report)")
	cpuprofile := fs.String("cpuprofile", "", "CPU profile from the start until every job is planned")
	wait := fs.Duration("timeout", 10*time.Minute, "longest wait for the plan")
	if err := fs.Parse(args); err != nil {
		return err
	}
	stopProfile, err := startProfile(*cpuprofile, "")
	if err != nil {
		return err
	}
	enc := json.NewEncoder(stdout)
	say := func(r childReport) {
		r.Since = time.Since(start)
		_ = enc.Encode(r)
	}
	ctx := context.Background()
	nc, err := nats.Connect(*url, nats.Name("jetcron-bench-"+*id))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer nc.Close()
	reg := prometheus.NewRegistry()
	s, err := scheduler.New(nc, scheduler.Config{ID: *id, Topology: topology.Config{}.WithDefaults(), SkipEnsure: true,
		Logger: slog.New(slog.DiscardHandler), Metrics: scheduler.NewMetrics(reg, scheduler.DefaultJobSeries)})
	if err != nil {
		return err
	}
	if err := s.Start(ctx); err != nil {
		return err
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		_ = s.Stop(sctx)
	}()
	if err := poll(ctx, *wait, 2*time.Millisecond, func() (bool, error) { return s.Leading(), nil }); err != nil {
		return fmt.Errorf("lead: %w", err)
	}
	say(childReport{Step: "leading"})
	err = poll(ctx, *wait, 50*time.Millisecond, func() (bool, error) {
		got, err := gauge(reg, "jetcron_scheduler_planned_jobs")
		return got >= *n, err
	})
	if err != nil {
		got, _ := gauge(reg, "jetcron_scheduler_planned_jobs")
		say(childReport{Step: "planned", Planned: got, Error: err.Error()})
		return err
	}
	if err := stopProfile(); err != nil {
		return err
	}
	got, _ := gauge(reg, "jetcron_scheduler_planned_jobs")
	planned := childReport{Step: "planned", Planned: got}
	planned.Since, planned.CPU = time.Since(start), cpuTime()
	memFigures(&planned)
	if *memprofile != "" {
		if err := writeHeapProfile(*memprofile); err != nil {
			return err
		}
	}
	_ = enc.Encode(planned)
	stopPeaks := func() {}
	if *memprofile != "" {
		stopPeaks = profilePeaks(*memprofile+".peak", planned.PeakRSS)
	}
	// The parent measures the API meanwhile, asks for the figures again
	// with a line "report", and closes stdin to stop us.
	lines := bufio.NewScanner(stdin)
	for lines.Scan() {
		if lines.Text() == "report" {
			r := childReport{Step: "report", CPU: cpuTime()}
			memFigures(&r)
			if *memprofile != "" {
				if err := writeHeapProfile(*memprofile + ".report"); err != nil {
					r.Error = err.Error()
				}
			}
			say(r)
		}
	}
	stopPeaks()
	sctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = s.Stop(sctx)
	stopped := childReport{Step: "stopped"}
	if err != nil {
		stopped.Error = err.Error()
	}
	memFigures(&stopped)
	say(stopped)
	return nil
}

// profilePeaks writes a heap profile to path each time the resident set
// passes its highest so far (from floor) by 16 MiB or more, checking every
// 100 ms, until the returned func is called: what a transient peak holds
// (say, a million new jobs' first health states) is in the last one.
func profilePeaks(path string, floor int64) func() {
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		high := floor
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
			}
			if rss := procStatus("VmRSS:"); rss >= high+16<<20 {
				high = rss
				_ = writeHeapProfile(path)
			}
		}
	}()
	return func() { close(done); <-stopped }
}

// memFigures fills the memory figures of r (after a garbage collection).
func memFigures(r *childReport) {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	r.HeapAlloc, r.HeapSys, r.Sys = ms.HeapAlloc, ms.HeapSys, ms.Sys
	r.RSS, r.PeakRSS = procStatus("VmRSS:"), procStatus("VmHWM:")
}

func writeHeapProfile(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("-memprofile: %w", err)
	}
	if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
		_ = f.Close()
		return fmt.Errorf("-memprofile: %w", err)
	}
	return f.Close()
}

// gauge reads a gauge of reg.
func gauge(reg *prometheus.Registry, name string) (int, error) {
	mfs, err := reg.Gather()
	if err != nil {
		return 0, fmt.Errorf("metrics: %w", err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name && len(mf.GetMetric()) > 0 {
			return int(mf.GetMetric()[0].GetGauge().GetValue()), nil
		}
	}
	return 0, nil
}

// procStatus reads a size field of /proc/self/status in bytes; zero where
// /proc does not tell.
func procStatus(field string) int64 {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(data), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				return 0
			}
			return kb << 10
		}
	}
	return 0
}

// errChild means a scheduler process of the scale phase failed.
var errChild = errors.New("scheduler process")
