// Command probe is the job the fault suite runs. It appends what it is
// doing to a sink outside the system under test — a JSON line when it
// starts and one when it ends, in <sink>/<worker>.jsonl — so that a
// checker can count every run of every slot, whatever happens to jetcron
// meanwhile.
//
//	probe SINK DURATION [child]
//
// SINK is the sink directory, DURATION how long to run (a Go duration),
// "child" makes it start a child process that lives as long as it does, to
// check that a whole process tree dies with its worker. With PROBE_EXIT=N
// in its environment it exits with status N after its end (a failed run);
// with PROBE_FOLLOWUP it writes that line to JETCRON_OUTPUT (a follow-up). The worker is read
// from the run directory (<work-dir>/runs/<execution>-<attempt>, with the
// worker's work dir named after it); the worker's pid is the probe's
// grandparent (the worker runs a supervisor, which runs the probe).
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Record is one line of the sink.
type Record struct {
	Ev        string `json:"ev"` // start, end
	Job       string `json:"job"`
	Slot      string `json:"slot"`
	Attempt   int    `json:"attempt"`
	Execution string `json:"exec"`
	Worker    string `json:"worker"`
	WorkerPID int    `json:"wpid"`
	PID       int    `json:"pid"`
	Child     int    `json:"child,omitempty"`
	Time      int64  `json:"t"` // unix nanoseconds
	Term      bool   `json:"term,omitempty"`
}

func main() {
	if len(os.Args) >= 3 && os.Args[1] == "--child" {
		d, _ := time.ParseDuration(os.Args[2])
		time.Sleep(d)
		return
	}
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: probe SINK DURATION [child]")
		os.Exit(2)
	}
	sink, durArg := os.Args[1], os.Args[2]
	d, err := time.ParseDuration(durArg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe:", err)
		os.Exit(2)
	}
	// Catch SIGTERM before anything else: a run stopped by its worker still
	// records its end.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGTERM)

	cwd, _ := os.Getwd()
	attempt, _ := strconv.Atoi(os.Getenv("JETCRON_ATTEMPT"))
	rec := Record{
		Job: os.Getenv("JETCRON_JOB"), Slot: os.Getenv("JETCRON_SCHEDULED_AT"), Attempt: attempt,
		Execution: os.Getenv("JETCRON_EXECUTION_ID"), Worker: filepath.Base(filepath.Dir(filepath.Dir(cwd))),
		WorkerPID: parentOf(os.Getppid()), PID: os.Getpid(),
	}
	var child *exec.Cmd
	if len(os.Args) > 3 && os.Args[3] == "child" {
		child = exec.Command(os.Args[0], "--child", durArg)
		if err := child.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "probe: child:", err)
			os.Exit(1)
		}
		rec.Child = child.Process.Pid
	}
	write(sink, rec, "start", false)
	fmt.Printf("probe %s attempt %d started (pid %d)\n", rec.Execution, rec.Attempt, rec.PID)
	select {
	case <-time.After(d):
		if child != nil {
			_ = child.Wait()
		}
		write(sink, rec, "end", false)
		fmt.Println("probe done")
		// PROBE_FOLLOWUP is a follow-up request (a JETCRON_OUTPUT line) the
		// run makes, unless it is itself a follow-up (its params say chain).
		if f := os.Getenv("PROBE_FOLLOWUP"); f != "" && !strings.Contains(os.Getenv("JETCRON_PARAMS"), `"chain"`) {
			if err := os.WriteFile(os.Getenv("JETCRON_OUTPUT"), []byte(f+"\n"), 0o600); err != nil {
				fmt.Fprintln(os.Stderr, "probe: follow-up:", err)
			}
		}
		// PROBE_EXIT makes a run that ends as a failure (the job's env sets it).
		if code, err := strconv.Atoi(os.Getenv("PROBE_EXIT")); err == nil && code != 0 {
			os.Exit(code)
		}
	case <-sigs:
		write(sink, rec, "end", true)
		os.Exit(143)
	}
}

func write(sink string, rec Record, ev string, term bool) {
	rec.Ev, rec.Time, rec.Term = ev, time.Now().UnixNano(), term
	line, _ := json.Marshal(rec)
	// Runs of one worker have uids of their own (a worker running as root):
	// each must be able to append to the file another created.
	syscall.Umask(0)
	f, err := os.OpenFile(filepath.Join(sink, rec.Worker+".jsonl"), os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o666)
	if err != nil {
		fmt.Fprintln(os.Stderr, "probe: sink:", err)
		os.Exit(1)
	}
	// One write of a short line with O_APPEND: lines of concurrent probes
	// never interleave.
	if _, err := f.Write(append(line, '\n')); err != nil {
		fmt.Fprintln(os.Stderr, "probe: sink:", err)
		os.Exit(1)
	}
	_ = f.Close()
}

// parentOf returns the parent pid of pid, or 0.
func parentOf(pid int) int {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name may hold spaces; fields follow the last ')'.
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	if len(fields) < 2 {
		return 0
	}
	ppid, _ := strconv.Atoi(fields[1])
	return ppid
}
