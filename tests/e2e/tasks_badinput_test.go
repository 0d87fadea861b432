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
)

// TestTaskBadInput: bad http, script, handler and worker settings get a
// clear error naming the flag, a non-zero exit, and no job.
func TestTaskBadInput(t *testing.T) {
	t.Parallel()
	s := start(t, options{workers: -1})
	dir := t.TempDir()
	big := filepath.Join(dir, "big.sh")
	f, err := os.Create(big)
	require.NoError(t, err)
	require.NoError(t, f.Truncate(10<<20+1))
	require.NoError(t, f.Close())

	cases := []struct {
		name    string
		args    []string
		mention []string
	}{
		{"ScriptOver10MiB", []string{"--script", big, "--interpreter", "bash"}, []string{"--script", "10485761 bytes", "10485760"}},
		{"URLNotHTTP", []string{"--http-url", "ftp://example.com/x"}, []string{"--http-url", "not an http or https URL"}},
		{"URLWithoutScheme", []string{"--http-url", "example.com/x"}, []string{"--http-url", "not an http or https URL"}},
		{"HeaderWithoutColon", []string{"--http-url", "https://example.com", "--http-header", "Authorization Bearer x"}, []string{"--http-header", "is not K:V"}},
		{"HeaderWithLineBreak", []string{"--http-url", "https://example.com", "--http-header", "X-A: 1\r\nX-B: 2"}, []string{"--http-header", "line break"}},
		{"BadMethod", []string{"--http-url", "https://example.com", "--http-method", "GE T"}, []string{"--http-method", "not an HTTP method"}},
		{"MissingBodyFile", []string{"--http-url", "https://example.com", "--http-body", "@" + filepath.Join(dir, "nope.json")}, []string{"--http-body", "nope.json"}},
		{"BodyTooLarge", []string{"--http-url", "https://example.com", "--http-body", strings.Repeat("x", 256<<10+1)}, []string{"--http-body", "262144"}},
		{"BadHTTPTimeout", []string{"--http-url", "https://example.com", "--http-timeout", "soon"}, []string{"--http-timeout"}},
		{"HandlerTooLong", []string{"--handler", strings.Repeat("h", 126)}, []string{"--handler", "125"}},
		{"TwoTasks", []string{"--handler", "h", "--http-url", "https://example.com"}, []string{"task", "one of"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			name := "bad-" + strings.ToLower(tc.name)
			r := s.cli(append([]string{"job", "create", name, "--every", "1h"}, tc.args...)...)
			require.Equal(t, 2, r.code, "stderr: %s", r.err)
			require.True(t, strings.HasPrefix(r.err, "jetcron: "), r.err)
			for _, m := range tc.mention {
				require.Contains(t, r.err, m)
			}
			require.Empty(t, r.out)
			require.Equal(t, 3, s.cli("job", "get", name).code, "no half-created job")
		})
	}

	roles := []struct {
		name    string
		args    []string
		mention []string
	}{
		{"WorkerBadAllow", []string{"worker", "--http-allow", "10.0.0.0/33"}, []string{"--http-allow", "10.0.0.0/33"}},
		{"WorkerAllowName", []string{"worker", "--http-allow", "localhost"}, []string{"--http-allow", "not a CIDR"}},
		{"WorkerBadMaxLog", []string{"worker", "--max-log", "10XB"}, []string{"--max-log", "not a size"}},
		{"WorkerTinyMaxLog", []string{"worker", "--max-log", "100"}, []string{"--max-log", "below 1KiB"}},
		{"DevBadAllow", []string{"dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0", "--http-allow", "nonsense"}, []string{"--http-allow"}},
		{"DevBadStore", []string{"--store", "gs://bucket", "dev", "--data", t.TempDir(), "--listen", "127.0.0.1:0"}, []string{"--store", `unknown scheme "gs"`}},
	}
	for _, tc := range roles {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			var out, errb bytes.Buffer
			args := append([]string{"--nats", s.srv.URL(), "--namespace", s.topo.Namespace}, tc.args...)
			if tc.args[0] == "worker" {
				args = append(args, "--work-dir", t.TempDir())
			}
			code := runCLI(ctx, noEnv, &out, &errb, args...)
			require.NoError(t, ctx.Err(), "it stopped by itself")
			require.Equal(t, 2, code, "stderr: %s", errb.String())
			for _, m := range tc.mention {
				require.Contains(t, errb.String(), m)
			}
		})
	}
}
