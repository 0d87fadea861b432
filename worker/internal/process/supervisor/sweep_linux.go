package supervisor

import (
	"errors"
	"os"
	"strconv"
	"syscall"
	"time"
)

// The supervisor is a child subreaper (PR_SET_CHILD_SUBREAPER): a process
// of the run whose parent dies is adopted by the supervisor instead of init,
// including one that called setsid or double-forked to leave the process
// group. Before it ends, the supervisor kills its children until it has
// none left (sweep), so such daemons die with the run even where no cgroup
// is available.

// becomeSubreaper makes the calling process a child subreaper and not
// dumpable: a program running under the same uid cannot then trace it or
// read its memory.
func becomeSubreaper() error {
	if err := prctl(prSetDumpable, 0); err != nil {
		return err
	}
	return prctl(prSetChildSubreaper, 1)
}

// The prctl options used here (linux/prctl.h), spelled out because
// golang.org/x/sys/unix would be initialised before this package (doc.go).
const (
	prSetDumpable       = 4
	prSetChildSubreaper = 36
)

func prctl(option, arg uintptr) error {
	if _, _, errno := syscall.RawSyscall6(syscall.SYS_PRCTL, option, arg, 0, 0, 0, 0); errno != 0 {
		return errno
	}
	return nil
}

// sweep SIGKILLs the children of the calling process and reaps them, until
// it has no child left. Killing a child makes its own children orphans,
// which the subreaper adopts and kills in the next round; a killed process
// cannot fork any more, so the rounds end. Children are unreaped while they
// are signalled, so their pids cannot have been reused.
//
// It asks the kernel first: a run whose program left nothing behind (the
// common end) has no child left, and wait4 says so (ECHILD) without a
// look at /proc, which costs a read of every process's stat file.
func sweep() {
	self := os.Getpid()
	for {
		var ws syscall.WaitStatus
		pid, err := syscall.Wait4(-1, &ws, syscall.WNOHANG, nil)
		switch {
		case errors.Is(err, syscall.ECHILD):
			return
		case errors.Is(err, syscall.EINTR), err == nil && pid > 0:
			continue // reaped one: ask again
		case err != nil:
			return
		}
		// Children left, none dead yet: kill those alive, then look again
		// shortly (SIGKILL is asynchronous, and one may be adopted after
		// the scan).
		for _, pid := range childrenOf(self) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
		time.Sleep(time.Millisecond)
	}
}

// childrenOf lists the processes whose parent is pid, from /proc.
func childrenOf(pid int) []int {
	d, err := os.Open("/proc")
	if err != nil {
		return nil
	}
	defer d.Close()
	names, _ := d.Readdirnames(-1)
	var out []int
	for _, name := range names {
		p, err := strconv.Atoi(name)
		if err != nil {
			continue
		}
		stat, err := os.ReadFile("/proc/" + name + "/stat")
		if err != nil {
			continue
		}
		// pid (comm) state ppid ...; comm may contain spaces and ')'.
		s := string(stat)
		i := len(s) - 1
		for i >= 0 && s[i] != ')' {
			i--
		}
		if i < 0 {
			continue
		}
		f := fields(s[i+1:])
		if len(f) < 2 {
			continue
		}
		if ppid, err := strconv.Atoi(f[1]); err == nil && ppid == pid {
			out = append(out, p)
		}
	}
	return out
}

// SignalKill is the signal the worker sends to the supervisor alone
// (never to the group) when the grace period is over: the supervisor then
// kills the whole run, descendants that left the group included.
const SignalKill = syscall.SIGUSR2
