package failure_test

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

var (
	chaosSeed  = flag.Uint64("seed", 0, "run the chaos suite with this seed only (a failure prints its seed)")
	chaosSeeds = flag.Int("chaos-seeds", 20, "seeds of the long chaos run (task test:chaos)")
	chaosLong  = flag.Bool("chaos", false, "run the long chaos suite: -chaos-seeds random seeds (task test:chaos)")
)

// Lease lengths of the chaos topologies: the cluster's schedulers take a
// short lease; `jetcron dev` keeps its default.
const (
	chaosClusterLease = 5 * time.Second
	chaosDevLease     = 15 * time.Second
)

// TestChaos runs randomized workloads under random faults and checks both
// safety (no slot fired twice, no overlap a policy forbids, no phantom)
// and liveness (every slot of every active job accounted for within a
// bound once the system is back; nothing left scheduled, running or
// delayed without an owner). Each seed draws its jobs and its timeline;
// `-seed N` replays one (`go test ./tests/failure/ -run TestChaos -args -seed N`).
// The short version runs two fixed seeds, one per topology; `task
// test:chaos` runs dozens of random ones.
func TestChaos(t *testing.T) {
	type run struct {
		seed   uint64
		topo   string
		length time.Duration
		jobs   int
	}
	var runs []run
	switch {
	case *chaosSeed != 0:
		topo := "dev"
		if *chaosSeed%2 == 0 {
			topo = "cluster"
		}
		runs = append(runs, run{*chaosSeed, topo, pick(45*time.Second, 90*time.Second), pick(8, 14)})
	case *chaosLong:
		for range *chaosSeeds {
			seed := rand.Uint64N(1<<32) + 1
			topo := "dev"
			if seed%2 == 0 {
				topo = "cluster"
			}
			runs = append(runs, run{seed, topo, 90 * time.Second, 14})
		}
	default:
		runs = []run{{1001, "dev", 45 * time.Second, 8}, {1002, "cluster", 45 * time.Second, 8}}
	}
	for _, r := range runs {
		t.Run(fmt.Sprintf("seed=%d/%s", r.seed, r.topo), func(t *testing.T) {
			chaos(t, r.seed, r.topo, r.length, r.jobs)
		})
	}
}

// chaosRun is one seed's system under test and what the harness did to it.
type chaosRun struct {
	t     *testing.T
	s     *system
	w     *workload
	dev   *proc // the dev topology's one process
	lease time.Duration
	rec   *eventRecorder

	mu      sync.Mutex
	ledger  map[string]*ledgerJob // by job name
	outages []window
	done    []action // what the harness carried out, when
	// cancelled are the executions a cancel was answered "cancelled" for,
	// with the time from which none may start (checkCancelled): when the
	// cancel was sent (an attempt that took the run before the cancel
	// holds it, and the answer is then "cancelling" or a conflict), or,
	// for an answer that an attempt ran meanwhile (after_attempt), when
	// it was answered.
	cancelled map[string]time.Time
	// ranFirst counts the answers "cancelled" after an attempt ran.
	ranFirst int
	// racing are the cancels sent at their run's due time (cancelAtDue).
	racing sync.WaitGroup
}

// window is an interval of time.
type window struct{ from, to time.Time }

func (w window) contains(t time.Time) bool { return !t.Before(w.from) && !t.After(w.to) }

// ledgerJob is what the harness did to one job, as times.
type ledgerJob struct {
	cj       chaosJob
	versions []version
	disabled []disabledWindow
	deleted  time.Time // the delete's first try
	// deletedBy is when the delete was answered: it took effect by then.
	deletedBy time.Time
	// adhoc are the IDs of the manual and enqueued runs the harness made.
	adhoc []string
}

// version is a definition of a job and when it was in force. An update
// tried during an outage is retried until NATS is back and takes effect
// somewhere between its first try and its answer: the version it replaced
// is owed until the first try (to) and may fire until the answer (until);
// the new one may fire from the first try (from) and is owed from the
// answer (sure).
type version struct {
	spec     job.Spec
	from, to time.Time // to is zero while in force
	sure     time.Time // owed from then (zero: from)
	until    time.Time // may fire until then (zero: to)
}

