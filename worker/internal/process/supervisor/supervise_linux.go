package supervisor

import (
	"errors"
	"io"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"sync"
	"syscall"

	"github.com/jetcron/jetcron/pkg/clock"
)

// Arg is the first argument that turns a re-executed binary into a
// supervisor. See the package documentation.
const Arg = "__jetcron_supervise__"

func init() {
	if len(os.Args) > 1 && os.Args[1] == Arg {
		os.Exit(supervise())
	}
}

// supervise is the supervisor's main function. It returns an exit code only
// when it could not do its job; otherwise it ends by SIGKILLing its own
// process group, itself included.
func supervise() int {
	for _, fd := range []int{LifelineFD, StatusFD} {
		var st syscall.Stat_t
		if err := syscall.Fstat(fd, &st); err != nil || st.Mode&syscall.S_IFMT != syscall.S_IFIFO {
			_, _ = os.Stderr.WriteString(Arg + " is internal to jetcron: fd " + strconv.Itoa(fd) + " is not a pipe\n")
			return 2
		}
		// The program must not inherit the supervisor's pipes: a descendant
		// holding the status pipe would hide the supervisor's death.
		syscall.CloseOnExec(fd)
	}
	lifeline := os.NewFile(LifelineFD, "lifeline")
	status := os.NewFile(StatusFD, "status")
	// Adopt the run's orphans, and let no program trace the supervisor.
	if err := becomeSubreaper(); err != nil {
		_, _ = os.Stderr.WriteString(Arg + ": prctl: " + err.Error() + "\n")
		return 2
	}

	// Notify, never Ignore: an ignored disposition survives exec, and the
	// program would then ignore the SIGTERM meant for it. Until this call a
	// SIGHUP or SIGTERM kills the supervisor, which is right: nothing has
	// been started yet.
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGHUP, syscall.SIGTERM, SignalKill)

	req, err := ReadRequest(lifeline)
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
			if sig == syscall.SIGHUP || sig == SignalKill {
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
		_, _ = io.WriteString(status, Report{Err: err, Kind: Failed}.Line())
		return 127
	}
	var extra []*os.File
	for i := range req.Files {
		syscall.CloseOnExec(FirstExtraFD + i)
		extra = append(extra, os.NewFile(uintptr(FirstExtraFD+i), "extra"))
	}

	env, err := environ(req.Env)
	if err != nil {
		_, _ = io.WriteString(status, Report{Err: err, Kind: Failed}.Line())
		return 127
	}
	stdin, err := os.Open(os.DevNull)
	if err != nil {
		_, _ = io.WriteString(status, Report{Err: err, Kind: Failed}.Line())
		return 127
	}
	args := req.Args
	if len(args) == 0 {
		args = []string{req.Path}
	}
	clk := clock.New()
	// os.StartProcess, not os/exec, which would put path/filepath's
	// initialisation before this package's (doc.go).
	proc, err := os.StartProcess(req.Path, args, &os.ProcAttr{
		Dir: req.Dir,
		Env: env,
		// stdin is /dev/null; stdout and stderr are the worker's output
		// pipe. The program stays in the supervisor's process group (and
		// cgroup); only its identity may differ.
		Files: append([]*os.File{stdin, os.Stdout, os.Stderr}, extra...),
		Sys:   attr,
	})
	stdin.Close()
	if err != nil {
		_, _ = io.WriteString(status, Report{Err: err, Kind: Failed}.Line())
		return 127
	}
	start := clk.Now()
	_, _ = io.WriteString(status, Report{Kind: Started, PID: proc.Pid}.Line())

	state, err := proc.Wait()
	if errors.Is(err, syscall.ECHILD) {
		// Only killAll's sweep reaps the program behind Wait's back (the
		// grace period ran out, or the worker died): the run is being
		// killed, and the worker reports a run whose supervisor was killed
		// without a report as SIGKILLed. Wait here for the group kill.
		killAll()
	}
	if err != nil {
		_, _ = io.WriteString(status, Report{Err: wrap("wait", err), Kind: Failed}.Line())
		killAll()
		return 1
	}
	rep := Report{Duration: clk.Since(start), Kind: Exited}
	if ws, _ := state.Sys().(syscall.WaitStatus); ws.Signaled() {
		rep.Kind, rep.Code, rep.Signal = Signaled, -1, ws.Signal()
	} else {
		rep.Code = ws.ExitStatus()
	}
	// The report is in the pipe before the group dies, so the worker reads
	// it even though the supervisor is killed below.
	_, _ = io.WriteString(status, rep.Line())
	killAll()
	if rep.Kind == Signaled {
		return 128 + int(rep.Signal)
	}
	return rep.Code
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
		_ = KillCgroup(cgroup) // the supervisor too, asynchronously
	}
	sweep()
	_ = syscall.Kill(-syscall.Getpgrp(), syscall.SIGKILL)
	// Not reached when the kill succeeded.
	os.Exit(137)
}

// environ returns the program's environment as os/exec would pass it: an
// empty list stays empty (never the supervisor's own), a later value of a
// variable replaces an earlier one, and a string with NUL is refused.
func environ(env []string) ([]string, error) {
	out := make([]string, 0, len(env))
	seen := make(map[string]bool, len(env))
	for i := len(env) - 1; i >= 0; i-- {
		kv := env[i]
		if hasByte(kv, 0) {
			return nil, errors.New("environment variable contains NUL")
		}
		k, _, ok := cut(kv, '=')
		if !ok {
			if kv != "" {
				out = append(out, kv)
			}
			continue
		}
		if seen[k] {
			continue
		}
		seen[k] = true
		out = append(out, kv)
	}
	slices.Reverse(out)
	return out, nil
}

// sysProcAttr returns the program's identity: none (the supervisor's), or
// the request's uid and gid with no supplementary groups.
func (r Request) sysProcAttr() (*syscall.SysProcAttr, error) {
	if r.Cred == "" {
		return nil, nil
	}
	u, g, ok := cut(r.Cred, ':')
	uid, uerr := strconv.ParseUint(u, 10, 32)
	gid, gerr := strconv.ParseUint(g, 10, 32)
	if !ok || uerr != nil || gerr != nil {
		return nil, errors.New("credential " + strconv.Quote(r.Cred) + " is not uid:gid")
	}
	return &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), Groups: []uint32{}}}, nil
}
