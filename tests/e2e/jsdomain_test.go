package e2e

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/scheduler"
	"github.com/jetcron/jetcron/worker"
)

// runServer starts an embedded nats-server with opts, stopped when the
// test ends.
func runServer(t *testing.T, opts *server.Options) *server.Server {
	t.Helper()
	opts.Host, opts.Port, opts.NoLog, opts.NoSigs = "127.0.0.1", -1, true, true
	s, err := server.NewServer(opts)
	require.NoError(t, err)
	go s.Start()
	require.True(t, s.ReadyForConnections(10*time.Second))
	t.Cleanup(s.Shutdown)
	return s
}

// TestJSDomain: jetcron's streams live in the hub's JetStream domain; a
// worker and the CLI connect to a leaf node that has a JetStream domain of
// its own, and reach the hub's with --js-domain (JETCRON_JS_DOMAIN, or a
// NATS context's jetstream_domain). Without it, the leaf's own JetStream
// answers and has no jetcron streams. (Not parallel: it sets
// JETCRON_JS_DOMAIN in the environment.)
func TestJSDomain(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	leafPort := l.Addr().(*net.TCPAddr).Port
	l.Close()
	hub := runServer(t, &server.Options{JetStream: true, JetStreamDomain: "hub", StoreDir: t.TempDir(),
		LeafNode: server.LeafNodeOpts{Host: "127.0.0.1", Port: leafPort}})
	hubLeaf, err := url.Parse(fmt.Sprintf("nats-leaf://127.0.0.1:%d", leafPort))
	require.NoError(t, err)
	leaf := runServer(t, &server.Options{JetStream: true, JetStreamDomain: "edge", StoreDir: t.TempDir(),
		LeafNode: server.LeafNodeOpts{Remotes: []*server.RemoteLeafOpts{{URLs: []*url.URL{hubLeaf}}}}})
	natstest.Eventually(t, 10*time.Second, func() bool { return leaf.NumLeafNodes() == 1 }, "the leaf connects to the hub")

	topo := natstest.Topology(t)
	connect := func(s *server.Server) *nats.Conn {
		nc, err := nats.Connect(s.ClientURL())
		require.NoError(t, err)
		t.Cleanup(nc.Close)
		return nc
	}
	sc, err := scheduler.New(connect(hub), scheduler.Config{Topology: topo, FlushInterval: 200 * time.Millisecond})
	require.NoError(t, err)
	require.NoError(t, sc.Start(t.Context()))
	t.Cleanup(func() { _ = sc.Stop(context.Background()) })

	edgeTopo := topo
	edgeTopo.JSDomain = "hub"
	_, err = scheduler.New(connect(leaf), scheduler.Config{Topology: edgeTopo})
	require.ErrorContains(t, err, "a scheduler runs where the streams are", "schedulers do not take a domain")
	w, err := worker.New(connect(leaf), worker.Config{ID: "edge-worker", Topology: edgeTopo, Concurrency: 2, WorkDir: natstest.WorkDir(t)})
	require.NoError(t, err)
	require.NoError(t, w.Start(t.Context()))
	t.Cleanup(func() { _ = w.Stop(context.Background()) })
	natstest.Eventually(t, 30*time.Second, func() bool { return w.Ready() == nil }, "the worker behind the leaf is ready: %v", w.Ready())

	cfg := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(cfg, "nats", "context"), 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(cfg, "nats", "context", "edge.json"),
		[]byte(`{"url":"`+leaf.ClientURL()+`","jetstream_domain":"hub"}`), 0o600))
	run := func(args ...string) result {
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
			append([]string{"jetcron", "--nats", leaf.ClientURL(), "--namespace", topo.Namespace}, args...))
		return result{out: out.String(), err: errb.String(), code: code}
	}
	script := writeScript(t, t.TempDir(), "edge.sh", "echo ran at the edge\n")
	r := run("--js-domain", "hub", "job", "create", "edge", "--every", "1h", "--script", script, "--interpreter", "sh")
	require.Equal(t, 0, r.code, r.err)
	r = run("--js-domain", "hub", "job", "run", "edge", "-f")
	require.Equal(t, 0, r.code, r.err)
	require.Contains(t, r.out, "ran at the edge", "the worker behind the leaf ran it; its log was read in the hub's domain")
	r = run("--js-domain", "hub", "exec", "list", "edge")
	require.Equal(t, 0, r.code, r.err)
	require.Contains(t, r.out, "succeeded")

	// A NATS context's jetstream_domain, and JETCRON_JS_DOMAIN.
	r = run("--context", "edge", "exec", "list", "edge")
	require.Equal(t, 0, r.code, r.err)
	require.Contains(t, r.out, "succeeded")
	t.Setenv("JETCRON_JS_DOMAIN", "hub")
	r = run("exec", "list", "edge")
	require.Equal(t, 0, r.code, r.err)
	require.Contains(t, r.out, "succeeded")
	os.Unsetenv("JETCRON_JS_DOMAIN")

	// Without the domain the leaf's own JetStream answers: no jetcron there.
	r = run("exec", "list", "edge")
	require.NotEqual(t, 0, r.code, r.out)
	r = run("--js-domain", "a.b", "exec", "list", "edge")
	require.Equal(t, 2, r.code)
	require.Contains(t, r.err, "--js-domain")
}
