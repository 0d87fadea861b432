package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/worker"
)

// Phases a run may include (-run).
const (
	phaseBatch    = "batch"
	phaseNoBatch  = "nobatch"
	phaseLateness = "lateness"
	// phaseLatenessNoBatch is the lateness phase with atomic batches off;
	// not run unless asked for.
	phaseLatenessNoBatch = "lateness-nobatch"
	// End to end with a worker (e2e.go): -e2e-jobs one-shot jobs due at
	// one instant, or -steady-rate executions per second for
	// -steady-duration; a no-op Go handler, or a command task (true).
	phaseE2E        = "e2e"
	phaseE2ECommand = "e2e-cmd"
	phaseSteady     = "steady"
	phaseSteadyCmd  = "steady-cmd"
	// phaseScale loads -scale-jobs definitions and measures one scheduler
	// holding them (scale.go); not run unless asked for.
	phaseScale = "scale"
)

// allPhases are the phases -run accepts.
var allPhases = []string{phaseBatch, phaseNoBatch, phaseLateness, phaseLatenessNoBatch, phaseE2E, phaseE2ECommand, phaseSteady, phaseSteadyCmd, phaseScale}

// e2ePhases are the end-to-end phases, in the order they run.
var e2ePhases = []string{phaseE2E, phaseE2ECommand, phaseSteady, phaseSteadyCmd}

// Setup modes (-setup).
const (
	setupAPI = "api"
	setupKV  = "kv"
)

// options are the command's flags.
type options struct {
	// Args are the arguments as given, for the report.
	Args []string
	// Phases to run, in order.
	Phases []string
	// Jobs due at the same slot in the dispatch phases.
	Jobs int
	// Setup is how jobs are created: setupAPI or setupKV.
	Setup string
	// Inflight bounds the API calls in flight during setup.
	Inflight int
	// Rate is the fires per second of the lateness phase.
	Rate int
	// Duration is how long the lateness phase fires.
	Duration time.Duration
	// Aligned puts every lateness job on the whole second instead of
	// spreading them over it.
	Aligned bool
	// Lead is the time from the start of setup to the first slot; zero
	// estimates it from the number of jobs and the setup mode.
	Lead time.Duration
	// Dir holds the servers' data; empty means a temporary directory that is
	// removed afterwards.
	Dir string
	// CPUProfile, when set, names the CPU profiles of the measured windows:
	// CPUProfile + "." + phase.
	CPUProfile string
	// FlushInterval is the scheduler's cursor flush interval; zero keeps
	// its default.
	FlushInterval time.Duration
	// CSV, when set, receives every lateness slot: phase, execution,
	// slot, stored, woke.
	CSV string
	// Verbose logs the scheduler's and server's warnings to stderr.
	Verbose bool
	// NoSync runs the server with fsync every two minutes instead of on
	// every write (`jetcron dev --no-sync`).
	NoSync bool
	// Replicas runs a cluster of that many embedded servers and
	// replicates every stream and bucket on all of them (3: what
	// production runs); 1 is a single server.
	Replicas int
	// Concurrency is the worker's executions at once in the e2e phases.
	Concurrency int
	// GroupCommit is the worker's group commit: "auto" (on with a single
	// replica, off with NoSync, as `jetcron dev`), "on" or "off".
	GroupCommit string
	// E2EJobs are the one-shot jobs due at one instant in e2e and e2e-cmd.
	E2EJobs int
	// SteadyRate and SteadyDuration are the executions per second of
	// steady and steady-cmd, and for how long.
	SteadyRate     int
	SteadyDuration time.Duration
	// Summary, when set, receives the e2e figures as tab-separated
	// phase, metric, value lines (tests/bench/peers.sh reads them).
	Summary string
	// ScaleJobs are the definitions the scale phase loads; MemProfile,
	// when set, names the heap profiles of its scheduler processes
	// (MemProfile + ".first", ".takeover").
	ScaleJobs  int
	MemProfile string
	// ScaleMemLimit, when set, is the GOMEMLIMIT of the scale phase's
	// scheduler processes (the Go runtime's soft memory limit).
	ScaleMemLimit string
	// ScaleIdle is how long the scale phase watches its first scheduler
	// idle once the API calls are answered (0: not at all).
	ScaleIdle time.Duration
	// ScaleRetention keeps the last that many executions of every scale
	// job (job.Retention.Executions; 0: no retention).
	ScaleRetention int
	// ScaleRunOnce makes every scale job run once (a no-op Go handler on a
	// worker in the bench process, scaleRunRate slots a second) before the
	// first scheduler is measured again, and the takeover after it.
	ScaleRunOnce bool
}

