package worker

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/objstore"
)

// ErrChecksumMismatch means a script's content does not match the digest
// its job pins: nothing is executed.
var ErrChecksumMismatch = errors.New("checksum_mismatch")

func isChecksumMismatch(err error) bool { return errors.Is(err, ErrChecksumMismatch) }

// scriptVerified, if not nil, is called with the cache file a script's
// bytes were read from, once they are verified (a test swaps the file then).
var scriptVerified func(path string)

// scriptFD is the fd under which a run's program (the interpreter) finds
// its script: it is given "/dev/fd/3" to run.
const scriptFD = "/dev/fd/3"

func init() {
	runnerKinds[job.TaskScript] = func(w *Worker) runner { return &scriptRunner{w: w} }
}

// scriptRunner runs script tasks: a pinned script, fetched and verified
// (fetch), run by one of the worker's interpreters as a process of the run
// (task_process.go).
type scriptRunner struct {
	w *Worker
}

// check refuses a script whose interpreter the worker does not allow.
func (s *scriptRunner) check(work *job.Work) error {
	cfg := &s.w.cfg
	if _, ok := cfg.Interpreters[work.Spec.Task.Interpreter]; !ok {
		return fmt.Errorf("interpreter %q is not allowed on worker %s (allowed: %v)", work.Spec.Task.Interpreter, cfg.ID, keys(cfg.Interpreters))
	}
	return nil
}

func (s *scriptRunner) run(ctx context.Context, x *execution) outcome {
	return x.runProcess(ctx, s.program)
}

func (s *scriptRunner) closeIdle() {}

// program runs the script from a sealed memfd (fd 3: scriptFD) with its
// interpreter; a script that is gone from the store or whose bytes do not
// match the pinned digest fails the run, one the store cannot serve now
// hands it back (handback.go).
func (s *scriptRunner) program(ctx context.Context, x *execution, _ []string) (program, *outcome) {
	t := &x.work.Spec.Task
	script, err := s.fetch(ctx, t.Script)
	if err != nil {
		notFound := errors.Is(err, objstore.ErrNotFound)
		if isChecksumMismatch(err) || notFound {
			return program{}, &outcome{state: job.StateFailed, err: err.Error(), retryable: notFound}
		}
		return program{}, &outcome{state: job.StateFailed, err: err.Error(), handBack: true}
	}
	return program{path: s.w.cfg.Interpreters[t.Interpreter], argv: scriptArgv(t.Interpreter, t.Args), extra: []*os.File{script}}, nil
}

// fetch returns the pinned script as a sealed memfd holding exactly
// the bytes whose digest was verified: the run reads its script from it
// (scriptFD), so nothing can be swapped between the check and the
// execution, and no copy of the script lies in the run directory. Scripts
// are cached by digest under the work dir (0700); the digest is checked
// over the bytes in memory after every download and every cache read. No
// local path is derived from the object key: the cache name is the
// validated hex digest. The caller closes the file.
func (s *scriptRunner) fetch(ctx context.Context, ref *job.ScriptRef) (*os.File, error) {
	if ref == nil || len(ref.SHA256) != 64 {
		return nil, fmt.Errorf("script: no pinned digest")
	}
	if _, err := hex.DecodeString(ref.SHA256); err != nil {
		return nil, fmt.Errorf("script: digest %q is not hex", ref.SHA256)
	}
	cacheDir := filepath.Join(s.w.cfg.WorkDir, "scripts")
	cached := filepath.Join(cacheDir, ref.SHA256)
	data, err := readVerified(cached, ref.SHA256)
	if err != nil {
		if data, err = s.download(ctx, ref, cacheDir, cached); err != nil {
			return nil, err
		}
	}
	if scriptVerified != nil {
		scriptVerified(cached)
	}
	f, err := sealedMemfd("jetcron-script", data)
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	return f, nil
}

// scriptArgv is the argument vector that runs the script of fd scriptFD
// with interpreter name. node resolves its main module's real path, which a
// memfd does not have, unless told not to.
func scriptArgv(name string, args []string) []string {
	argv := []string{name}
	if name == "node" {
		argv = append(argv, "--preserve-symlinks-main")
	}
	return append(append(argv, scriptFD), args...)
}

// download fetches the script, checks its digest over the bytes in
// memory, caches them and returns them.
func (s *scriptRunner) download(ctx context.Context, ref *job.ScriptRef, cacheDir, cached string) ([]byte, error) {
	rc, err := s.open(ctx, ref.Key)
	if err != nil {
		return nil, fmt.Errorf("script %s: %w", ref.Key, err)
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, job.MaxScriptBytes+1))
	if err != nil {
		return nil, fmt.Errorf("script %s: download: %w", ref.Key, err)
	}
	if len(data) > job.MaxScriptBytes {
		return nil, fmt.Errorf("script %s: larger than %d bytes", ref.Key, job.MaxScriptBytes)
	}
	if got := digest(data); got != ref.SHA256 {
		return nil, fmt.Errorf("%w: script %s has sha256 %s, the job pins %s", ErrChecksumMismatch, ref.Key, got, ref.SHA256)
	}
	// The cache is a convenience: the bytes are verified again when read.
	tmp, err := os.CreateTemp(cacheDir, "download-*")
	if err != nil {
		return nil, fmt.Errorf("script: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.Write(data)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o400)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), cached)
	}
	if err != nil {
		return nil, fmt.Errorf("script: cache: %w", err)
	}
	return data, nil
}

// open opens a script in the NATS object store <ns>-scripts, where every
// client uploads, or else in the configured store (Config.Scripts), where
// clients that predate that may have put it.
func (s *scriptRunner) open(ctx context.Context, key string) (io.ReadCloser, error) {
	rc, err := s.w.scripts.Get(ctx, key)
	if errors.Is(err, objstore.ErrNotFound) && s.w.cfg.Scripts != nil {
		rc, err = s.w.cfg.Scripts.Get(ctx, key)
	}
	if err != nil {
		s.w.health.failed(s.w, "scripts", err)
	} else {
		s.w.health.ok(s.w, "scripts")
	}
	return rc, err
}

// readVerified reads a cached script into memory and checks its digest.
func readVerified(path, want string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, job.MaxScriptBytes+1))
	if err != nil {
		return nil, err
	}
	if got := digest(data); got != want {
		return nil, fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksumMismatch, filepath.Base(path), got, want)
	}
	return data, nil
}

func digest(data []byte) string {
	sum := sha256.Sum256(data)
	return hex.EncodeToString(sum[:])
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

var _ runner = (*scriptRunner)(nil)
