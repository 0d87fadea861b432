package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"sync/atomic"
	"time"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/worker"
)

// scaleResult is what the scale phase measured: -scale-jobs definitions in
// one scheduler.
type scaleResult struct {
	Jobs int
	// MemLimit is the schedulers' GOMEMLIMIT, if set.
	MemLimit string
	// Load is how long writing the definitions into the jobs bucket took.
	Load time.Duration
	// First is the first scheduler process (the jobs were in the bucket
	// before it started), Takeover the one that starts once the first has
	// stopped and resigned its lease.
	First, Takeover childFigures
	// Get is the latency of job_get calls; List that of job_list calls
	// with a prefix that selects ten jobs (the server still reads every
	// definition); ListAll that of one job_list of every job, or its error.
	Get, List quantiles
	// Page is the latency of job_list calls for 100 jobs after a name, or
	// why they failed.
	Page         quantiles
	PageErr      string
	ListAll      time.Duration
	ListAllCount int
	ListAllErr   string
	// Idle is the first scheduler's CPU time over IdleWindow once the
	// API calls were answered, with nothing due (its watchdog still
	// checks every job each round), and IdleRSS its resident set at the
	// end of it.
	IdleWindow, Idle time.Duration
	IdleRSS          int64
	// With -scale-run-once: Runs is how long the runs took, from the
	// first scheduler's plan until the last was recorded; Ran the first
	// scheduler's figures then, and Settled the second's after it has
	// led for IdleWindow (its history of the runs read).
	Runs         time.Duration
	Ran, Settled childReport
}

// childFigures are one scheduler process's figures.
type childFigures struct {
	// Leading and Planned are the times from the process's start until it
	// held the lease and until its plan held every job.
	Leading, Planned time.Duration
	// CPU is the process's CPU time until its plan held every job.
	CPU time.Duration
	// At "planned": the live heap after a collection, the resident set,
	// and the peak resident set so far (loading included).
	HeapAlloc uint64
	RSS       int64
	PeakRSS   int64
	// PeakAfterAPI is the peak resident set once the API calls were
	// answered (the first process answers them).
	PeakAfterAPI int64
}

// measureScale loads -scale-jobs definitions into the jobs bucket of a
// fresh server, starts a scheduler in a process of its own, waits until it
// has planned every job, measures job_get and job_list against it, stops it
// and measures a second one's takeover.
func measureScale(ctx context.Context, o options, dir string, log *slog.Logger, progress io.Writer) (scaleResult, error) {
	res := scaleResult{Jobs: o.ScaleJobs, MemLimit: o.ScaleMemLimit}
	e, err := startEnv(ctx, dir, envConfig{NoSync: o.NoSync, NoScheduler: true}, log)
	if err != nil {
		return res, err
	}
	defer e.close()
	fmt.Fprintf(progress, "scale: writing %d definitions into the jobs bucket\n", o.ScaleJobs)
	start := time.Now()
	anchor := start.Add(2 * time.Hour).Truncate(time.Second)
	var ran atomic.Int64
	if o.ScaleRunOnce {
		// Definitions written into the bucket skip the API, which makes
		// their queue's consumer.
		queue := scaleRunJob(0, 1, start).WithDefaults().Queue
		if err := topology.EnsureQueue(ctx, e.js, e.topo, queue); err != nil {
			return res, fmt.Errorf("queue %s: %w", queue, err)
		}
		noop := worker.HandlerFunc(func(context.Context, *worker.Run) error {
			ran.Add(1)
			return nil
		})
		if err := e.startWorker(ctx, workerConfig{Concurrency: 256, Handlers: map[string]worker.Handler{noopHandler: noop}}, log); err != nil {
			return res, err
		}
	}
	if err := loadJobs(ctx, e, o.ScaleJobs, func(i int) job.Spec {
		s := scaleJob(i, anchor)
		if o.ScaleRunOnce {
			s = scaleRunJob(i, o.ScaleJobs, start.Add(2*time.Second))
		}
		if o.ScaleRetention > 0 {
			s.Retention = &job.Retention{Executions: o.ScaleRetention}
		}
		return s
	}); err != nil {
		return res, err
	}
	res.Load = time.Since(start)
	fmt.Fprintf(progress, "scale: loaded in %s; starting the first scheduler\n", res.Load.Round(time.Millisecond))

	first, err := startChild(ctx, e, o.ScaleMemLimit, "scale-a", o.ScaleJobs, profileName(o.MemProfile, "first"), profileName(o.CPUProfile, "scale-first"))
	if err != nil {
		return res, err
	}
	res.First = first.figures
	fmt.Fprintf(progress, "scale: first scheduler planned %d jobs in %s\n", o.ScaleJobs, res.First.Planned.Round(time.Millisecond))
	if o.ScaleRunOnce {
		fmt.Fprintf(progress, "scale: every job runs once\n")
		t := time.Now()
		if err := waitRuns(ctx, e, &ran, int64(o.ScaleJobs), progress); err != nil {
			first.stop()
			return res, err
		}
		res.Runs = time.Since(t)
		if res.Ran, err = first.report(); err != nil {
			first.stop()
			return res, err
		}
	}
	fmt.Fprintf(progress, "scale: measuring the API\n")
	if err := measureScaleAPI(ctx, e, o.ScaleJobs, &res); err != nil {
		first.stop()
		return res, err
	}
	if o.ScaleIdle > 0 {
		fmt.Fprintf(progress, "scale: watching the first scheduler idle for %s\n", o.ScaleIdle)
		if err := first.watchIdle(ctx, o.ScaleIdle, &res); err != nil {
			first.stop()
			return res, err
		}
	}
	stopped, err := first.stop()
	if err != nil {
		return res, err
	}
	res.First.PeakAfterAPI = stopped.PeakRSS
	fmt.Fprintf(progress, "scale: first scheduler stopped; starting the second\n")
	second, err := startChild(ctx, e, o.ScaleMemLimit, "scale-b", o.ScaleJobs, profileName(o.MemProfile, "takeover"), profileName(o.CPUProfile, "scale-takeover"))
	if err != nil {
		return res, err
	}
	res.Takeover = second.figures
	if o.ScaleRunOnce && o.ScaleIdle > 0 {
		fmt.Fprintf(progress, "scale: the second scheduler leads for %s\n", o.ScaleIdle)
		select {
		case <-ctx.Done():
		case <-time.After(o.ScaleIdle):
		}
		if res.Settled, err = second.report(); err != nil {
			second.stop()
			return res, err
		}
	}
	if _, err := second.stop(); err != nil {
		return res, err
	}
	return res, nil
}

