//go:build linux

package process

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is an io.Writer whose contents can be read while Run writes.
type syncBuffer struct {
	mu  sync.Mutex // guards buf
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// bashPath is the absolute path of bash.
func bashPath(t *testing.T) string {
	t.Helper()
	p, err := LookPath("bash", "/usr/bin:/bin")
	require.NoError(t, err)
	return p
}

// bashSpec returns a Spec that runs script with bash and a minimal PATH.
func bashSpec(t *testing.T, script string) Spec {
	t.Helper()
	return Spec{
		Path: bashPath(t),
		Args: []string{"bash", "-c", script},
		Env:  []string{"PATH=/usr/bin:/bin"},
	}
}

// runAsync runs spec in a goroutine; the returned channel delivers the
// outcome. The test waits for it in t.Cleanup at the latest.
type outcome struct {
	res Result
	err error
}

func runAsync(t *testing.T, ctx context.Context, spec Spec) <-chan outcome {
	t.Helper()
	ch := make(chan outcome, 1)
	done := make(chan struct{})
	go func() {
		defer close(done)
		res, err := Run(ctx, spec)
		ch <- outcome{res, err}
	}()
	t.Cleanup(func() { <-done })
	return ch
}

// receive waits up to d for the outcome of runAsync.
func receive(t *testing.T, ch <-chan outcome, d time.Duration) outcome {
	t.Helper()
	select {
	case o := <-ch:
		return o
	case <-time.After(d):
		require.FailNow(t, "Run did not return", "after %v", d)
		return outcome{}
	}
}

// proc identifies a process by pid and start time, so that a reused pid is
// not mistaken for the process.
type proc struct {
	pid   int
	start string
}

// procStat returns the fields of /proc/<pid>/stat after the command name:
// [0] is the state, [1] the parent pid, [19] the start time.
func procStat(pid int) ([]string, bool) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return nil, false
	}
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return nil, false
	}
	f := strings.Fields(string(b[i+1:]))
	return f, len(f) > 19
}

// lookupProc returns the live process with pid.
func lookupProc(t *testing.T, pid int) proc {
	t.Helper()
	f, ok := procStat(pid)
	require.True(t, ok, "process %d does not exist", pid)
	return proc{pid: pid, start: f[19]}
}

// parent returns the parent pid of p.
func (p proc) parent(t *testing.T) int {
	t.Helper()
	f, ok := procStat(p.pid)
	require.True(t, ok, "process %d does not exist", p.pid)
	ppid, err := strconv.Atoi(f[1])
	require.NoError(t, err)
	return ppid
}

// alive reports whether p still runs: it exists, is the same process, and is
// not a zombie (PID 1 of a container may never reap it).
func (p proc) alive() bool {
	f, ok := procStat(p.pid)
	return ok && f[19] == p.start && f[0] != "Z" && f[0] != "X"
}

// anyAlive returns the first process of ps that is alive, or nil.
func anyAlive(ps ...proc) *proc {
	for _, p := range ps {
		if p.alive() {
			return &p
		}
	}
	return nil
}

// requireGone waits up to d for all of ps to die and returns how long it took.
func requireGone(t *testing.T, d time.Duration, ps ...proc) time.Duration {
	t.Helper()
	start := time.Now()
	require.Eventually(t, func() bool { return anyAlive(ps...) == nil }, d, 2*time.Millisecond,
		"processes still alive: %v", ps)
	return time.Since(start)
}

// killOnCleanup SIGKILLs pid at the end of the test if it is still the same
// process, for processes that a test lets escape on purpose.
func killOnCleanup(t *testing.T, p proc) {
	t.Cleanup(func() {
		if p.alive() {
			_ = syscall.Kill(p.pid, syscall.SIGKILL)
		}
	})
}

// pids parses the whitespace-separated integers of the first line of s.
func pids(t *testing.T, s string) []int {
	t.Helper()
	line, _, _ := strings.Cut(s, "\n")
	var out []int
	for _, f := range strings.Fields(line) {
		n, err := strconv.Atoi(f)
		require.NoError(t, err, "line %q", line)
		out = append(out, n)
	}
	return out
}

// requireDead requires that the daemon "sleep 30" with pid is not running
// (gone, a zombie, or the pid reused by another program), and kills it at
// the end of the test if it is.
func requireDead(t *testing.T, pid int) {
	t.Helper()
	f, ok := procStat(pid)
	cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid))
	if ok && f[0] != "Z" && string(cmdline) == "sleep\x0030\x00" {
		killOnCleanup(t, proc{pid: pid, start: f[19]})
		t.Fatalf("daemon %d outlived its run", pid)
	}
}

// cgroupParent returns a cgroup v2 directory for runs, or skips the test.
func cgroupParent(t *testing.T) string {
	t.Helper()
	p, err := CgroupParent()
	if err != nil {
		t.Skipf("no cgroup for runs here: %v", err)
	}
	return p
}
