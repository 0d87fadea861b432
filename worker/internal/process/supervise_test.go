//go:build linux

package process

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/worker/internal/process/supervisor"
)

// TestSupervisorAlone checks that each of the supervisor's two ways of
// noticing that the worker died is enough on its own.
func TestSupervisorAlone(t *testing.T) {
	t.Parallel()

	type bundle struct {
		cmd        *exec.Cmd
		lifeline   *os.File // the worker's write end
		exitThread chan struct{}
		tree       []proc
	}

	// setup starts a supervisor by hand, as Run does but with or without
	// Pdeathsig, from a locked goroutine that ends (and so ends its thread)
	// when exitThread is closed.
	setup := func(t *testing.T, pdeathsig bool) *bundle {
		t.Helper()
		exe, err := executable()
		require.NoError(t, err)
		lifeR, lifeW, err := os.Pipe()
		require.NoError(t, err)
		statusR, statusW, err := os.Pipe()
		require.NoError(t, err)
		outR, outW, err := os.Pipe()
		require.NoError(t, err)
		t.Cleanup(func() {
			for _, f := range []*os.File{lifeR, lifeW, statusR, statusW, outR, outW} {
				f.Close()
			}
		})
		b := &bundle{lifeline: lifeW, exitThread: make(chan struct{})}
		b.cmd = &exec.Cmd{
			Path:        exe,
			Args:        []string{os.Args[0], supervisor.Arg},
			Env:         []string{},
			Stdout:      outW,
			Stderr:      outW,
			ExtraFiles:  []*os.File{lifeR, statusW},
			SysProcAttr: &syscall.SysProcAttr{Setpgid: true},
		}
		if pdeathsig {
			b.cmd.SysProcAttr.Pdeathsig = syscall.SIGHUP
		}
		started := make(chan error, 1)
		threadDone := goOnOwnThread(func() {
			started <- b.cmd.Start()
			<-b.exitThread
		})
		t.Cleanup(func() {
			select {
			case <-b.exitThread:
			default:
				close(b.exitThread)
			}
			<-threadDone
		})
		require.NoError(t, <-started)
		t.Cleanup(func() {
			_ = syscall.Kill(-b.cmd.Process.Pid, syscall.SIGKILL)
			_ = b.cmd.Wait()
		})
		lifeR.Close()
		statusW.Close()
		outW.Close()

		req := supervisor.Request{
			Path: bashPath(t),
			Args: []string{"bash", "-c", "sleep 300 & echo $$ $!; sleep 300"},
			Env:  []string{"PATH=/usr/bin:/bin"},
		}
		_, err = lifeW.Write(req.Encode())
		require.NoError(t, err)

		deadline := time.Now().Add(20 * time.Second)
		require.NoError(t, statusR.SetReadDeadline(deadline))
		line, err := bufio.NewReader(statusR).ReadString('\n')
		require.NoError(t, err)
		rep, err := supervisor.ParseReport(line[:len(line)-1])
		require.NoError(t, err)
		require.Equal(t, supervisor.Started, rep.Kind)

		require.NoError(t, outR.SetReadDeadline(deadline))
		line, err = bufio.NewReader(outR).ReadString('\n')
		require.NoError(t, err)
		p := pids(t, line)
		require.Len(t, p, 2)
		require.Equal(t, rep.PID, p[0])
		b.tree = []proc{lookupProc(t, b.cmd.Process.Pid), lookupProc(t, p[0]), lookupProc(t, p[1])}
		return b
	}

	t.Run("LifelineEOF", func(t *testing.T) {
		t.Parallel()
		b := setup(t, false)
		require.NoError(t, b.lifeline.Close())
		took := requireGone(t, time.Second, b.tree...)
		t.Logf("tree gone %v after the lifeline closed", took)
	})

	t.Run("ParentDeathSignal", func(t *testing.T) {
		t.Parallel()
		b := setup(t, true)
		close(b.exitThread) // the lifeline stays open
		took := requireGone(t, time.Second, b.tree...)
		t.Logf("tree gone %v after the forking thread exited", took)
	})

	t.Run("NoMechanismNoKill", func(t *testing.T) {
		t.Parallel()
		// The control case: without Pdeathsig and with the lifeline open,
		// the forking thread's exit changes nothing.
		b := setup(t, false)
		close(b.exitThread)
		require.Never(t, func() bool { return anyAlive(b.tree...) == nil }, 200*time.Millisecond, 10*time.Millisecond)
	})
}

// goOnOwnThread runs fn in a new goroutine locked to an OS thread that ends
// when fn returns, and returns a channel closed at that point. A goroutine
// that ends while locked ends its thread, except the main thread, which the
// runtime parks instead; so fn must not run there.
func goOnOwnThread(fn func()) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		runtime.LockOSThread()
		if syscall.Gettid() != syscall.Getpid() {
			defer close(done)
			fn() // returns locked: the thread ends
			return
		}
		// On the main thread: keep it locked while a second goroutine, which
		// therefore gets another thread, locks that one and runs fn.
		locked := make(chan struct{})
		go func() {
			defer close(done)
			runtime.LockOSThread()
			close(locked)
			fn()
		}()
		<-locked
		runtime.UnlockOSThread()
	}()
	return done
}