// scaleRunRate is how many slots a second come due with -scale-run-once.
const scaleRunRate = 2000

// scaleRunJob is the i-th of n jobs of a scale phase whose jobs run once:
// a no-op Go handler every 24 h from a slot of its own, the n slots spread
// from first at scaleRunRate a second. Slots that pass before the
// scheduler has planned fire as catch-up (within the default 5 minutes).
func scaleRunJob(i, n int, first time.Time) job.Spec {
	spread := time.Duration(n) * time.Second / scaleRunRate
	s := benchJob(fmt.Sprintf("scale-%07d", i), first.Add(time.Duration(int64(spread)*int64(i)/int64(n))).Truncate(time.Millisecond), 24*time.Hour)
	s.Task = job.Task{Kind: job.TaskGo, Handler: noopHandler}
	return s
}

// waitRuns waits until the worker has run n executions and every work
// item is settled (its final event stored before its ack).
func waitRuns(ctx context.Context, e *env, ran *atomic.Int64, n int64, progress io.Writer) error {
	last := time.Now()
	return poll(ctx, time.Hour, 100*time.Millisecond, func() (bool, error) {
		got := ran.Load()
		st, err := e.js.Stream(ctx, e.names.WorkStream())
		if err != nil {
			return false, err
		}
		queued := st.CachedInfo().State.Msgs
		if time.Since(last) >= 10*time.Second {
			fmt.Fprintf(progress, "scale: %d of %d ran, %d queued\n", got, n, queued)
			last = time.Now()
		}
		return got >= n && queued == 0, nil
	})
}

// scaleJob is the i-th job of the scale phase: half `every 1h` anchored
// after the phase ends, half a yearly cron on 1 January at a minute of
// their own; none fires while it is measured.
func scaleJob(i int, anchor time.Time) job.Spec {
	name := fmt.Sprintf("scale-%07d", i)
	if i%2 == 0 {
		return benchJob(name, anchor.Add(time.Duration(i%3600)*time.Second), time.Hour)
	}
	return job.Spec{
		Name:     name,
		Schedule: job.Schedule{Cron: fmt.Sprintf("%d %d 1 1 *", i%60, (i/60)%24)},
		Overlap:  job.OverlapAllow,
		Task:     job.Task{Kind: job.TaskCommand, Command: []string{"true"}},
	}
}

func profileName(base, which string) string {
	if base == "" {
		return ""
	}
	return base + "." + which
}

