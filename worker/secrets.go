package worker

import (
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"strings"

	"github.com/jetcron/jetcron/pkg/job"
)

// resolveSecrets replaces the secret references of the run's env and HTTP
// header values ("${secret:NAME}") with the content of the file NAME in
// the worker's secrets directory, trailing newline removed. The work item
// keeps the references; only this attempt's copy holds the values.
func (x *execution) resolveSecrets() error {
	spec := &x.work.Spec
	var err error
	if spec.Env, err = x.w.resolveMap(spec.Env, "env"); err != nil {
		return err
	}
	if spec.Task.HTTP != nil {
		h := *spec.Task.HTTP
		if h.Headers, err = x.w.resolveMap(h.Headers, "header"); err != nil {
			return err
		}
		spec.Task.HTTP = &h
	}
	return nil
}

func (w *Worker) resolveMap(m map[string]string, what string) (map[string]string, error) {
	var out map[string]string
	for k, v := range m {
		name, ok := job.SecretRef(v)
		if !ok {
			continue
		}
		if out == nil {
			out = maps.Clone(m)
		}
		val, err := w.secret(name)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", what, k, err)
		}
		out[k] = val
	}
	if out == nil {
		return m, nil
	}
	return out, nil
}

// secret reads secret name from the secrets directory.
func (w *Worker) secret(name string) (string, error) {
	if w.cfg.SecretsDir == "" {
		return "", fmt.Errorf("${secret:%s}: worker %s has no secrets directory (--secrets-dir)", name, w.cfg.ID)
	}
	if name != filepath.Base(name) || strings.HasPrefix(name, ".") {
		return "", fmt.Errorf("${secret:%s}: not a file name", name)
	}
	data, err := os.ReadFile(filepath.Join(w.cfg.SecretsDir, name))
	if errors.Is(err, os.ErrNotExist) {
		return "", fmt.Errorf("${secret:%s}: no such secret on worker %s", name, w.cfg.ID)
	}
	if err != nil {
		return "", fmt.Errorf("${secret:%s}: %w", name, err)
	}
	return strings.TrimSuffix(string(data), "\n"), nil
}
