//go:build linux

package process

import (
	"bytes"
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

func TestRun(t *testing.T) {
	t.Parallel()

	t.Run("ExitCodes", func(t *testing.T) {
		t.Parallel()
		for _, code := range []int{0, 3} {
			spec := bashSpec(t, "echo hi; exit "+strconv.Itoa(code))
			var out syncBuffer
			spec.Output = &out
			res, err := Run(t.Context(), spec)
			require.NoError(t, err)
			require.Equal(t, code, res.ExitCode)
			require.Zero(t, res.Signal)
			require.False(t, res.Stopped)
			require.False(t, res.Killed)
			require.NotZero(t, res.PID)
			require.Positive(t, res.Duration)
			require.Equal(t, "hi\n", out.String())
		}
	})

	t.Run("SignalDeath", func(t *testing.T) {
		t.Parallel()
		res, err := Run(t.Context(), bashSpec(t, "kill -USR1 $$; sleep 5"))
		require.NoError(t, err)
		require.Equal(t, -1, res.ExitCode)
		require.Equal(t, syscall.SIGUSR1, res.Signal)
		require.False(t, res.Stopped)
	})

	t.Run("OutputCombinedAndComplete", func(t *testing.T) {
		t.Parallel()
		const half = 512 << 10
		spec := bashSpec(t, `head -c 524288 /dev/zero | tr '\0' a; head -c 524288 /dev/zero | tr '\0' b >&2`)
		var out syncBuffer
		spec.Output = &out
		res, err := Run(t.Context(), spec)
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		want := strings.Repeat("a", half) + strings.Repeat("b", half)
		got := out.String()
		require.Len(t, got, 2*half)
		require.True(t, got == want, "output differs from 512 KiB of a then 512 KiB of b")
	})

	t.Run("ArgsAndEnvExact", func(t *testing.T) {
		t.Parallel()
		args := []string{"two words", "line\nbreak", "\xff\xfe not utf-8", ""}
		spec := bashSpec(t, `printf '[%s]' "$@"; printf '{%s}' "$V"`)
		spec.Args = append(spec.Args, "argv0")
		spec.Args = append(spec.Args, args...)
		spec.Env = append(spec.Env, "V=\xc3 bad\x00") // NUL cannot be passed
		var out syncBuffer
		spec.Output = &out
		_, err := Run(t.Context(), spec)
		require.Error(t, err, "an environment string with NUL must be refused")

		spec.Env = []string{"V=\xc3 bad=x"}
		res, err := Run(t.Context(), spec)
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		var want bytes.Buffer
		for _, a := range args {
			want.WriteString("[" + a + "]")
		}
		want.WriteString("{\xc3 bad=x}")
		require.Equal(t, want.String(), out.String())
	})

	t.Run("LaterEnvWins", func(t *testing.T) {
		t.Parallel()
		var out syncBuffer
		spec := Spec{Path: "/usr/bin/env", Env: []string{"A=1", "B=2", "A=3", "C"}, Output: &out}
		res, err := Run(t.Context(), spec)
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		require.Equal(t, "B=2\nA=3\nC\n", out.String(), "a later value replaces an earlier one, in its place; a string without = stays")
	})

	t.Run("NilEnvIsEmpty", func(t *testing.T) {
		t.Parallel()
		var out syncBuffer
		res, err := Run(t.Context(), Spec{Path: "/usr/bin/env", Output: &out})
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		require.Empty(t, out.String())
	})

	t.Run("Dir", func(t *testing.T) {
		t.Parallel()
		dir := t.TempDir()
		var out syncBuffer
		res, err := Run(t.Context(), Spec{Path: "/usr/bin/pwd", Args: []string{"pwd", "-P"}, Dir: dir, Output: &out})
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		want, err := filepath.EvalSymlinks(dir)
		require.NoError(t, err)
		require.Equal(t, want+"\n", out.String())
	})

	t.Run("StartedFuncGetsProgramPID", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, "echo $$")
		var out syncBuffer
		spec.Output = &out
		var started []int
		spec.StartedFunc = func(pid int) { started = append(started, pid) }
		res, err := Run(t.Context(), spec)
		require.NoError(t, err)
		require.Equal(t, []int{res.PID}, started)
		require.Equal(t, []int{res.PID}, pids(t, out.String()))
	})

	t.Run("StartErrors", func(t *testing.T) {
		t.Parallel()
		_, err := Run(t.Context(), Spec{Path: "/nonexistent/jetcron-test"})
		require.ErrorIs(t, err, fs.ErrNotExist)

		_, err = Run(t.Context(), Spec{Path: "bin/true"})
		require.ErrorContains(t, err, "not an absolute path")

		_, err = Run(t.Context(), Spec{Path: "/usr/bin/true", Dir: filepath.Join(t.TempDir(), "missing")})
		require.ErrorIs(t, err, fs.ErrNotExist)

		notExec := filepath.Join(t.TempDir(), "script")
		require.NoError(t, os.WriteFile(notExec, []byte("#!/bin/sh\n"), 0o600))
		_, err = Run(t.Context(), Spec{Path: notExec})
		require.ErrorIs(t, err, fs.ErrPermission)
	})

	t.Run("ContextEndedBeforeStart", func(t *testing.T) {
		t.Parallel()
		ctx, cancel := context.WithCancel(t.Context())
		cancel()
		var started bool
		spec := bashSpec(t, "exit 0")
		spec.StartedFunc = func(int) { started = true }
		_, err := Run(ctx, spec)
		require.ErrorIs(t, err, context.Canceled)
		require.False(t, started)
	})

	t.Run("OutputWriterFails", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, `head -c 1000000 /dev/zero; exit 4`)
		spec.Output = failingWriter{}
		res, err := Run(t.Context(), spec)
		require.ErrorIs(t, err, errWriteFailed)
		require.Equal(t, 4, res.ExitCode, "the program keeps running when its output cannot be stored")
	})
}

