package failure_test

import (
	"cmp"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
)

// A chaos workload is what users really run, drawn from a seed: jobs of
// every schedule kind and overlap policy, short, long, never-ending and
// failing runs, and a timeline of user actions and faults at random
// moments. The same seed draws the same workload (the moments are offsets
// from the start; what the system does with them is not replayed).

// chaosJob is one job of a workload.
type chaosJob struct {
	spec job.Spec
	// run is how long its probe runs (an hour: until its timeout).
	run time.Duration
	// period is the longest gap between two slots (0 for a one-shot).
	period time.Duration
}

// actionKind is what a timeline entry does.
type actionKind string

const (
	// User actions.
	actRun     actionKind = "run"     // job run (manual, respecting the overlap policy)
	actEnqueue actionKind = "enqueue" // job enqueue for a few seconds later (Arg argCancelAtDue: cancelled at its time)
	actCancel  actionKind = "cancel"  // cancel one of the job's running or waiting executions
	actDisable actionKind = "disable" // disable, enabled again by a later actEnable
	actEnable  actionKind = "enable"  // enable (Arg "catchup": with catch-up)
	actUpdate  actionKind = "update"  // new run length, or new interval for an every job
	actDelete  actionKind = "delete"
	// Faults.
	faultTerm    actionKind = "sigterm"     // SIGTERM, started again after Down
	faultKill    actionKind = "kill-9"      // SIGKILL, started again after Down
	faultStop    actionKind = "sigstop"     // SIGSTOP, SIGCONT after Down
	faultWorker  actionKind = "worker-9"    // SIGKILL of a worker, started again after Down
	faultWorkerT actionKind = "worker-term" // SIGTERM of a worker (it drains), started again after Down
	faultNATS    actionKind = "nats-9"      // SIGKILL of a NATS node, started again after Down
	faultOutage  actionKind = "no-leader"   // every scheduler stopped for Down
)

// argCancelAtDue marks an enqueue whose run is cancelled when it is due.
const argCancelAtDue = "cancelled at its time"

// action is one entry of the timeline.
type action struct {
	At   time.Duration // from the workload's start
	Kind actionKind
	Job  string
	Down time.Duration // faults: how long the part stays down or frozen
	Arg  string
}

func (a action) String() string {
	s := fmt.Sprintf("+%s %s", a.At.Round(100*time.Millisecond), a.Kind)
	if a.Job != "" {
		s += " " + a.Job
	}
	if a.Down > 0 {
		s += " for " + a.Down.Round(100*time.Millisecond).String()
	}
	if a.Arg != "" {
		s += " (" + a.Arg + ")"
	}
	return s
}

// workload is a seed's jobs and timeline.
type workload struct {
	seed     uint64
	topology string // "dev" or "cluster"
	length   time.Duration
	jobs     []chaosJob
	timeline []action
}

func (w *workload) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "seed %d, %s, %s:", w.seed, w.topology, w.length)
	for _, j := range w.jobs {
		fmt.Fprintf(&b, "\n  job %s: %s, overlap %s, runs %s", j.spec.Name, j.spec.Schedule.String(), j.spec.Overlap, j.run)
		if j.spec.Timeout > 0 {
			fmt.Fprintf(&b, ", timeout %s", j.spec.Timeout)
		}
		if j.spec.Retry.Retries > 0 {
			fmt.Fprintf(&b, ", %d retries", j.spec.Retry.Retries)
		}
		if j.spec.Env["PROBE_EXIT"] != "" {
			b.WriteString(", fails")
		}
		if j.spec.Env["PROBE_FOLLOWUP"] != "" {
			b.WriteString(", asks for a follow-up")
		}
		if j.spec.Completions > 0 {
			fmt.Fprintf(&b, ", %d completions", j.spec.Completions)
		}
		if j.spec.Jitter > 0 {
			fmt.Fprintf(&b, ", jitter %s", j.spec.Jitter)
		}
		if w := j.spec.CatchUp.Window; w > 0 {
			fmt.Fprintf(&b, ", catch-up %s %s", w, j.spec.CatchUp.Policy)
		}
	}
	for _, a := range w.timeline {
		b.WriteString("\n  " + a.String())
	}
	return b.String()
}

