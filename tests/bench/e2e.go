package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"math"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/worker"
)

// e2eAckWait is the ack wait of the e2e phases: `jetcron dev`'s.
const e2eAckWait = 10 * time.Second

// noopHandler names the Go handler of the e2e phases.
const noopHandler = "noop"

// e2eResult is one end-to-end measurement: due -> handler ran -> final
// event stored, with the whole system (server, scheduler, worker) in this
// process.
type e2eResult struct {
	Phase string
	// Command is set for a command task (`true`, forked) instead of the
	// no-op Go handler.
	Command bool
	// Steady is set for a steady rate instead of a burst due at once.
	Steady      bool
	NoSync      bool
	Concurrency int
	// Jobs are the jobs due at once (burst), or the jobs every 1s, so the
	// executions per second (steady).
	Jobs int
	// Duration is the steady window.
	Duration time.Duration
	Setup    time.Duration
	// Expected executions are measured (slots in the window); Done of them
	// have a final event, Failed of them a final event other than succeeded.
	Expected, Done, Failed int
	// Last is from the first slot until the last final event of a measured
	// execution was stored; Rate is Done per second of it.
	Last time.Duration
	Rate float64
	// Handler (the Go handler began; none for a command), Started (the
	// worker's started event's time) and Final (the final event stored) are
	// measured from each execution's slot.
	Handler, Started, Final quantiles
	// CPU is the process's CPU time (user + system: server, scheduler,
	// worker and bench) in the measured window: from the first slot until
	// every execution ended (steady: until the worker was idle again), and
	// Execs the final events sent in it.
	CPU   time.Duration
	Execs int
	// PeakRSS is the process's peak resident set during the phase (VmHWM),
	// in bytes; zero where /proc does not tell.
	PeakRSS int64
}

// CPUPerExec is the process's CPU time per execution that ended in the
// measured window.
func (r e2eResult) CPUPerExec() time.Duration {
	if r.Execs == 0 {
		return 0
	}
	return r.CPU / time.Duration(r.Execs)
}

// drainSteady waits until the steady window ends, stops the scheduler a second
// later (the window's last slots fire within milliseconds), and waits while
// the worker works off what is left: until no final event came for
// drainQuiet.
func drainSteady(ctx context.Context, e *env, finals *finalTap, end time.Time) error {
	if err := sleepUntil(ctx, end.Add(time.Second)); err != nil {
		return err
	}
	if err := e.stopScheduler(ctx); err != nil {
		return fmt.Errorf("stopping the scheduler: %w", err)
	}
	return finals.wait(ctx, math.MaxInt64, drainQuiet)
}

// drainQuiet is how long no final event must come for a steady phase's
// worker to count as idle.
const drainQuiet = 2 * time.Second

// e2eTask is the task of the jobs of an e2e phase.
func e2eTask(command bool) job.Task {
	if command {
		return job.Task{Kind: job.TaskCommand, Command: []string{"true"}}
	}
	return job.Task{Kind: job.TaskGo, Handler: noopHandler}
}

// e2eEnv is the env of an e2e phase: a worker with the no-op handler, which
// records when it began each execution.
func (o options) e2eEnv(rec *startLog) envConfig {
	cfg := o.envConfig(false)
	cfg.AckWait = e2eAckWait
	cfg.Worker = &workerConfig{Concurrency: o.Concurrency, GroupCommit: o.groupCommit(), Handlers: map[string]worker.Handler{noopHandler: rec.handler()}}
	return cfg
}

// measureE2E runs an end-to-end phase: a burst of o.E2EJobs one-shot jobs
// due at one instant, or o.SteadyRate executions per second for
// o.SteadyDuration.
func measureE2E(ctx context.Context, o options, dir, phase string, log *slog.Logger, progress io.Writer) (e2eResult, error) {
	res := e2eResult{
		Phase: phase, Command: phase == phaseE2ECommand || phase == phaseSteadyCmd,
		Steady: phase == phaseSteady || phase == phaseSteadyCmd, NoSync: o.NoSync, Concurrency: o.Concurrency,
	}
	resetPeakRSS()
	rec := newStartLog()
	task := e2eTask(res.Command)
	var specs func(slot time.Time) []job.Spec
	if res.Steady {
		res.Jobs, res.Duration = o.SteadyRate, o.SteadyDuration
		specs = func(slot time.Time) []job.Spec {
			s := make([]job.Spec, res.Jobs)
			for i := range s {
				s[i] = benchJob(fmt.Sprintf("s%06d", i), slot.Add(time.Duration(i)*time.Second/time.Duration(res.Jobs)), time.Second)
				s[i].Task = task
			}
			return s
		}
	} else {
		res.Jobs = o.E2EJobs
		specs = func(slot time.Time) []job.Spec {
			s := make([]job.Spec, res.Jobs)
			for i := range s {
				at := slot.UTC()
				s[i] = job.Spec{Name: fmt.Sprintf("e%06d", i), Schedule: job.Schedule{At: &at}, Task: task}
			}
			return s
		}
	}
	if o.Lead == 0 {
		// Generous (twice the time per job): the API refuses a one-shot
		// job once its instant has passed, and an overrun starts over.
		o.Lead = estimateLead(o.Setup, 2*res.Jobs)
	}
	fmt.Fprintf(progress, "%s: creating %d jobs via %s, worker concurrency %d\n", phase, res.Jobs, o.Setup, o.Concurrency)
	p, err := prepare(ctx, o, dir, o.e2eEnv(rec), res.Jobs, specs, log, progress)
	if err != nil {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	defer p.e.close()
	res.Setup = p.Setup
	start, end := p.Slot, p.Slot
	if res.Steady {
		end = start.Add(res.Duration)
		res.Expected = res.Jobs * int(res.Duration/time.Second)
	} else {
		res.Expected = res.Jobs
	}
	fmt.Fprintf(progress, "%s: created in %s; %d executions from %s\n", phase, p.Setup.Round(time.Millisecond), res.Expected, start.Format("15:04:05.000"))

	if err := sleepUntil(ctx, start.Add(-100*time.Millisecond)); err != nil {
		return res, err
	}
	finals, err := tapFinals(p.e)
	if err != nil {
		return res, err
	}
	defer finals.close()
	stop, err := startProfile(o.CPUProfile, phase)
	if err != nil {
		return res, err
	}
	if o.MemProfile != "" {
		if err := writeHeapProfile(o.MemProfile + "." + phase + ".base"); err != nil {
			return res, err
		}
	}
	cpu0 := cpuTime()
	if res.Steady {
		err = drainSteady(ctx, p.e, finals, end)
	} else {
		err = finals.wait(ctx, int64(res.Expected), e2eStall)
	}
	res.CPU, res.Execs = cpuTime()-cpu0, int(finals.n.Load())
	if perr := stop(); perr != nil && err == nil {
		err = perr
	}
	if o.MemProfile != "" && err == nil {
		err = writeHeapProfile(o.MemProfile + "." + phase)
	}
	if err != nil {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	inWindow := func(slot time.Time) bool { return !slot.Before(start) && (slot.Before(end) || slot.Equal(start)) }
	if err := res.read(ctx, p.e, rec, inWindow); err != nil {
		return res, fmt.Errorf("%s: %w", phase, err)
	}
	res.PeakRSS = peakRSS()
	if last := res.Last; last > 0 {
		res.Rate = float64(res.Done) / last.Seconds()
	}
	return res, nil
}