var errWriteFailed = errors.New("write failed")

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errWriteFailed }

// TestRunEnvIsExactlySpecEnv cannot be parallel: it sets a variable in the
// worker's environment and checks that the program does not see it.
func TestRunEnvIsExactlySpecEnv(t *testing.T) {
	t.Setenv("JETCRON_TEST_WORKER_SECRET", "leak")
	var out syncBuffer
	res, err := Run(t.Context(), Spec{
		Path:   "/usr/bin/env",
		Env:    []string{"A=1", "B=two"},
		Output: &out,
	})
	require.NoError(t, err)
	require.Equal(t, 0, res.ExitCode)
	require.Equal(t, "A=1\nB=two\n", out.String())
}

func TestStop(t *testing.T) {
	t.Parallel()

	t.Run("IgnoresSIGTERMThenKilled", func(t *testing.T) {
		t.Parallel()
		// The background sleep inherits the ignored SIGTERM, so only SIGKILL
		// ends it; the script itself reports the SIGTERM and keeps going.
		spec := bashSpec(t, `trap "" TERM; sleep 300 & echo $$ $!
trap "echo got-term" TERM; echo ready; while :; do sleep 0.05; done`)
		spec.KillGrace = 500 * time.Millisecond
		var out syncBuffer
		spec.Output = &out
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch := runAsync(t, ctx, spec)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "ready") }, 10*time.Second, 5*time.Millisecond)
		p := pids(t, out.String())
		require.Len(t, p, 2)
		script, bg := lookupProc(t, p[0]), lookupProc(t, p[1])
		supervisor := lookupProc(t, script.parent(t))

		stopAt := time.Now()
		cancel()
		o := receive(t, ch, 10*time.Second)
		took := time.Since(stopAt)
		require.NoError(t, o.err)
		require.True(t, o.res.Stopped)
		require.True(t, o.res.Killed)
		require.Equal(t, -1, o.res.ExitCode)
		require.Equal(t, syscall.SIGKILL, o.res.Signal)
		require.Contains(t, out.String(), "got-term", "SIGTERM reaches the script")
		require.GreaterOrEqual(t, took, spec.KillGrace, "SIGKILL only after the grace period")
		require.Less(t, took, spec.KillGrace+3*time.Second)
		gone := requireGone(t, time.Second, script, bg, supervisor)
		t.Logf("stopped in %v; tree gone %v after Run returned", took, gone)
	})

	t.Run("HandlesSIGTERM", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, `trap "echo bye; exit 0" TERM; echo ready; while :; do sleep 0.05; done`)
		var out syncBuffer
		spec.Output = &out
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch := runAsync(t, ctx, spec)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "ready") }, 10*time.Second, 5*time.Millisecond)
		stopAt := time.Now()
		cancel()
		o := receive(t, ch, 10*time.Second)
		require.NoError(t, o.err)
		require.Less(t, time.Since(stopAt), DefaultKillGrace/2, "no need to wait for the grace period")
		require.True(t, o.res.Stopped)
		require.False(t, o.res.Killed)
		require.Equal(t, 0, o.res.ExitCode)
		require.Zero(t, o.res.Signal)
		// bash may also report the SIGTERM that ended its sleep.
		require.True(t, strings.HasPrefix(out.String(), "ready\n"), out.String())
		require.True(t, strings.HasSuffix(out.String(), "bye\n"), out.String())
	})

	t.Run("DiesOfSIGTERM", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, `echo ready; sleep 300`)
		var out syncBuffer
		spec.Output = &out
		ctx, cancel := context.WithCancel(t.Context())
		defer cancel()
		ch := runAsync(t, ctx, spec)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "ready") }, 10*time.Second, 5*time.Millisecond)
		cancel()
		o := receive(t, ch, 10*time.Second)
		require.NoError(t, o.err)
		require.True(t, o.res.Stopped)
		require.False(t, o.res.Killed)
		require.Equal(t, -1, o.res.ExitCode)
		require.Equal(t, syscall.SIGTERM, o.res.Signal)
	})
}