// disabledWindow is a time the job was disabled: from the disable's first
// try to the enable's answer (slots in it are not owed). A try during an
// outage is retried until NATS is back, and takes effect somewhere
// between the first try and the answer: the job was surely disabled only
// from the disable's answer to the enable's first try (sure; no slot in
// it may fire).
type disabledWindow struct {
	window
	sure    window
	catchUp bool // enabled again with catch-up
}

func chaos(t *testing.T, seed uint64, topo string, length time.Duration, nJobs int) {
	t.Logf("chaos seed %d (replay: go test ./tests/failure/ -run 'TestChaos' -args -seed %d)", seed, seed)
	c := &chaosRun{t: t, ledger: map[string]*ledgerJob{}, cancelled: map[string]time.Time{}}
	switch topo {
	case "dev":
		c.s, c.dev, _ = startDev(t, append([]string{"--workers", "4", "--group-commit", "all"}, chaosPruneArgs...)...)
		c.lease = chaosDevLease
	default:
		c.s = start(t, options{schedulers: 2, workers: 2, concurrency: 4, lease: chaosClusterLease, schedulerArgs: chaosPruneArgs, workerArgs: []string{"--group-commit", "all"}})
		c.lease = chaosClusterLease
	}
	// Every event as it is stored, before a job's retention deletes it:
	// the checks read what happened, and checkRetention what was deleted.
	c.rec = recordEvents(t, c.s)
	pw := watchPIDs(c.s.sink)
	defer pw.close()
	begin := time.Now()
	c.w = drawWorkload(seed, topo, length, nJobs, begin, func(d time.Duration) []string { return []string{bins.probe, c.s.sink, d.String()} })
	t.Logf("workload %s", c.w)
	for _, cj := range c.w.jobs {
		c.create(cj)
	}
	var wg sync.WaitGroup
	var users, faults []action
	for _, a := range c.w.timeline {
		if a.Kind.fault() {
			faults = append(faults, a)
		} else {
			users = append(users, a)
		}
	}
	wg.Go(func() { c.play(begin, users) })
	wg.Go(func() { c.play(begin, faults) })
	wg.Wait()
	c.racing.Wait()
	pace(time.Until(begin.Add(length)))

	c.s.stopFiring()
	end := time.Now()
	c.mu.Lock()
	for name, lj := range c.ledger {
		if j, ok := c.s.jobs[name]; ok && !j.disabled.IsZero() && lj.deleted.IsZero() {
			lj.versions[len(lj.versions)-1].to = j.disabled
		}
	}
	c.mu.Unlock()
	// The system is back: a leader leads again (after the last fault's
	// restart it may wait out a lease), and has loaded what it found.
	natstest.Eventually(t, 2*time.Minute, c.leaderAlive, "a living scheduler leads after the last fault")
	pace(3 * time.Second)
	// Nothing stays scheduled, running or delayed: the never-ending runs
	// end by their timeouts, delayed runs of disabled jobs still run, and
	// so do the runs accepted for later.
	c.s.quiesceAwaiting(pw, 2*time.Minute, c.awaited)
	r := c.check(pw, end)
	t.Log(r.String())
	writeReport(r)
	if len(r.Problems) > 0 {
		c.log()
		c.logEvents(r.Problems)
	}
	require.Empty(t, r.Problems, "seed %d:\n%s", seed, strings.Join(r.Problems, "\n"))
}

// play carries out actions at their offsets from begin, one after the
// other (a fault's part comes back before the next fault).
func (c *chaosRun) play(begin time.Time, as []action) {
	for _, a := range as {
		pace(time.Until(begin.Add(a.At)))
		c.do(a)
		c.mu.Lock()
		a.At = time.Since(begin)
		c.done = append(c.done, a)
		c.mu.Unlock()
	}
}

