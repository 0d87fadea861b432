package failure_test

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// proc is one OS process of the system under test (a NATS node, a
// scheduler, a worker, `jetcron dev`) that the harness can start, kill,
// freeze and start again with the same arguments. Its output goes to a log
// file that survives restarts.
type proc struct {
	t    *testing.T
	name string
	bin  string
	args []string
	log  string

	mu     sync.Mutex // guards cmd, done, starts
	cmd    *exec.Cmd
	done   chan struct{}
	starts int
}

func newProc(t *testing.T, dir, name, bin string, args ...string) *proc {
	p := &proc{t: t, name: name, bin: bin, args: args, log: filepath.Join(dir, name+".log")}
	t.Cleanup(func() { p.kill() })
	return p
}

// start runs the process; it must not be running.
func (p *proc) start() {
	p.t.Helper()
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd != nil {
		select {
		case <-p.done:
		default:
			p.t.Fatalf("%s is already running", p.name)
		}
	}
	f, err := os.OpenFile(p.log, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		p.t.Fatal(err)
	}
	p.starts++
	fmt.Fprintf(f, "\n===== %s start %d at %s: %s %s\n", p.name, p.starts, time.Now().Format(time.RFC3339Nano), p.bin, strings.Join(p.args, " "))
	cmd := exec.Command(p.bin, p.args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "GORACE=halt_on_error=0 exitcode=66")
	// If the test process dies, its processes die with it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		p.t.Fatalf("start %s: %v", p.name, err)
	}
	done := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		f.Close()
		close(done)
	}()
	p.cmd, p.done = cmd, done
}

// pid returns the process id, or 0 when it does not run.
func (p *proc) pid() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.exited() {
		return 0
	}
	return p.cmd.Process.Pid
}

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// running reports whether the process runs.
func (p *proc) running() bool { return p.pid() != 0 }

// signal sends sig to the process (not its children).
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if pid := p.pid(); pid != 0 {
		if err := syscall.Kill(pid, sig); err != nil && !errors.Is(err, syscall.ESRCH) {
			p.t.Fatalf("signal %s: %v", p.name, err)
		}
	}
}

// wait waits up to d for the process to exit.
func (p *proc) wait(d time.Duration) bool {
	p.mu.Lock()
	done := p.done
	p.mu.Unlock()
	if done == nil {
		return true
	}
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// kill is kill -9, then waits for the process to be gone.
func (p *proc) kill() {
	if pid := p.pid(); pid != 0 {
		_ = syscall.Kill(pid, syscall.SIGCONT) // a frozen process must die too
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	p.wait(30 * time.Second)
}

// exitCode returns the exit code of the last run (-1 if killed by a
// signal), once it exited.
func (p *proc) exitCode() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.cmd == nil || p.cmd.ProcessState == nil {
		return 0
	}
	return p.cmd.ProcessState.ExitCode()
}

// output returns the process's log.
func (p *proc) output() string {
	data, _ := os.ReadFile(p.log)
	return string(data)
}

// tail returns the end of the log, for failure messages.
func (p *proc) tail(n int) string {
	s := p.output()
	if len(s) > n {
		s = "..." + s[len(s)-n:]
	}
	return s
}

// raceReports counts data race reports in the process's log.
func (p *proc) raceReports() int { return strings.Count(p.output(), "WARNING: DATA RACE") }
