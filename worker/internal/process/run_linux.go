package process

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"sync"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/worker/internal/process/supervisor"
)

// outputBufSize is the size of the buffer the output pipe is read with.
const outputBufSize = 32 << 10

// Run starts spec under a supervisor and waits for it to end.
//
// When ctx ends while the program runs, Run sends SIGTERM to the program's
// whole process group, waits KillGrace, then sends SIGKILL to the group. Run
// returns once the supervisor has exited and the output is drained; the drain
// is bounded by DrainTimeout. If ctx has already ended, Run starts nothing and
// returns ctx's error.
//
// A non-nil error means the program could not be started (the error unwraps
// to the errno, so errors.Is(err, fs.ErrNotExist) works), could not be
// supervised, or its output could not be written to spec.Output. The Result
// is filled in as far as it is known even when the error is not nil.
func Run(ctx context.Context, spec Spec) (Result, error) {
	spec, err := spec.withDefaults()
	if err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", spec.Path, err)
	}
	if err := ctx.Err(); err != nil {
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", spec.Path, err)
	}
	r := &run{clk: clock.New(), spec: spec}
	if spec.CgroupParent != "" {
		if r.cgroup, err = newCgroup(spec.CgroupParent); err != nil {
			return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", spec.Path, err)
		}
	}
	if err := r.start(); err != nil {
		if r.cgroup != "" {
			_ = removeCgroup(r.cgroup, DrainTimeout)
		}
		return Result{ExitCode: -1}, fmt.Errorf("run %s: %w", spec.Path, err)
	}
	res, err := r.wait(ctx)
	if err != nil {
		return res, fmt.Errorf("run %s: %w", spec.Path, err)
	}
	return res, nil
}

// run is one supervised program, owned by the goroutine that called Run.
type run struct {
	clk  clock.Clock
	spec Spec
	cmd  *exec.Cmd // the supervisor
	// cgroup is the run's cgroup directory, or empty; removed once the
	// supervisor has been reaped.
	cgroup string

	lifeline *os.File // write end; the supervisor reads its end to EOF
	status   *os.File // read end of the supervisor's reports
	output   *os.File // read end of the program's stdout and stderr

	reports  chan supervisor.Report // from supervisor.ReadReports; closed at EOF
	statusCh chan error             // supervisor.ReadReports' error
	outputCh chan outputDone        // copyOutput's result
	exitCh   chan error             // the supervisor was reaped; cmd.Wait's error
	reqCh    chan error             // the request was written
	mu       sync.Mutex             // guards reaped
	reaped   bool                   // the supervisor's pid may no longer be signalled
}

type outputDone struct {
	err error // the first error of spec.Output
	cut bool  // reading stopped at the deadline
}

// start starts the supervisor and the goroutines that serve it.
func (r *run) start() (err error) {
	exe, err := executable()
	if err != nil {
		return err
	}
	var closers []*os.File
	defer func() {
		for _, f := range closers {
			f.Close()
		}
	}()
	pipe := func() (rd, wr *os.File, err error) {
		rd, wr, err = os.Pipe()
		if err != nil {
			return nil, nil, fmt.Errorf("create pipe: %w", err)
		}
		closers = append(closers, rd, wr)
		return rd, wr, nil
	}
	lifeR, lifeW, err := pipe()
	if err != nil {
		return err
	}
	statusR, statusW, err := pipe()
	if err != nil {
		return err
	}
	outR, outW, err := pipe()
	if err != nil {
		return err
	}

	var cgroupDir *os.File
	attr := &syscall.SysProcAttr{
		Pdeathsig: syscall.SIGHUP,
		Setpgid:   true,
	}
	if r.cgroup != "" {
		// The supervisor starts inside the run's cgroup (clone3 with
		// CLONE_INTO_CGROUP): there is no moment when a process of the run
		// is outside it.
		cg, err := os.Open(r.cgroup)
		if err != nil {
			return fmt.Errorf("open cgroup: %w", err)
		}
		closers, cgroupDir = append(closers, cg), cg
		attr.UseCgroupFD, attr.CgroupFD = true, int(cg.Fd())
	}
	r.cmd = &exec.Cmd{
		Args: []string{os.Args[0], supervisor.Arg},
		// The supervisor gets an empty environment: the program's
		// environment travels in the request, so the job cannot influence
		// the supervisor (LD_PRELOAD, GODEBUG, ...).
		Env: []string{},
		// fds 3 and 4, then the program's extra files from fd 5 on.
		ExtraFiles:  append([]*os.File{lifeR, statusW}, r.spec.ExtraFiles...),
		Path:        exe,
		Stderr:      outW,
		Stdout:      outW,
		SysProcAttr: attr,
	}
	started := make(chan error, 1)
	r.exitCh = make(chan error, 1)
	go r.supervise(started)
	if err := <-started; err != nil {
		return fmt.Errorf("start supervisor: %w", err)
	}
	// From here on the deferred close only drops the worker's copies of the
	// supervisor's ends; keep ours.
	closers = []*os.File{lifeR, statusW, outW}
	if cgroupDir != nil {
		closers = append(closers, cgroupDir)
	}
	r.lifeline, r.status, r.output = lifeW, statusR, outR

	r.reqCh = make(chan error, 1)
	req := supervisor.Request{Args: r.spec.Args, Dir: r.spec.Dir, Env: r.spec.Env, Path: r.spec.Path,
		Cgroup: r.cgroup, Files: len(r.spec.ExtraFiles)}
	if c := r.spec.Credential; c != nil {
		req.Cred = fmt.Sprintf("%d:%d", c.UID, c.GID)
	}
	go func() {
		// In a goroutine: a request larger than the pipe buffer blocks until
		// the supervisor reads it, and fails with EPIPE if it dies first.
		_, err := r.lifeline.Write(req.Encode())
		r.reqCh <- err
	}()
	r.reports = make(chan supervisor.Report, 4)
	r.statusCh = make(chan error, 1)
	go func() { r.statusCh <- supervisor.ReadReports(r.status, r.reports) }()
	r.outputCh = make(chan outputDone, 1)
	go func() { r.outputCh <- copyOutput(r.spec.Output, r.output) }()
	return nil
}