// log prints what the harness carried out.
func (c *chaosRun) log() {
	c.mu.Lock()
	defer c.mu.Unlock()
	var lines []string
	for _, a := range c.done {
		lines = append(lines, a.String())
	}
	c.t.Logf("carried out (offsets when done):\n%s", strings.Join(lines, "\n"))
}

// logEvents prints the events of the jobs that problems name.
func (c *chaosRun) logEvents(problems []string) {
	jobs := map[string]bool{}
	for _, p := range problems {
		name, _, _ := strings.Cut(p, "-")
		name, _, _ = strings.Cut(name, ":")
		jobs[name] = true
	}
	var lines []string
	for _, e := range c.s.events() {
		if !jobs[e.Job] {
			continue
		}
		l := fmt.Sprintf("%s %s %s %s", e.Time.Format("15:04:05.000"), e.Job, e.Kind, e.Execution)
		if e.Term > 0 {
			l += fmt.Sprintf(" term=%d", e.Term)
		}
		if e.Trigger != "" {
			l += " " + string(e.Trigger)
		}
		if e.Attempt > 0 {
			l += fmt.Sprintf(" #%d", e.Attempt)
		}
		if e.Reason != "" {
			l += " (" + e.Reason + ")"
		}
		lines = append(lines, l)
	}
	c.t.Logf("events of the jobs at fault:\n%s", strings.Join(lines, "\n"))
}

// create creates a job and opens its ledger.
func (c *chaosRun) create(cj chaosJob) {
	c.s.create(cj.spec, cj.run, true)
	c.mu.Lock()
	defer c.mu.Unlock()
	spec := c.s.jobs[cj.spec.Name].spec
	c.ledger[cj.spec.Name] = &ledgerJob{cj: cj, versions: []version{{spec: spec, from: spec.CreatedAt}}}
}

// retry calls f until it succeeds (through failovers and outages) or a
// minute passes; errors that are answers (not found, conflict) end it.
func (c *chaosRun) retry(what string, f func(ctx context.Context) error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err := f(ctx)
		cancel()
		if err == nil || !transient(err) || time.Now().After(deadline) {
			if err != nil {
				c.t.Logf("%s: %v", what, err)
			}
			return err
		}
		pace(250 * time.Millisecond)
	}
}

// transient reports whether an API error may go away by itself.
func transient(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, nats.ErrNoResponders) ||
		errors.Is(err, nats.ErrTimeout) || errors.Is(err, nats.ErrConnectionClosed) ||
		errors.Is(err, nats.ErrDisconnected) || errors.Is(err, api.ErrUnavailable)
}

// cancel cancels execution id, noting an answer "cancelled"; only a
// transient error is returned (to be retried).
func (c *chaosRun) cancel(ctx context.Context, id string) error {
	sent := time.Now()
	out, err := c.s.client.Cancel(ctx, id, "chaos cancel")
	if err != nil && transient(err) {
		return err
	}
	if err == nil && out.Result == "cancelled" {
		c.mu.Lock()
		c.cancelled[id] = sent
		if out.AfterAttempt > 0 {
			c.cancelled[id] = time.Now()
			c.ranFirst++
		}
		c.mu.Unlock()
	}
	return nil
}

// cancelAtDue cancels the enqueued run id when it is due, as the leader
// publishes it (the window item 35 of docs/reliability.md closed).
func (c *chaosRun) cancelAtDue(id string, due time.Time) {
	pace(time.Until(due))
	_ = c.retry("cancel at its time", func(ctx context.Context) error { return c.cancel(ctx, id) })
}

