package e2e

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
)

// TestNATSContext: `--context NAME` takes the connection from a NATS
// context file (`nats context save`) under XDG_CONFIG_HOME, as the nats CLI
// does; an explicit --nats wins, and an unknown context is a usage error.
func TestNATSContext(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	s.ok("job", "create", "ctxjob", "--every", "1h", "--", "true")

	cfg := t.TempDir()
	dir := filepath.Join(cfg, "nats", "context")
	require.NoError(t, os.MkdirAll(dir, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "local.json"), []byte(`{"url":"`+s.srv.URL()+`"}`), 0o600))
	run := func(args ...string) (string, string, int) {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		getenv := func(k string) string {
			if k == "XDG_CONFIG_HOME" {
				return cfg
			}
			return ""
		}
		code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: getenv},
			append([]string{"jetcron", "--namespace", s.topo.Namespace}, args...))
		return out.String(), errb.String(), code
	}

	out, errs, code := run("--context", "local", "job", "list")
	require.Equal(t, 0, code, errs)
	require.Contains(t, out, "ctxjob")

	_, errs, code = run("--context", "local", "--nats", "nats://127.0.0.1:1", "job", "list")
	require.NotEqual(t, 0, code, "--nats wins over the context's url")
	require.Contains(t, errs, "127.0.0.1:1")

	_, errs, code = run("--context", "nosuch", "job", "list")
	require.Equal(t, 2, code)
	require.Contains(t, errs, `--context: no context "nosuch"`)
}