// quickFlags are the -quick settings: every phase, scaled down so that a
// test runs them in a few seconds. Flags given explicitly win.
var quickFlags = map[string]string{
	"jobs": "300", "rate": "100", "duration": "2s",
	"e2e-jobs": "200", "steady-rate": "50", "steady-duration": "2s",
}

// parseFlags parses the command line; errors name the flag.
func parseFlags(args []string, stderr io.Writer) (options, error) {
	o := options{Args: args}
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: go run ./tests/bench [flags]\n\nMeasures the scheduler's dispatch rate and firing lateness, and the whole system end to end (docs/benchmarks.md).\n\n")
		fs.PrintDefaults()
	}
	run := fs.String("run", strings.Join([]string{phaseBatch, phaseNoBatch, phaseLateness}, ","), "phases to run, comma-separated: "+strings.Join(allPhases, ", "))
	fs.IntVar(&o.Jobs, "jobs", 10_000, "jobs due at the same slot in the dispatch phases")
	fs.StringVar(&o.Setup, "setup", setupAPI, "how jobs are created: api (job_create calls) or kv (definitions written into the jobs bucket)")
	fs.IntVar(&o.Inflight, "inflight", 64, "API calls in flight while creating jobs")
	fs.IntVar(&o.Rate, "rate", 1000, "fires per second in the lateness phase (that many jobs every 1s)")
	fs.DurationVar(&o.Duration, "duration", 20*time.Second, "how long the lateness phase fires")
	fs.BoolVar(&o.Aligned, "aligned", false, "lateness phase: every job on the whole second instead of spread over it")
	fs.DurationVar(&o.Lead, "lead", 0, "time from the start of setup to the first slot (0: estimated; doubled and retried if setup overruns it)")
	fs.StringVar(&o.Dir, "dir", "", "data directory (default: a temporary one, removed afterwards)")
	fs.StringVar(&o.CPUProfile, "cpuprofile", "", "write a CPU profile of each measured window to FILE.<phase>")
	fs.DurationVar(&o.FlushInterval, "flush-interval", 0, "the scheduler's cursor flush interval (0: its default, 1s)")
	fs.StringVar(&o.CSV, "csv", "", "write every measured lateness slot to FILE as CSV")
	fs.BoolVar(&o.Verbose, "v", false, "log scheduler and server warnings to stderr")
	fs.BoolVar(&o.NoSync, "no-sync", false, "fsync every two minutes instead of on every write (jetcron dev --no-sync)")
	fs.IntVar(&o.Replicas, "replicas", 1, "servers in the cluster, every stream and bucket replicated on all (3: as in production)")
	fs.IntVar(&o.Concurrency, "concurrency", 64, "e2e phases: executions the worker runs at once")
	fs.StringVar(&o.GroupCommit, "group-commit", "auto", "e2e phases: the worker's group commit, auto (on with one replica, off with -no-sync, as jetcron dev), on or off")
	fs.IntVar(&o.E2EJobs, "e2e-jobs", 5000, "e2e, e2e-cmd: one-shot jobs due at the same instant")
	fs.IntVar(&o.SteadyRate, "steady-rate", 1000, "steady, steady-cmd: executions per second (that many jobs every 1s, spread over the second)")
	fs.DurationVar(&o.SteadyDuration, "steady-duration", 10*time.Second, "steady, steady-cmd: how long they fire")
	fs.StringVar(&o.Summary, "summary", "", "write the e2e figures to FILE as tab-separated phase, metric, value lines")
	fs.IntVar(&o.ScaleJobs, "scale-jobs", 1_000_000, "scale: job definitions one scheduler holds")
	fs.StringVar(&o.ScaleMemLimit, "scale-gomemlimit", "", "scale: GOMEMLIMIT of the scheduler processes, e.g. 1GiB (default: none, the runtime's default)")
	fs.DurationVar(&o.ScaleIdle, "scale-idle", 30*time.Second, "scale: how long the first scheduler is watched idle, for its CPU and resident set (0: not at all)")
	fs.BoolVar(&o.ScaleRunOnce, "scale-run-once", false, "scale: every job runs once (a no-op Go handler) before the API and the takeover are measured, and the schedulers' memory is measured again after the runs")
	fs.IntVar(&o.ScaleRetention, "scale-retention", 0, "scale: every job keeps its last that many executions (retention; 0: none)")
	fs.StringVar(&o.MemProfile, "memprofile", "", "scale: write each scheduler process's heap profile, once it has planned every job, to FILE.first and FILE.takeover; e2e phases: the heap profile at the window's start and end, to FILE.<phase>.base and FILE.<phase> (what the window allocated: go tool pprof -sample_index=alloc_space -diff_base FILE.<phase>.base FILE.<phase>)")
	quick := fs.Bool("quick", false, "scaled-down run for a smoke test: -jobs 300 -rate 100 -duration 2s -e2e-jobs 200 -steady-rate 50 -steady-duration 2s (later flags still apply)")
	if err := fs.Parse(args); err != nil {
		return options{}, err
	}
	if fs.NArg() > 0 {
		return options{}, fmt.Errorf("unexpected argument %q (flags only)", fs.Arg(0))
	}
	if *quick {
		// Flags given explicitly win over -quick's values.
		set := map[string]bool{}
		fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
		for name, v := range quickFlags {
			if !set[name] {
				if err := fs.Set(name, v); err != nil {
					return options{}, fmt.Errorf("-quick: %w", err)
				}
			}
		}
	}
	for _, p := range strings.Split(*run, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if !slices.Contains(allPhases, p) {
			return options{}, fmt.Errorf("-run: unknown phase %q (want %s)", p, strings.Join(allPhases, ", "))
		}
		if !slices.Contains(o.Phases, p) {
			o.Phases = append(o.Phases, p)
		}
	}
	return o, o.validate()
}

