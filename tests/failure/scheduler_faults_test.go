package failure_test

import (
	"bufio"
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// pick returns the short value, or the full one with -full.
func pick[T any](short, long T) T {
	if *full {
		return long
	}
	return short
}

// pace waits between two faults of a scenario: the scenario's own clock,
// not a wait for a condition.
func pace(d time.Duration) { time.Sleep(d) }

// TestLeaderKill kills the leading scheduler with kill -9 again and again
// while jobs fire every second; a supervisor (the harness) starts it again
// a second later. Every slot runs once; the lease moves to another
// scheduler within the lease + 1s.
func TestLeaderKill(t *testing.T) {
	jobs, every, kills := pick(10, 50), pick(8*time.Second, 10*time.Second), pick(3, 12)
	s := start(t, options{schedulers: 3, workers: 3, concurrency: pick(6, 16)})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", jobs, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)

	var leaderless, firstFire []time.Duration
	type kill struct {
		at   time.Time
		term uint64
	}
	var killed []kill
	for range kills {
		pace(every)
		p, _ := s.leaderProc()
		require.NotNil(t, p, "a scheduler leads")
		old, ok := s.leaders.current()
		require.True(t, ok)
		at := time.Now()
		p.signal(syscall.SIGKILL)
		require.True(t, p.wait(10*time.Second))
		var next term
		natstest.Eventually(t, 30*time.Second, func() bool {
			var ok bool
			next, ok = s.leaders.firstAfter(at, old.id)
			return ok
		}, "another scheduler takes the lease (terms %+v)\n%s\n%s", s.leaders.all(), s.scheds[0].tail(3000), s.scheds[1].tail(3000))
		leaderless = append(leaderless, next.since.Sub(at))
		killed = append(killed, kill{at, old.rev})
		pace(time.Second) // the supervisor restarts what died, within a second
		p.start()
	}
	pace(every)
	s.stopFiring()
	r := s.check(fmt.Sprintf("leader kill -9 every %s (%d kills), %d jobs every 1s", every, kills, jobs), from, w)

	// When the new leader's first fire followed each kill.
	evs := s.events()
	for _, k := range killed {
		var first time.Time
		for _, e := range evs {
			if e.Kind == event.Scheduled && e.Term > k.term && e.Time.After(k.at) && (first.IsZero() || e.Time.Before(first)) {
				first = e.Time
			}
		}
		if !first.IsZero() {
			firstFire = append(firstFire, first.Sub(k.at))
		}
	}
	r.figure("leaderless per kill (kill to new lease)", "%s (max %s; limit lease %s + 1s)", durations(leaderless), maxDur(leaderless), lease)
	r.figure("kill to the new leader's first fire", "%s (max %s)", durations(firstFire), maxDur(firstFire))
	r.figure("dispatch lateness", "%s", latenessFigure(evs))
	r.require(t)
	require.LessOrEqual(t, maxDur(leaderless), lease+time.Second, "leaderless time per kill")
	s.requireMetrics()
}

// TestLeaderFreeze stops the leader with SIGSTOP for three leases, then
// resumes it: another scheduler has taken over meanwhile, and the old one
// publishes nothing after it wakes up — it notices at once that its lease
// is gone.
func TestLeaderFreeze(t *testing.T) {
	jobs := pick(10, 20)
	s := start(t, options{schedulers: 3, workers: 2, concurrency: 8})
	w := watchPIDs(s.sink)
	defer w.close()
	s.createJobs("tick", jobs, time.Second, 10*time.Millisecond)
	from := time.Now().Add(time.Second)
	pace(pick(4*time.Second, 10*time.Second))

	p, _ := s.leaderProc()
	require.NotNil(t, p)
	old, _ := s.leaders.current()
	frozenAt := time.Now()
	p.signal(syscall.SIGSTOP)
	natstest.Eventually(t, 30*time.Second, func() bool {
		_, ok := s.leaders.firstAfter(frozenAt, old.id)
		return ok
	}, "another scheduler takes over from the frozen one")
	pace(time.Until(frozenAt.Add(pick(3*lease, 8*lease))))
	resumedAt := time.Now()
	p.signal(syscall.SIGCONT)
	pace(pick(5*time.Second, 20*time.Second))
	s.stopFiring()
	r := s.check(fmt.Sprintf("leader SIGSTOP for %s, then SIGCONT; %d jobs every 1s", resumedAt.Sub(frozenAt).Round(time.Second), jobs), from, w)

	var late int
	for _, e := range s.events() {
		if e.Kind == event.Scheduled && e.Term == old.rev && e.Time.After(resumedAt) {
			late++
			r.problem("the resumed ex-leader fired %s", e.Execution)
		}
	}
	lost, ok := logTime(p.output(), "lost leadership", resumedAt)
	require.True(t, ok, "the resumed scheduler logs that it lost the lease:\n%s", p.tail(4000))
	r.figure("fires by the resumed ex-leader", "%d", late)
	r.figure("resume to 'lost leadership' in its log", "%s", lost.Sub(resumedAt).Round(time.Millisecond))
	r.require(t)
	require.Zero(t, late)
	require.LessOrEqual(t, lost.Sub(resumedAt), time.Second)
}

// logTime returns the time of the first JSON log line with msg at or after
// since.
func logTime(log, msg string, since time.Time) (time.Time, bool) {
	sc := bufio.NewScanner(strings.NewReader(log))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var line struct {
			Time time.Time `json:"time"`
			Msg  string    `json:"msg"`
		}
		if json.Unmarshal(sc.Bytes(), &line) != nil || line.Msg != msg || line.Time.Before(since) {
			continue
		}
		return line.Time, true
	}
	return time.Time{}, false
}

