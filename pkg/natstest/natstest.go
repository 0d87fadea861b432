// Package natstest runs real embedded JetStream servers for tests: no mocks,
// a random port and a temporary store per server, cleaned up with the test.
package natstest

import (
	"context"
	"fmt"
	"net"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Server is a running test server that can be restarted on the same port
// and store.
type Server struct {
	t    testing.TB
	dir  string
	addr string
	srv  *devserver.Server
}

// RunJetStream starts a single JetStream server with fsync on every write,
// stopped when the test ends.
func RunJetStream(t testing.TB) *Server {
	t.Helper()
	// Port 0: the server binds a free port itself. A port found free by a
	// probe listener can be taken by any outgoing connection before the
	// server binds it; restarts then reuse the bound port.
	s := &Server{t: t, dir: t.TempDir(), addr: "127.0.0.1:0"}
	s.start()
	t.Cleanup(func() { s.Stop() })
	return s
}

// freePorts returns n distinct ports free a moment ago (each listener stays
// open until all are chosen, so the kernel cannot hand one out twice).
func freePorts(t testing.TB, n int) []string {
	ports := make([]string, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		_, ports[i], _ = net.SplitHostPort(l.Addr().String())
	}
	return ports
}

func (s *Server) start() {
	s.t.Helper()
	srv, err := devserver.New(devserver.Config{DataDir: s.dir, Listen: s.addr})
	require.NoError(s.t, err)
	require.NoError(s.t, srv.Start(context.Background()))
	s.srv = srv
	s.addr = srv.NATS().Addr().String()
}

// URL returns the client URL.
func (s *Server) URL() string { return "nats://" + s.addr }

// Dir returns the store directory.
func (s *Server) Dir() string { return s.dir }

// Stop shuts the server down; Start runs it again on the same port and store.
func (s *Server) Stop() {
	if s.srv != nil {
		_ = s.srv.Stop(context.Background())
		s.srv = nil
	}
}

// Start runs a stopped server again.
func (s *Server) Start() { s.start() }

// Restart stops and starts the server.
func (s *Server) Restart() {
	s.Stop()
	s.start()
}

// RestartEmpty stops the server and starts a fresh one on the same port
// with an empty store: every stream, bucket and consumer is gone, as after
// a NATS server lost its disk.
func (s *Server) RestartEmpty() {
	s.t.Helper()
	s.Stop()
	require.NoError(s.t, os.RemoveAll(s.dir))
	require.NoError(s.t, os.MkdirAll(s.dir, 0o700))
	s.start()
}

// Connect returns a connection to s that reconnects forever and is closed
// when the test ends.
func Connect(t testing.TB, s *Server, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(s.URL(), opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}

// JetStream returns a JetStream context on nc.
func JetStream(t testing.TB, nc *nats.Conn) jetstream.JetStream {
	t.Helper()
	js, err := jetstream.New(nc)
	require.NoError(t, err)
	return js
}

var nsCounter atomic.Int64

// Topology returns a test topology config: a namespace of its own per test
// so that tests may share a server, and short timings.
func Topology(t testing.TB) topology.Config {
	return topology.Config{
		Namespace: fmt.Sprintf("t%d", nsCounter.Add(1)),
		LeaseTTL:  3 * time.Second,
		WorkerTTL: 3 * time.Second,
		AckWait:   3 * time.Second,
	}.WithDefaults()
}

// Ensure creates the topology of cfg on js.
func Ensure(t testing.TB, js jetstream.JetStream, cfg topology.Config) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, topology.Ensure(ctx, js, cfg))
}

// Env is an embedded server with a test topology ensured on it, and a
// connection to it.
type Env struct {
	Srv  *Server
	NC   *nats.Conn
	JS   jetstream.JetStream
	Topo topology.Config
}

// Ensured starts an embedded JetStream server, connects to it and ensures a
// test topology (Topology) on it.
func Ensured(t testing.TB) Env {
	t.Helper()
	srv := RunJetStream(t)
	nc := Connect(t, srv)
	e := Env{Srv: srv, NC: nc, JS: JetStream(t, nc), Topo: Topology(t)}
	Ensure(t, e.JS, e.Topo)
	return e
}

// MsgCount returns the number of messages in a stream.
func MsgCount(t testing.TB, js jetstream.JetStream, stream string) uint64 {
	t.Helper()
	s, err := js.Stream(context.Background(), stream)
	require.NoError(t, err)
	info, err := s.Info(context.Background())
	require.NoError(t, err)
	return info.State.Msgs
}

// Eventually polls cond every 10ms until it holds or d passes.
func Eventually(t testing.TB, d time.Duration, cond func() bool, msgAndArgs ...any) {
	t.Helper()
	require.Eventually(t, cond, d, 10*time.Millisecond, msgAndArgs...)
}

// CI reports whether the tests run in CI, where a missing dependency fails a
// test instead of skipping it.
func CI() bool { return os.Getenv("CI") == "true" }
