package process

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"strings"
	"sync"
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
	// Adopt the run's orphans, and let no program trace the supervisor.
	if err := becomeSubreaper(); err != nil {
		fmt.Fprintf(os.Stderr, "%s: prctl: %v\n", superviseArg, err)
		return 2
	}

	// Notify, never Ignore: an ignored disposition survives exec, and the
	// program would then ignore the SIGTERM meant for it. Until this call a
	// SIGHUP or SIGTERM kills the supervisor, which is right: nothing has
	// been started yet.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, supervisorSignalKill)

	req, err := readRequest(lifeline)
	if err != nil {
		// The worker died before sending the request, or it is not a worker.
		return 2
	}
	cgroup = req.Cgroup
	go func() {
		// The worker holds the only write end; end of file means it is gone.
		_, _ = io.Copy(io.Discard, lifeline)
		killAll()
	}()
	go func() {
		for sig := range sigs {
			if sig == syscall.SIGHUP || sig == supervisorSignalKill {
				// Pdeathsig (the worker's thread died), or the grace
				// period after SIGTERM is over.
				killAll()
			}
			// SIGTERM was sent to the whole group for the program; the
			// supervisor outlives it to report the exit status.
		}
	}()
	attr, err := req.sysProcAttr()
	if err != nil {
		_, _ = io.WriteString(status, report{err: err, kind: reportFailed}.line())
		return 127
	}
	var extra []*os.File
	for i := range req.Files {
		syscall.CloseOnExec(firstExtraFD + i)
		extra = append(extra, os.NewFile(uintptr(firstExtraFD+i), "extra"))
	}

	cmd := &exec.Cmd{
		Args: req.Args,
		Dir:  req.Dir,
		// Never nil, which would mean the supervisor's environment: an
		// empty slice is an empty environment.
		Env:    append([]string{}, req.Env...),
		Path:   req.Path,
		Stderr: os.Stderr,
		Stdout: os.Stdout,
		// Stdin nil is /dev/null. The program stays in the supervisor's
		// process group (and cgroup); only its identity may differ.
		SysProcAttr: attr,
		ExtraFiles:  extra,
	}
	clk := clock.New()
	if err := cmd.Start(); err != nil {
		_, _ = io.WriteString(status, report{err: err, kind: reportFailed}.line())
		return 127
	}
	start := clk.Now()
	_, _ = io.WriteString(status, report{kind: reportStarted, pid: cmd.Process.Pid}.line())

	err = cmd.Wait()
	if errors.Is(err, syscall.ECHILD) {
		// Only killAll's sweep reaps the program behind cmd.Wait's back
		// (the grace period ran out, or the worker died): the run is being
		// killed, and the worker reports a run whose supervisor was killed
		// without a report as SIGKILLed. Wait here for the group kill.
		killAll()
	}
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
		killAll()
		return 1
	}
	// The report is in the pipe before the group dies, so the worker reads
	// it even though the supervisor is killed below.
	_, _ = io.WriteString(status, rep.line())
	killAll()
	if rep.kind == reportSignaled {
		return 128 + int(rep.signal)
	}
	return rep.code
}

// cgroup is the run's cgroup, which the supervisor is in, or empty.
var cgroup string

// killMu makes the first killAll the only one; the others wait for death.
var killMu sync.Mutex

// killAll kills the run: every process of its cgroup when it has one
// (descendants that left the process group included), then every process
// the supervisor adopted as a subreaper (sweep), then the supervisor's
// process group, itself included. The kernel delivers a group signal
// atomically with respect to fork, so no descendant that is still in the
// group can escape by forking at that moment.
func killAll() {
	killMu.Lock()
	if cgroup != "" {
		_ = killCgroup(cgroup) // the supervisor too, asynchronously
	}
	sweep()
	_ = syscall.Kill(-syscall.Getpgrp(), syscall.SIGKILL)
	// Not reached when the kill succeeded.
	os.Exit(137)
}

// sysProcAttr returns the program's identity: none (the supervisor's), or
// the request's uid and gid with no supplementary groups.
func (r request) sysProcAttr() (*syscall.SysProcAttr, error) {
	if r.Cred == "" {
		return nil, nil
	}
	u, g, ok := strings.Cut(r.Cred, ":")
	uid, uerr := strconv.ParseUint(u, 10, 32)
	gid, gerr := strconv.ParseUint(g, 10, 32)
	if !ok || uerr != nil || gerr != nil {
		return nil, fmt.Errorf("credential %q is not uid:gid", r.Cred)
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}, nil
}