// supervise starts the supervisor and reaps it, on a locked OS thread: Linux
// sends the parent-death signal when the thread that forked the child exits,
// and the Go runtime may otherwise end that thread while the supervisor runs.
func (r *run) supervise(started chan<- error) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	if err := r.cmd.Start(); err != nil {
		started <- err
		return
	}
	started <- nil
	pid := r.cmd.Process.Pid

	// Wait for the exit without reaping: while the supervisor is a zombie its
	// pid, which is also the process group ID, cannot be reused, so signals
	// to -pid cannot reach a stranger.
	var info unix.Siginfo
	for {
		err := unix.Waitid(unix.P_PID, pid, &info, unix.WEXITED|unix.WNOWAIT, nil)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	r.mu.Lock()
	r.reaped = true
	// Normally the supervisor has killed its group already. If it was killed
	// by someone else, this stops what it left behind.
	_ = unix.Kill(-pid, unix.SIGKILL)
	r.mu.Unlock()
	if r.cgroup != "" {
		// Whatever left the group (setsid, double fork) is still in the
		// cgroup. A cgroup that will not empty is left behind.
		_ = removeCgroup(r.cgroup, DrainTimeout)
	}
	r.exitCh <- r.cmd.Wait()
}

// signal sends sig to the supervisor's process group unless the supervisor
// has exited, and reports whether it did.
func (r *run) signal(sig syscall.Signal) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reaped {
		return false
	}
	return unix.Kill(-r.cmd.Process.Pid, sig) == nil
}

// killRun asks the supervisor, and only it, to kill the whole run
// (supervisor.SignalKill): unlike a SIGKILL to the group, which would end the
// supervisor first, this also reaches descendants that left the group. It
// reports whether the supervisor was still there to ask.
func (r *run) killRun() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.reaped {
		return false
	}
	return unix.Kill(r.cmd.Process.Pid, supervisor.SignalKill) == nil
}