// do carries out one action.
func (c *chaosRun) do(a action) {
	lj := c.jobLedger(a.Job)
	if lj != nil && !lj.deleted.IsZero() {
		return // deleted earlier
	}
	cl := c.s.client
	switch a.Kind {
	case actRun, actEnqueue:
		var id string
		var due time.Time
		err := c.retry(string(a.Kind), func(ctx context.Context) error {
			if a.Kind == actRun {
				r, err := cl.RunJob(ctx, a.Job, map[string]string{"chaos": "run"}, false)
				id = r.ExecutionID
				return err
			}
			r, err := cl.Enqueue(ctx, a.Job, time.Now().Add(a.Down), map[string]string{"chaos": "enqueue"})
			id, due = r.ExecutionID, r.At
			return err
		})
		if err == nil {
			c.mu.Lock()
			lj.adhoc = append(lj.adhoc, id)
			c.mu.Unlock()
			if a.Arg == argCancelAtDue {
				c.racing.Go(func() { c.cancelAtDue(id, due) })
			}
		}
	case actCancel:
		_ = c.retry("cancel", func(ctx context.Context) error {
			xs, _, err := cl.Executions(ctx, client.ListOptions{Job: a.Job, Limit: 10})
			if err != nil {
				return err
			}
			for _, x := range xs {
				if !x.State.Final() {
					return c.cancel(ctx, x.ID)
				}
			}
			return nil
		})
	case actDisable:
		at := time.Now()
		if c.retry("disable", func(ctx context.Context) error { _, err := cl.DisableJob(ctx, a.Job, "chaos"); return err }) == nil {
			c.mu.Lock()
			lj.disabled = append(lj.disabled, disabledWindow{window: window{from: at}, sure: window{from: time.Now()}})
			c.mu.Unlock()
		}
	case actEnable:
		catchUp := a.Arg == "catchup"
		at := time.Now()
		if c.retry("enable", func(ctx context.Context) error { _, err := cl.EnableJob(ctx, a.Job, catchUp); return err }) == nil {
			c.mu.Lock()
			if n := len(lj.disabled); n > 0 && lj.disabled[n-1].to.IsZero() {
				lj.disabled[n-1].to, lj.disabled[n-1].sure.to, lj.disabled[n-1].catchUp = time.Now(), at, catchUp
			}
			c.mu.Unlock()
		}
	case actUpdate:
		c.update(lj, a)
	case actDelete:
		at := time.Now()
		// Not found: an earlier try took effect, its answer lost (tries
		// buffered while NATS was away arrive together; one deletes).
		if err := c.retry("delete", func(ctx context.Context) error { return cl.DeleteJob(ctx, a.Job) }); err == nil || errors.Is(err, job.ErrNotFound) {
			c.mu.Lock()
			// The delete took effect between the first try and the
			// answer (a try during an outage is retried until NATS is
			// back): slots are owed until the first, may fire until the
			// second.
			lj.deleted, lj.deletedBy = at, time.Now()
			lj.versions[len(lj.versions)-1].to = at
			delete(c.s.jobs, a.Job) // nothing left to disable at the end
			c.mu.Unlock()
		}
	default:
		c.fault(a)
	}
}

// update changes a job's run length, or its interval.
func (c *chaosRun) update(lj *ledgerJob, a action) {
	c.mu.Lock()
	spec := lj.versions[len(lj.versions)-1].spec
	c.mu.Unlock()
	spec.Disabled = false // the update's own flag; enable/disable are separate actions
	if a.Arg == "every" {
		spec.Schedule.Every = job.Duration(spec.Schedule.Every.D() + time.Second)
	} else {
		run := 100 * time.Millisecond
		if lj.cj.run < time.Second {
			run = 2 * time.Second
		}
		spec.Task.Command = []string{bins.probe, c.s.sink, run.String()}
	}
	at := time.Now()
	var got job.Spec
	err := c.retry("update", func(ctx context.Context) error {
		resp, err := c.s.client.CreateJob(ctx, spec, client.WithUpdate())
		got = resp.Job.Spec
		return err
	})
	if err != nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if got.Disabled { // disabled meanwhile: the update keeps it so
		spec.Disabled = true
	}
	answered := time.Now()
	lj.versions[len(lj.versions)-1].to = at
	lj.versions[len(lj.versions)-1].until = answered
	lj.versions = append(lj.versions, version{spec: got, from: at, sure: answered})
}

func (c *chaosRun) jobLedger(name string) *ledgerJob {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ledger[name]
}
