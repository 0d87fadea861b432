package worker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/worker/internal/process"
)

// outputFile is the name, in the run directory, of the file a run writes
// its follow-up requests to (JETCRON_OUTPUT).
const outputFile = "jetcron-output.jsonl"

// program is what a process task runs: the program's path, its argument
// vector, and the files it inherits from fd 3 up (closed after the run).
type program struct {
	path  string
	argv  []string
	extra []*os.File
}

// programFunc is the part of a process task that differs by kind: the
// program to run, given the run's environment, or the outcome of a task
// that cannot start.
type programFunc func(ctx context.Context, x *execution, env []string) (program, *outcome)

// runProcess runs a command or script task in its own process group, in a
// fresh run directory, with only the job's environment and JETCRON_*;
// programOf says what runs.
func (x *execution) runProcess(ctx context.Context, programOf programFunc) outcome {
	spec := &x.work.Spec
	cred, release, err := x.w.ident.acquire()
	if err != nil {
		return outcome{state: job.StateFailed, err: err.Error(), handBack: true}
	}
	defer release() // after cleanup: no process of the run is left by then
	dir, cleanup, err := x.w.runDir(x.work.ID, x.attempt, cred)
	if err != nil {
		return outcome{state: job.StateFailed, err: err.Error(), handBack: true}
	}
	defer cleanup()
	env := x.env(dir)
	prog, fail := programOf(ctx, x, env)
	if fail != nil {
		return *fail
	}
	defer func() {
		for _, f := range prog.extra {
			f.Close()
		}
	}()
	res, err := process.Run(ctx, process.Spec{
		Path:      prog.path,
		Args:      prog.argv,
		Dir:       dir,
		Env:       env,
		Output:    x.currentCapture(),
		KillGrace: spec.KillGrace.D(),

		Credential:   cred,
		CgroupParent: x.w.cgroup,
		ExtraFiles:   prog.extra,
	})
	if err != nil && res.PID == 0 {
		return outcome{state: job.StateFailed, err: "cannot start: " + err.Error()}
	}
	o := outcome{followUps: x.readFollowUps(filepath.Join(dir, outputFile))}
	code := res.ExitCode
	o.exitCode = &code
	switch {
	case res.Stopped:
		o.state = job.StateFailed // refined by classify from the cause
		if res.Killed {
			o.err = "did not stop after SIGTERM; killed"
		}
	case err != nil:
		o.state, o.err, o.retryable = job.StateFailed, err.Error(), true
	case res.Signal != 0:
		o.state, o.err, o.retryable = job.StateFailed, "killed by signal "+res.Signal.String(), true
	case res.ExitCode == 0:
		o.state = job.StateSucceeded
		if o.checkpoint, err = readCheckpointFile(dir); err != nil {
			o.state, o.err = job.StateFailed, err.Error()
		}
	default:
		o.state = job.StateFailed
		o.err = "exit code " + strconv.Itoa(res.ExitCode)
		o.retryable = retryableExit(spec.Retry, res.ExitCode)
	}
	return o
}

// env builds the environment of a run: the job's variables, a PATH, HOME
// and TMPDIR in the run directory, the JETCRON_* variables and the
// attempt's TRACEPARENT. Nothing of the worker's own environment leaks in.
func (x *execution) env(dir string) []string {
	w := &x.work
	vars := map[string]string{
		"PATH":   DefaultPath,
		"HOME":   dir,
		"TMPDIR": dir,
		"LANG":   "C.UTF-8",
	}
	for k, v := range w.Spec.Env {
		vars[k] = v
	}
	params, _ := json.Marshal(w.MergedParams())
	vars["JETCRON_JOB"] = w.Job
	vars["JETCRON_EXECUTION_ID"] = w.ID
	vars["JETCRON_SCHEDULED_AT"] = w.ScheduledAt.UTC().Format(time.RFC3339)
	vars["JETCRON_ATTEMPT"] = strconv.Itoa(x.attempt)
	vars["JETCRON_PARAMS"] = string(params)
	vars["JETCRON_OUTPUT"] = filepath.Join(dir, outputFile)
	vars["JETCRON_TRIGGER"] = string(w.Trigger)
	vars["JETCRON_QUEUE"] = w.Spec.Queue
	if w.ParentID != "" {
		vars["JETCRON_PARENT_ID"] = w.ParentID
	}
	x.windowEnv(vars, dir)
	if x.traceparent != "" {
		vars["TRACEPARENT"] = x.traceparent // W3C Trace Context, for OpenTelemetry SDKs
	}
	out := make([]string, 0, len(vars))
	for k, v := range vars {
		out = append(out, k+"="+v)
	}
	return out
}

func envValue(env []string, key string) string {
	for _, kv := range env {
		if len(kv) > len(key) && kv[:len(key)] == key && kv[len(key)] == '=' {
			return kv[len(key)+1:]
		}
	}
	return ""
}

// runDir creates the per-run directory under the work dir through an
// os.Root, so nothing outside the work dir can be reached by a crafted name.
// It is 0700 and, when the run has an identity of its own (cred), owned by
// it: only the run can read it; runs/ itself is not listable (isolate).
func (w *Worker) runDir(id string, attempt int, cred *process.Credential) (string, func(), error) {
	root, err := os.OpenRoot(filepath.Join(w.cfg.WorkDir, "runs"))
	if err != nil {
		return "", nil, fmt.Errorf("run directory: %w", err)
	}
	defer root.Close()
	name := id + "-" + strconv.Itoa(attempt)
	err = root.Mkdir(name, 0o700)
	if errors.Is(err, fs.ErrExist) { // left by a worker that died during the run
		_ = root.RemoveAll(name)
		err = root.Mkdir(name, 0o700)
	}
	if err != nil {
		return "", nil, fmt.Errorf("run directory: %w", err)
	}
	if cred != nil {
		if err := root.Lchown(name, int(cred.UID), int(cred.GID)); err != nil {
			_ = root.RemoveAll(name)
			return "", nil, fmt.Errorf("run directory: %w", err)
		}
	}
	dir := filepath.Join(w.cfg.WorkDir, "runs", name)
	return dir, func() {
		if r, err := os.OpenRoot(filepath.Join(w.cfg.WorkDir, "runs")); err == nil {
			_ = r.RemoveAll(name)
			_ = r.Close()
		}
	}, nil
}