// drawWorkload draws the workload of a seed. start is when the jobs are
// created (one-shot and bounded schedules are placed from it).
func drawWorkload(seed uint64, topo string, length time.Duration, nJobs int, start time.Time, probeArgv func(time.Duration) []string) *workload {
	rng := rand.New(rand.NewPCG(seed, seed^0x5eed))
	// Retentions come from a generator of their own: the rest of a seed's
	// workload is what it was before jobs had them.
	keep := rand.New(rand.NewPCG(seed^0x7e7e, seed))
	w := &workload{seed: seed, topology: topo, length: length}
	overlaps := []job.Overlap{job.OverlapDelay, job.OverlapSkip, job.OverlapAllow, job.OverlapReplace}
	for i := range nJobs {
		name := fmt.Sprintf("j%d", i)
		cj := chaosJob{}
		spec := job.Spec{Name: name, Overlap: overlaps[rng.IntN(len(overlaps))]}
		// The schedule.
		switch k := rng.IntN(6); k {
		case 0: // cron with seconds, sometimes in a zone with DST
			n := 2 + rng.IntN(3)
			spec.Schedule = job.Schedule{Cron: fmt.Sprintf("*/%d * * * * *", n)}
			if rng.IntN(2) == 0 {
				spec.Schedule.TZ = "Europe/Berlin"
			}
			cj.period = time.Duration(n) * time.Second
		case 1, 2: // every
			n := 1 + rng.IntN(4)
			spec.Schedule = job.Schedule{Every: job.Duration(time.Duration(n) * time.Second)}
			cj.period = time.Duration(n) * time.Second
		case 3: // at, within the run
			at := start.Add(5*time.Second + time.Duration(rng.Int64N(int64(length*2/3)))).UTC().Truncate(time.Second)
			spec.Schedule = job.Schedule{At: &at}
		case 4: // every, bounded by start and end
			n := 1 + rng.IntN(3)
			from := start.Add(time.Duration(3+rng.IntN(10)) * time.Second).UTC().Truncate(time.Second)
			to := from.Add(time.Duration(10+rng.IntN(int(length/time.Second)/2)) * time.Second)
			spec.Schedule = job.Schedule{Every: job.Duration(time.Duration(n) * time.Second), Start: &from, End: &to}
			cj.period = time.Duration(n) * time.Second
		case 5: // every, with completions
			n := 1 + rng.IntN(2)
			spec.Schedule = job.Schedule{Every: job.Duration(time.Duration(n) * time.Second)}
			spec.Completions = 3 + rng.IntN(10)
			cj.period = time.Duration(n) * time.Second
		}
		if cj.period > 0 && rng.IntN(4) == 0 {
			spec.Jitter = job.Duration(time.Duration(200+rng.IntN(600)) * time.Millisecond)
		}
		// The catch-up policy: some windows shorter than the outages.
		switch rng.IntN(4) {
		case 0:
			spec.CatchUp = job.CatchUp{Window: job.Duration(5 * time.Second)}
		case 1:
			spec.CatchUp = job.CatchUp{Window: job.Duration(20 * time.Second), Policy: job.CatchUpLatest}
		case 2:
			spec.CatchUp = job.CatchUp{Window: job.Duration(15 * time.Second)}
		}
		// The run: short, long (longer than the period), never-ending (until
		// its timeout), failing (with retries and backoff).
		cj.run = 20 * time.Millisecond
		switch rng.IntN(6) {
		case 0:
			cj.run = time.Duration(1500+rng.IntN(4000)) * time.Millisecond
		case 1:
			cj.run = time.Hour
			spec.Timeout = job.Duration(time.Duration(2+rng.IntN(3)) * time.Second)
		case 2:
			spec.Env = map[string]string{"PROBE_EXIT": "3"}
			spec.Retry = job.Retry{Retries: rng.IntN(3), Backoff: job.Duration(500 * time.Millisecond)}
		case 3:
			cj.run = time.Duration(300+rng.IntN(900)) * time.Millisecond
		case 4: // asks for a follow-up of its own job, which asks for none
			spec.Env = map[string]string{"PROBE_FOLLOWUP": fmt.Sprintf(`{"delay":"%ds","params":{"chain":"1"}}`, 1+rng.IntN(3))}
		}
		if keep.IntN(3) == 0 { // a third keep only their newest few runs
			spec.Retention = &job.Retention{Executions: 2 + keep.IntN(4)}
			if keep.IntN(2) == 0 {
				spec.Retention.FailedExecutions = spec.Retention.Executions + keep.IntN(3)
			}
		}
		spec.Task = job.Task{Kind: job.TaskCommand, Command: probeArgv(cj.run)}
		cj.spec = spec
		w.jobs = append(w.jobs, cj)
	}

	// The timeline: user actions, and faults spaced so the system is back
	// between two of them most of the time.
	pickJob := func() string { return w.jobs[rng.IntN(len(w.jobs))].spec.Name }
	at := func() time.Duration { return time.Duration(rng.Int64N(int64(length - 5*time.Second))) }
	deleted := map[string]bool{}
	for range nJobs / 2 {
		switch rng.IntN(6) {
		case 0:
			w.timeline = append(w.timeline, action{At: at(), Kind: actRun, Job: pickJob()})
		case 1:
			w.timeline = append(w.timeline, action{At: at(), Kind: actEnqueue, Job: pickJob(), Down: time.Duration(1+rng.IntN(5)) * time.Second})
		case 2:
			w.timeline = append(w.timeline, action{At: at(), Kind: actCancel, Job: pickJob()})
		case 3:
			t0, name := at(), pickJob()
			arg := ""
			if rng.IntN(2) == 0 {
				arg = "catchup"
			}
			w.timeline = append(w.timeline, action{At: t0, Kind: actDisable, Job: name},
				action{At: t0 + time.Duration(2+rng.IntN(10))*time.Second, Kind: actEnable, Job: name, Arg: arg})
		case 4:
			name := pickJob()
			arg := "run"
			if j := w.job(name); j.spec.Schedule.Every > 0 && j.spec.Completions == 0 && j.spec.Schedule.Start == nil && rng.IntN(2) == 0 {
				arg = "every"
			}
			w.timeline = append(w.timeline, action{At: at(), Kind: actUpdate, Job: name, Arg: arg})
		case 5:
			if name := pickJob(); !deleted[name] {
				deleted[name] = true
				w.timeline = append(w.timeline, action{At: length/2 + time.Duration(rng.Int64N(int64(length/3))), Kind: actDelete, Job: name})
			}
		}
	}
	// Some enqueued runs are cancelled at their due time, and a few more
	// are enqueued for that (their own generator, so that the rest of a
	// seed's workload stays as it was).
	race := rand.New(rand.NewPCG(seed^0xca9c, seed))
	for i := range w.timeline {
		if w.timeline[i].Kind == actEnqueue && race.IntN(2) == 0 {
			w.timeline[i].Arg = argCancelAtDue
		}
	}
	for range 4 {
		name := w.jobs[race.IntN(len(w.jobs))].spec.Name
		if !deleted[name] {
			w.timeline = append(w.timeline, action{At: time.Duration(race.Int64N(int64(length - 5*time.Second))), Kind: actEnqueue, Job: name,
				Down: time.Duration(1000+race.IntN(2000)) * time.Millisecond, Arg: argCancelAtDue})
		}
	}
	faults := []actionKind{faultTerm, faultKill, faultStop}
	if topo == "cluster" {
		faults = []actionKind{faultTerm, faultKill, faultStop, faultWorker, faultWorkerT, faultNATS, faultOutage}
	}
	nFaults := max(2, int(length/(25*time.Second)))
	slot := length / time.Duration(nFaults)
	for i := range nFaults {
		k := faults[rng.IntN(len(faults))]
		down := time.Duration(500+rng.IntN(4500)) * time.Millisecond
		if rng.IntN(3) == 0 || k == faultOutage {
			down = time.Duration(6+rng.IntN(12)) * time.Second // longer than some catch-up windows
		}
		w.timeline = append(w.timeline, action{At: time.Duration(i)*slot + time.Duration(rng.Int64N(int64(slot/2))) + 3*time.Second, Kind: k, Down: down})
	}
	sortActions(w.timeline)
	return w
}

func (w *workload) job(name string) *chaosJob {
	for i := range w.jobs {
		if w.jobs[i].spec.Name == name {
			return &w.jobs[i]
		}
	}
	return nil
}

func sortActions(as []action) {
	slices.SortStableFunc(as, func(a, b action) int { return cmp.Compare(a.At, b.At) })
}

func (k actionKind) fault() bool {
	switch k {
	case faultTerm, faultKill, faultStop, faultWorker, faultWorkerT, faultNATS, faultOutage:
		return true
	}
	return false
}
