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
)

// ErrChecksumMismatch means a script's content does not match the digest
// its job pins: nothing is executed.
var ErrChecksumMismatch = errors.New("checksum_mismatch")

func isChecksumMismatch(err error) bool { return errors.Is(err, ErrChecksumMismatch) }

// fetchScript makes the pinned script available in the run directory and
// returns its path there. Scripts are cached by digest under the work dir;
// the digest is verified after every download and every cache read. No
// local path is derived from the object key: the cache name is the
// validated hex digest.
func (w *Worker) fetchScript(ctx context.Context, ref *job.ScriptRef, runDir string) (string, error) {
	if ref == nil || len(ref.SHA256) != 64 {
		return "", fmt.Errorf("script: no pinned digest")
	}
	if _, err := hex.DecodeString(ref.SHA256); err != nil {
		return "", fmt.Errorf("script: digest %q is not hex", ref.SHA256)
	}
	cacheDir := filepath.Join(w.cfg.WorkDir, "scripts")
	cached := filepath.Join(cacheDir, ref.SHA256)
	if err := verifyFile(cached, ref.SHA256); err != nil {
		if err := w.downloadScript(ctx, ref, cacheDir, cached); err != nil {
			return "", err
		}
	}
	dst := filepath.Join(runDir, "script")
	if err := copyFile(cached, dst); err != nil {
		return "", fmt.Errorf("script: %w", err)
	}
	if err := verifyFile(dst, ref.SHA256); err != nil {
		return "", err
	}
	return dst, nil
}

func (w *Worker) downloadScript(ctx context.Context, ref *job.ScriptRef, cacheDir, cached string) error {
	rc, err := w.cfg.Scripts.Get(ctx, ref.Key)
	if err != nil {
		return fmt.Errorf("script %s: %w", ref.Key, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(cacheDir, "download-*")
	if err != nil {
		return fmt.Errorf("script: %w", err)
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(rc, job.MaxScriptBytes+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("script %s: download: %w", ref.Key, err)
	}
	if n > job.MaxScriptBytes {
		return fmt.Errorf("script %s: larger than %d bytes", ref.Key, job.MaxScriptBytes)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != ref.SHA256 {
		return fmt.Errorf("%w: script %s has sha256 %s, the job pins %s", ErrChecksumMismatch, ref.Key, got, ref.SHA256)
	}
	if err := os.Chmod(tmp.Name(), 0o400); err != nil {
		return fmt.Errorf("script: %w", err)
	}
	if err := os.Rename(tmp.Name(), cached); err != nil {
		return fmt.Errorf("script: %w", err)
	}
	return nil
}

func verifyFile(path, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != want {
		return fmt.Errorf("%w: %s has sha256 %s, want %s", ErrChecksumMismatch, filepath.Base(path), got, want)
	}
	return nil
}

func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o500)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