// measureScaleAPI measures job_get and job_list with n jobs.
func measureScaleAPI(ctx context.Context, e *env, n int, res *scaleResult) error {
	var gets []time.Duration
	for range 200 {
		name := fmt.Sprintf("scale-%07d", rand.IntN(n))
		t := time.Now()
		var v api.JobView
		if err := api.Call(ctx, e.nc, e.names, api.VerbJobGet, api.NameRequest{Name: name}, &v); err != nil {
			return fmt.Errorf("job_get %s: %w", name, err)
		}
		gets = append(gets, time.Since(t))
	}
	res.Get = summarize(gets)
	var lists []time.Duration
	for range 5 {
		prefix := fmt.Sprintf("scale-%06d", rand.IntN(max(n/10, 1)))
		t := time.Now()
		var out []api.JobView
		cctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		err := api.Call(cctx, e.nc, e.names, api.VerbJobList, api.ListRequest{Prefix: prefix}, &out)
		cancel()
		if err != nil {
			return fmt.Errorf("job_list %s: %w", prefix, err)
		}
		lists = append(lists, time.Since(t))
	}
	res.List = summarize(lists)
	var pages []time.Duration
	for range 20 {
		after := fmt.Sprintf("scale-%07d", rand.IntN(n))
		t := time.Now()
		var out []api.JobView
		if err := api.Call(ctx, e.nc, e.names, api.VerbJobList, api.ListRequest{Page: api.Page{Limit: 100, After: after}}, &out); err != nil {
			// A scheduler without pages (an older one, measured to
			// compare) refuses the request.
			res.PageErr = err.Error()
			break
		}
		pages = append(pages, time.Since(t))
	}
	res.Page = summarize(pages)
	t := time.Now()
	var all []api.JobView
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	if err := api.Call(cctx, e.nc, e.names, api.VerbJobList, api.ListRequest{}, &all); err != nil {
		res.ListAllErr = err.Error()
	}
	res.ListAll, res.ListAllCount = time.Since(t), len(all)
	return nil
}

// child is a running scheduler process of the scale phase.
type child struct {
	cmd     *exec.Cmd
	stdin   io.WriteCloser
	reports *json.Decoder
	figures childFigures
}

// startChild starts a scheduler process (this binary, childCommand) on
// e's server and waits until it has planned n jobs.
func startChild(ctx context.Context, e *env, memLimit, id string, n int, memprofile, cpuprofile string) (*child, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errChild, err)
	}
	args := []string{childCommand, "-url", e.url, "-id", id, "-n", fmt.Sprint(n)}
	if memprofile != "" {
		args = append(args, "-memprofile", memprofile)
	}
	if cpuprofile != "" {
		args = append(args, "-cpuprofile", cpuprofile)
	}
	cmd := exec.CommandContext(ctx, self, args...)
	cmd.Stderr = os.Stderr
	if memLimit != "" {
		cmd.Env = append(os.Environ(), "GOMEMLIMIT="+memLimit)
	}
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errChild, err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errChild, err)
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("%w: %w", errChild, err)
	}
	c := &child{cmd: cmd, stdin: stdin, reports: json.NewDecoder(bufio.NewReader(stdout))}
	for {
		r, err := c.next()
		if err != nil {
			c.stop()
			return nil, err
		}
		switch r.Step {
		case "leading":
			c.figures.Leading = r.Since
		case "planned":
			c.figures.Planned, c.figures.CPU, c.figures.HeapAlloc, c.figures.RSS, c.figures.PeakRSS = r.Since, r.CPU, r.HeapAlloc, r.RSS, r.PeakRSS
			return c, nil
		}
	}
}

// watchIdle measures the process's CPU time over window, and its resident
// set at the end.
func (c *child) watchIdle(ctx context.Context, window time.Duration, res *scaleResult) error {
	pid := c.cmd.Process.Pid
	before, err := procCPU(pid)
	if err != nil {
		return err
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(window):
	}
	after, err := procCPU(pid)
	if err != nil {
		return err
	}
	res.IdleWindow, res.Idle, res.IdleRSS = window, after-before, procRSS(pid)
	return nil
}

// next reads the process's next report.
func (c *child) next() (childReport, error) {
	var r childReport
	if err := c.reports.Decode(&r); err != nil {
		return r, fmt.Errorf("%w: %w", errChild, err)
	}
	if r.Error != "" {
		return r, fmt.Errorf("%w: %s: %s", errChild, r.Step, r.Error)
	}
	return r, nil
}

// report asks the process for its figures now.
func (c *child) report() (childReport, error) {
	if _, err := io.WriteString(c.stdin, "report\n"); err != nil {
		return childReport{}, fmt.Errorf("%w: %w", errChild, err)
	}
	return c.next()
}

// stop closes the process's input, which stops it gracefully, and returns
// its last report.
func (c *child) stop() (childReport, error) {
	_ = c.stdin.Close()
	r, err := c.next()
	if werr := c.cmd.Wait(); err == nil && werr != nil {
		err = fmt.Errorf("%w: %w", errChild, werr)
	}
	return r, err
}
