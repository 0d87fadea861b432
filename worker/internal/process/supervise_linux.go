package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"github.com/jetcron/jetcron/pkg/clock"
)

// superviseArg is the first argument that turns a re-executed binary into a
// supervisor. See the package documentation.
const superviseArg = "__jetcron_supervise__"

func init() {
	if len(os.Args) > 1 && os.Args[1] == superviseArg {
		os.Exit(supervise())
	}
}

// supervise is the supervisor's main function. It returns an exit code only
// when it could not do its job; otherwise it ends by SIGKILLing its own
// process group, itself included.
func supervise() int {
	for _, fd := range []int{lifelineFD, statusFD} {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
			fmt.Fprintf(os.Stderr, "%s is internal to jetcron: fd %d is not a pipe\n", superviseArg, fd)
			return 2
		}
		// The program must not inherit the supervisor's pipes: a descendant
		// holding the status pipe would hide the supervisor's death.
		syscall.CloseOnExec(fd)
	}
	lifeline := os.NewFile(lifelineFD, "lifeline")
	status := os.NewFile(statusFD, "status")

	// Notify, never Ignore: an ignored disposition survives exec, and the
	// program would then ignore the SIGTERM meant for it. Until this call a
	// SIGHUP or SIGTERM kills the supervisor, which is right: nothing has
	// been started yet.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM)

	req, err := readRequest(lifeline)
	if err != nil {
		// The worker died before sending the request, or it is not a worker.
		return 2
	}
	go func() {
		// The worker holds the only write end; end of file means it is gone.
		_, _ = io.Copy(io.Discard, lifeline)
		killGroup()
	}()
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP { // Pdeathsig: the worker's thread died
				killGroup()
			}
			// SIGTERM was sent to the whole group for the program; the
			// supervisor outlives it to report the exit status.
		}
	}()

	cmd := &exec.Cmd{
		Args: req.Args,
		Dir:  req.Dir,
		// Never nil, which would mean the supervisor's environment: an
		// empty slice is an empty environment.
		Env:    append([]string{}, req.Env...),
		Path:   req.Path,
		Stderr: os.Stderr,
		Stdout: os.Stdout,
		// Stdin nil is /dev/null. No SysProcAttr: the program stays in the
		// supervisor's process group.
	}
	clk := clock.New()
	if err := cmd.Start(); err != nil {
		_, _ = io.WriteString(status, report{err: err, kind: reportFailed}.line())
		return 127
	}
	start := clk.Now()
	_, _ = io.WriteString(status, report{kind: reportStarted, pid: cmd.Process.Pid}.line())

	err = cmd.Wait()
	rep := report{duration: clk.Since(start), kind: reportExited}
	var exitErr *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &exitErr):
		ws, _ := exitErr.Sys().(syscall.WaitStatus)
		if ws.Signaled() {
			rep.kind, rep.code, rep.signal = reportSignaled, -1, ws.Signal()
		} else {
			rep.code = ws.ExitStatus()
		}
	default:
		_, _ = io.WriteString(status, report{err: fmt.Errorf("wait: %w", err), kind: reportFailed}.line())
		killGroup()
		return 1
	}
	// The report is in the pipe before the group dies, so the worker reads
	// it even though the supervisor is killed below.
	_, _ = io.WriteString(status, rep.line())
	killGroup()
	if rep.kind == reportSignaled {
		return 128 + int(rep.signal)
	}
	return rep.code
}

// killGroup sends SIGKILL to the supervisor's process group: the program, its
// background children, and the supervisor itself. The kernel delivers a
// group signal atomically with respect to fork, so no descendant that is
// still in the group can escape by forking at that moment; a kill that spared
// the supervisor would have to walk /proc and race with fork.
func killGroup() {
	_ = syscall.Kill(-syscall.Getpgrp(), syscall.SIGKILL)
	// Not reached when the kill succeeded.
	os.Exit(137)
}
