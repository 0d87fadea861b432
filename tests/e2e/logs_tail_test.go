package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/miniotest"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestLiveTailFromFirstByte: `exec logs -f` on a running execution prints
// its output from the first byte (written before it started following),
// then the rest as it comes, and ends when the execution ends.
func TestLiveTailFromFirstByte(t *testing.T) {
	t.Parallel()
	s := start(t, options{})
	dir := natstest.SharedDir(t)
	printed, resume := filepath.Join(dir, "printed"), filepath.Join(dir, "resume")
	script := writeScript(t, dir, "tail.sh", fmt.Sprintf(`for i in $(seq 1 200); do echo "early line $i"; done
touch %[1]s
for i in $(seq 1 200); do [ -e %[2]s ] && break; sleep 0.05; done
for i in $(seq 1 10); do echo "late line $i"; sleep 0.05; done
printf 'done'
`, printed, resume))
	var want strings.Builder
	for i := 1; i <= 200; i++ {
		fmt.Fprintf(&want, "early line %d\n", i)
	}
	for i := 1; i <= 10; i++ {
		fmt.Fprintf(&want, "late line %d\n", i)
	}
	want.WriteString("done")

	s.ok("job", "create", "tail", "--every", "1h", "--script", script, "--interpreter", "bash")
	id := s.runJob(noEnv, "tail")
	natstest.Eventually(t, 30*time.Second, func() bool { _, err := os.Stat(printed); return err == nil }, "the first part is printed")

	followed := make(chan result, 1)
	go func() {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		code := runCLI(ctx, noEnv, &out, &errb, "--nats", s.srv.URL(), "--namespace", s.topo.Namespace, "exec", "logs", "-f", id)
		followed <- result{out: out.String(), err: errb.String(), code: code}
	}()
	require.NoError(t, os.WriteFile(resume, nil, 0o600))
	var r result
	select {
	case r = <-followed:
	case <-time.After(45 * time.Second):
		t.Fatal("exec logs -f did not end with the execution")
	}
	require.Equal(t, 0, r.code, r.err)
	require.Equal(t, want.String(), r.out, "followed from the first byte to the last")
	require.Equal(t, job.StateSucceeded, s.waitState(id, 10*time.Second, job.StateSucceeded, job.StateFailed).State)
	require.Equal(t, want.String(), s.ok("exec", "logs", id), "the stored log is the same")
}

// TestDevWithS3Store: `jetcron dev --store s3://...` keeps logs in MinIO,
// capped by --max-log, and the client reads them back.
func TestDevWithS3Store(t *testing.T) {
	t.Parallel()
	m := miniotest.Start(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	l.Close()
	store := m.Location("e2e-dev", "")

	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int, 1)
	devErr := &lockedBuffer{}
	args := []string{"--log-level", "warn", "--store", store, "dev", "--data", t.TempDir(), "--listen", addr, "--workers", "2", "--max-log", "4KiB"}
	if devHasFlag("http") { // the web UI's address, if dev serves one: keep it off fixed ports
		args = append(args, "--http", "off")
	}
	go func() { done <- runCLI(ctx, m.Getenv, &lockedBuffer{}, devErr, args...) }()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			require.Equal(t, 0, code, devErr.String())
		case <-time.After(20 * time.Second):
			t.Error("jetcron dev did not stop")
		}
	})
	natstest.Eventually(t, 30*time.Second, func() bool {
		nc, err := nats.Connect("nats://" + addr)
		if err != nil {
			return false
		}
		defer nc.Close()
		cl, err := client.New(nc)
		if err != nil {
			return false
		}
		_, err = cl.Info(t.Context())
		return err == nil
	}, "jetcron dev answers: %s", devErr)

	cliDev := func(args ...string) result {
		var out, errb bytes.Buffer
		ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
		defer cancel()
		code := cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &errb, Stdin: strings.NewReader(""), Getenv: m.Getenv},
			append([]string{"jetcron", "--nats", "nats://" + addr, "--store", store}, args...))
		return result{out: out.String(), err: errb.String(), code: code}
	}
	script := writeScript(t, t.TempDir(), "count.sh", `for i in $(seq 1 2000); do printf '%05d\n' "$i"; done`)
	r := cliDev("job", "create", "count", "--every", "1h", "--script", script, "--interpreter", "bash")
	require.Equal(t, 0, r.code, r.err)
	r = cliDev("job", "run", "count")
	require.Equal(t, 0, r.code, r.err)
	id := strings.TrimSpace(r.out)
	var x job.Execution
	natstest.Eventually(t, 30*time.Second, func() bool {
		nc, err := nats.Connect("nats://" + addr)
		if err != nil {
			return false
		}
		defer nc.Close()
		cl, _ := client.New(nc)
		x, err = cl.Execution(t.Context(), id)
		return err == nil && x.State.Final()
	}, "the run ends")
	require.Equal(t, job.StateSucceeded, x.State, x.Error)
	require.True(t, strings.HasPrefix(x.LogURL, "s3://e2e-dev/logs/count/"), x.LogURL)

	var full strings.Builder
	for i := 1; i <= 2000; i++ {
		fmt.Fprintf(&full, "%05d\n", i)
	}
	out := full.String()
	want := out[:2048] + fmt.Sprintf("\n[jetcron: %d bytes truncated]\n", len(out)-4096) + out[len(out)-2048:]
	r = cliDev("exec", "logs", id)
	require.Equal(t, 0, r.code, r.err)
	require.Equal(t, want, r.out)
	keys, err := m.Open(t, "e2e-dev").Keys(t.Context())
	require.NoError(t, err)
	require.Len(t, keys, 1, "one log (scripts live in the NATS object store): %v", keys)
}

// devHasFlag reports whether `jetcron dev` has a flag.
func devHasFlag(name string) bool {
	for _, c := range cli.App(cli.Deps{}).Commands {
		if c.Name != "dev" {
			continue
		}
		for _, f := range c.Flags {
			if slices.Contains(f.Names(), name) {
				return true
			}
		}
	}
	return false
}