// wait follows the run until the supervisor has been reaped and the output is
// drained, stopping the program if ctx ends.
func (r *run) wait(ctx context.Context) (Result, error) {
	begin := r.clk.Now()
	res := Result{ExitCode: -1}
	var (
		final, failed *supervisor.Report
		termSent      bool
		killSent      bool
		grace         <-chan time.Time
		graceTimer    clock.Timer
		backstop      <-chan time.Time
		backstopTimer clock.Timer
		errs          []error
	)
	handle := func(rep supervisor.Report) {
		switch {
		case rep.Kind == supervisor.Started:
			res.PID = rep.PID
			if termSent {
				// Stopped before the program was reported: the SIGTERM
				// may have reached only the supervisor, which ignores it,
				// so the program gets its own (a program that started in
				// between gets two).
				r.signal(syscall.SIGTERM)
			}
			if r.spec.StartedFunc != nil {
				r.spec.StartedFunc(rep.PID)
			}
		case rep.Final():
			final = &rep
		default:
			failed = &rep
		}
	}
	done := ctx.Done()
	var exitErr error
loop:
	for {
		select {
		case <-done:
			done = nil
			if final == nil && failed == nil {
				termSent = r.signal(syscall.SIGTERM)
				graceTimer = r.clk.NewTimer(r.spec.KillGrace)
				grace = graceTimer.C()
			}
		case <-grace:
			grace = nil
			if final == nil {
				killSent = r.killRun()
				// Should the supervisor not act (stopped, say), the group
				// SIGKILL ends it and the program at least.
				backstopTimer = r.clk.NewTimer(DrainTimeout)
				backstop = backstopTimer.C()
			}
		case <-backstop:
			backstop = nil
			r.signal(syscall.SIGKILL)
		case rep, ok := <-r.reports:
			if !ok {
				r.reports = nil
				continue
			}
			handle(rep)
		case err := <-r.reqCh:
			r.reqCh = nil
			if err != nil && final == nil && failed == nil {
				errs = append(errs, fmt.Errorf("send request: %w", err))
			}
		case exitErr = <-r.exitCh:
			break loop
		}
	}
	if graceTimer != nil {
		graceTimer.Stop()
	}
	if backstopTimer != nil {
		backstopTimer.Stop()
	}
	r.lifeline.Close() // the supervisor is gone; nothing reads it any more

	// The supervisor is dead, so the status pipe reaches end of file at once
	// unless something inherited it; bound the wait anyway.
	_ = r.status.SetReadDeadline(r.clk.Now().Add(DrainTimeout))
	if r.reports != nil {
		for rep := range r.reports {
			handle(rep)
		}
	}
	if err := <-r.statusCh; err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
		errs = append(errs, fmt.Errorf("read status: %w", err))
	}
	r.status.Close()
	if r.reqCh != nil {
		<-r.reqCh // fails with EPIPE at the latest now
	}

	// Descendants that left the group may still hold the output pipe.
	_ = r.output.SetReadDeadline(r.clk.Now().Add(DrainTimeout))
	out := <-r.outputCh
	r.output.Close()
	res.OutputCut = out.cut
	if out.err != nil {
		errs = append(errs, fmt.Errorf("write output: %w", out.err))
	}

	res.Stopped = termSent
	switch {
	case final != nil:
		res.ExitCode, res.Signal, res.Duration = final.Code, final.Signal, final.Duration
		if final.Kind == supervisor.Exited {
			res.Signal = 0
		}
		res.Killed = killSent && final.Signal == syscall.SIGKILL
	case failed != nil:
		res.Duration = 0
		return res, errors.Join(append([]error{fmt.Errorf("start program: %w", failed.Err)}, errs...)...)
	case killSent:
		// The group kill took the supervisor before it could report.
		res.Signal, res.Killed, res.Duration = syscall.SIGKILL, true, r.clk.Since(begin)
	default:
		res.Duration = r.clk.Since(begin)
		if ws, ok := r.cmd.ProcessState.Sys().(syscall.WaitStatus); ok && termSent && ws.Signaled() && ws.Signal() == syscall.SIGTERM {
			// SIGTERM reached the supervisor before it could catch it, so
			// the program was never started.
			res.Signal = syscall.SIGTERM
			break
		}
		errs = append(errs, fmt.Errorf("%w (%v)", ErrSupervisorLost, exitErr))
	}
	return res, errors.Join(errs...)
}

// copyOutput copies src to dst until end of file or a read error such as the
// drain deadline. After dst fails it keeps reading, so that the program never
// blocks on a full pipe, and discards the rest.
func copyOutput(dst io.Writer, src *os.File) outputDone {
	var d outputDone
	buf := make([]byte, outputBufSize)
	for {
		n, err := src.Read(buf)
		if n > 0 && d.err == nil {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				d.err = werr
			}
		}
		if err != nil {
			d.cut = errors.Is(err, os.ErrDeadlineExceeded)
			return d
		}
	}
}

// executable returns the path that re-executes the running binary.
// /proc/self/exe names the running image even after the file on disk has
// been replaced or removed (an upgrade while the worker runs).
func executable() (string, error) {
	const self = "/proc/self/exe"
	if _, err := os.Stat(self); err == nil {
		return self, nil
	}
	exe, err := os.Executable()
	if err != nil {
		return "", fmt.Errorf("find own executable: %w", err)
	}
	return exe, nil
}