func (o options) validate() error {
	switch {
	case len(o.Phases) == 0:
		return errors.New("-run: no phase selected")
	case o.Jobs < 1 || o.Jobs > 500_000:
		return fmt.Errorf("-jobs: %d is not in 1-500000", o.Jobs)
	case o.Setup != setupAPI && o.Setup != setupKV:
		return fmt.Errorf("-setup: %q is neither api nor kv", o.Setup)
	case o.Inflight < 1:
		return fmt.Errorf("-inflight: %d is below 1", o.Inflight)
	case o.Rate < 1 || o.Rate > 100_000:
		return fmt.Errorf("-rate: %d is not in 1-100000", o.Rate)
	case o.Duration < time.Second:
		return fmt.Errorf("-duration: %s is shorter than 1s", o.Duration)
	case o.Lead < 0:
		return fmt.Errorf("-lead: %s is negative", o.Lead)
	case o.FlushInterval < 0:
		return fmt.Errorf("-flush-interval: %s is negative", o.FlushInterval)
	case o.Concurrency < 1:
		return fmt.Errorf("-concurrency: %d is below 1", o.Concurrency)
	case !slices.Contains([]string{"auto", "on", "off"}, o.GroupCommit):
		return fmt.Errorf("-group-commit: %q is none of auto, on, off", o.GroupCommit)
	case o.E2EJobs < 1 || o.E2EJobs > 500_000:
		return fmt.Errorf("-e2e-jobs: %d is not in 1-500000", o.E2EJobs)
	case o.SteadyRate < 1 || o.SteadyRate > 100_000:
		return fmt.Errorf("-steady-rate: %d is not in 1-100000", o.SteadyRate)
	case o.ScaleJobs < 1 || o.ScaleJobs > 10_000_000:
		return fmt.Errorf("-scale-jobs: %d is not in 1-10000000", o.ScaleJobs)
	case o.ScaleRetention < 0:
		return fmt.Errorf("-scale-retention: %d is negative", o.ScaleRetention)
	case o.SteadyDuration < time.Second:
		return fmt.Errorf("-steady-duration: %s is shorter than 1s", o.SteadyDuration)
	}
	return nil
}

// groupCommit is the worker's group commit: -group-commit, where auto is
// off with -no-sync, as `jetcron dev` does.
func (o options) groupCommit() worker.GroupCommit {
	if o.GroupCommit == "auto" && o.NoSync {
		return worker.GroupCommitOff
	}
	gc, _ := worker.ParseGroupCommit(o.GroupCommit) // validated
	return gc
}

// has reports whether phase p is selected.
func (o options) has(p string) bool { return slices.Contains(o.Phases, p) }