func TestBackgroundChildren(t *testing.T) {
	t.Parallel()

	t.Run("KilledWhenProgramExits", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, `sleep 100 & echo $!; sleep 100 & echo $!`)
		var out syncBuffer
		spec.Output = &out
		start := time.Now()
		var startedAfter time.Duration
		spec.StartedFunc = func(int) { startedAfter = time.Since(start) }
		res, err := Run(t.Context(), spec)
		took := time.Since(start)
		t.Logf("Run took %v: started after %v, the program ran %v", took, startedAfter, res.Duration)
		require.NoError(t, err)
		require.Equal(t, 0, res.ExitCode)
		require.False(t, res.OutputCut, "the output pipe closes when the group dies, without waiting for DrainTimeout")
		lines := strings.Fields(out.String())
		require.Len(t, lines, 2)
		for _, l := range lines {
			p := pids(t, l)
			// The pid may already be gone or reused; alive() compares start
			// times, so only check the ones we can still identify.
			if f, ok := procStat(p[0]); ok {
				requireGone(t, time.Second, proc{pid: p[0], start: f[19]})
			}
		}
	})

	// A daemon (setsid, then double fork) leaves the process group, so the
	// group kill cannot reach it, and it keeps the output pipe open. It
	// dies with the run all the same: adopted by the supervisor (a child
	// subreaper) and swept, or killed with the run's cgroup.
	for _, mode := range []string{"subreaper", "cgroup"} {
		t.Run("DaemonDiesWithRun/"+mode, func(t *testing.T) {
			t.Parallel()
			// The script waits until the daemon has its own session (field
			// 6 of /proc/<pid>/stat), or the group kill would catch it.
			spec := bashSpec(t, `(setsid sleep 30 & echo $! >pid) ; d=$(cat pid)
until [ "$(cut -d' ' -f6 /proc/$d/stat)" = "$d" ]; do sleep 0.01; done; echo $d`)
			spec.Dir = t.TempDir()
			if mode == "cgroup" {
				spec.CgroupParent = cgroupParent(t)
			}
			var out syncBuffer
			spec.Output = &out
			start := time.Now()
			res, err := Run(t.Context(), spec)
			took := time.Since(start)
			require.NoError(t, err, out.String())
			p := pids(t, out.String())
			require.Len(t, p, 1)
			require.Equal(t, 0, res.ExitCode)
			requireDead(t, p[0])
			require.False(t, res.OutputCut, "the daemon died, so the output pipe closed")
			require.Less(t, took, DrainTimeout)
		})
	}

	t.Run("SupervisorKilledByStranger", func(t *testing.T) {
		t.Parallel()
		spec := bashSpec(t, `sleep 300 & echo $$ $!; sleep 300`)
		var out syncBuffer
		spec.Output = &out
		ch := runAsync(t, t.Context(), spec)
		require.Eventually(t, func() bool { return strings.Contains(out.String(), "\n") }, 10*time.Second, 5*time.Millisecond)
		p := pids(t, out.String())
		require.Len(t, p, 2)
		script, bg := lookupProc(t, p[0]), lookupProc(t, p[1])
		supervisor := lookupProc(t, script.parent(t))
		require.NoError(t, syscall.Kill(supervisor.pid, syscall.SIGKILL))
		o := receive(t, ch, 10*time.Second)
		require.ErrorIs(t, o.err, ErrSupervisorLost)
		requireGone(t, time.Second, script, bg, supervisor)
	})
}
