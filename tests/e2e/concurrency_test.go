package e2e

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// maxAtOnce is the largest number of spans running at one instant.
func maxAtOnce(ss []span) int {
	type edge struct {
		t     time.Time
		delta int
	}
	var es []edge
	for _, s := range ss {
		es = append(es, edge{s.start, 1}, edge{s.end, -1})
	}
	// An end before a start at the same instant: back to back is not at once.
	slices.SortFunc(es, func(a, b edge) int {
		if c := a.t.Compare(b.t); c != 0 {
			return c
		}
		return a.delta - b.delta
	})
	n, top := 0, 0
	for _, e := range es {
		n += e.delta
		top = max(top, n)
	}
	return top
}

// TestConcurrencyKeyAcrossJobs: backup and vacuum share the key backup:1
// and run longer than their interval: they never run at once (from the
// executions' start and end times), and the runs that waited are recorded
// delayed naming the key. Five exports sharing wh:3 run at most three at
// once, and three do. A bad key is refused naming the flag.
func TestConcurrencyKeyAcrossJobs(t *testing.T) {
	t.Parallel()
	s := start(t, options{workers: 2, concurrency: 4})
	for _, name := range []string{"backup", "vacuum"} {
		s.ok("job", "create", name, "--every", "1s", "--overlap", "allow", "--concurrency-key", "backup:1", "--", "sleep", "1.5")
	}
	for _, name := range []string{"ex1", "ex2", "ex3", "ex4", "ex5"} {
		s.ok("job", "create", name, "--every", "1s", "--concurrency-key", "wh:3", "--", "sleep", "2")
	}
	require.Contains(t, s.ok("job", "get", "backup"), "backup:1")

	natstest.Eventually(t, 60*time.Second, func() bool {
		return countState(s.executions("backup"), job.StateSucceeded) >= 2 && countState(s.executions("vacuum"), job.StateSucceeded) >= 2
	}, "backup and vacuum run")
	xs := append(s.executions("backup"), s.executions("vacuum")...)
	require.Equal(t, 1, maxAtOnce(spans(xs)), "backup and vacuum never run at once: %v", spans(xs))
	delayed := 0
	for _, x := range xs {
		if x.Delayed {
			delayed++
			require.Contains(t, strings.Join(x.Notes, " "), "waiting for concurrency key backup")
		}
	}
	require.Positive(t, delayed, "runs waited for the key, recorded delayed")

	var ex []job.Execution
	natstest.Eventually(t, 60*time.Second, func() bool {
		ex = nil
		for _, name := range []string{"ex1", "ex2", "ex3", "ex4", "ex5"} {
			ex = append(ex, s.executions(name)...)
		}
		return countState(ex, job.StateSucceeded) >= 8
	}, "the exports run")
	require.Equal(t, 3, maxAtOnce(spans(ex)), "at most three exports at once, and three do")

	r := s.cli("job", "create", "bad", "--every", "1s", "--concurrency-key", "backup:0", "--", "true")
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.err, "--concurrency-key")
	r = s.cli("job", "get", "bad")
	require.NotEqual(t, 0, r.code, "nothing was created")
}

// TestConcurrencyKeyApply: apply -f takes concurrency_key; a bad one is
// refused naming the field, and the file changes nothing.
func TestConcurrencyKeyApply(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := t.TempDir()
	good := writeFile(t, dir, "jobs.yaml", `
jobs:
  - name: nightly-backup
    schedule: {cron: "0 2 * * *"}
    concurrency_key: "maintenance"
    task: {kind: command, command: ["true"]}
  - name: warehouse-export
    schedule: {cron: "0 3 * * *"}
    concurrency_key: "warehouse:3"
    task: {kind: command, command: ["true"]}
`)
	s.ok("apply", "-f", good)
	require.Contains(t, s.ok("job", "get", "nightly-backup"), "maintenance:1")
	require.Contains(t, s.ok("job", "get", "warehouse-export", "-o", "json"), `"concurrency_key": "warehouse:3"`)
	// What job get -o json prints applies again unchanged (the checkpoint and
	// state are read-only).
	exported := writeFile(t, dir, "exported.json", s.ok("job", "get", "warehouse-export", "-o", "json"))
	require.Contains(t, s.ok("apply", "-f", exported), "unchanged")

	bad := writeFile(t, dir, "bad.yaml", `
name: nightly-backup
schedule: {cron: "0 2 * * *"}
concurrency_key: "maintenance:0"
task: {kind: command, command: ["true"]}
`)
	r := s.cli("apply", "-f", bad)
	require.NotEqual(t, 0, r.code)
	require.Contains(t, r.err, "concurrency_key")
	require.Contains(t, s.ok("job", "get", "nightly-backup"), "maintenance:1", "unchanged")
}