func durations(ds []time.Duration) string {
	var parts []string
	for _, d := range ds {
		parts = append(parts, d.Round(10*time.Millisecond).String())
	}
	return strings.Join(parts, ", ")
}

func maxDur(ds []time.Duration) time.Duration {
	var m time.Duration
	for _, d := range ds {
		m = max(m, d)
	}
	return m
}

// latenessFigure summarizes scheduled-event time minus slot.
func latenessFigure(evs []event.Event) string {
	var ls []time.Duration
	for _, e := range evs {
		if e.Kind == event.Scheduled && e.ScheduledAt != nil && e.Trigger == "schedule" {
			ls = append(ls, e.Time.Sub(*e.ScheduledAt))
		}
	}
	if len(ls) == 0 {
		return "none"
	}
	sortDurations(ls)
	q := func(p float64) time.Duration { return ls[min(len(ls)-1, int(p*float64(len(ls))))] }
	return fmt.Sprintf("p50 %s, p99 %s, max %s over %d fires", q(.5).Round(time.Millisecond), q(.99).Round(time.Millisecond), ls[len(ls)-1].Round(time.Millisecond), len(ls))
}

func sortDurations(ds []time.Duration) {
	for i := 1; i < len(ds); i++ {
		for j := i; j > 0 && ds[j] < ds[j-1]; j-- {
			ds[j], ds[j-1] = ds[j-1], ds[j]
		}
	}
}

// requireMetrics scrapes every role's /metrics and checks that the
// operator's measurements are there and moved.
func (s *system) requireMetrics() {
	t := s.t
	t.Helper()
	sum := func(addrs []string, procs []*proc, name string) float64 {
		var v float64
		for i, a := range addrs {
			if !procs[i].running() {
				continue
			}
			for k, x := range metrics(t, a) {
				if k == name || strings.HasPrefix(k, name+"{") {
					v += x
				}
			}
		}
		return v
	}
	for _, m := range []string{
		`jetcron_scheduler_slots_total{outcome="fired"}`,
		"jetcron_scheduler_dispatch_lateness_seconds_count",
		"jetcron_scheduler_lease_acquired_total",
	} {
		require.Positive(t, sum(s.sHealth, s.scheds, m), "schedulers report %s", m)
	}
	for _, m := range []string{
		"jetcron_worker_attempts_total",
		`jetcron_worker_executions_finished_total{state="succeeded"}`,
		"jetcron_worker_slots",
	} {
		require.Positive(t, sum(s.wHealth, s.workers, m), "workers report %s", m)
	}
	for i, a := range s.wHealth {
		if s.workers[i].running() {
			_, ok := metrics(t, a)["jetcron_worker_slots_busy"]
			require.True(t, ok, "worker reports jetcron_worker_slots_busy")
		}
	}
}
