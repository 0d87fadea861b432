package natstest

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/devserver"
)

// Cluster is a NATS cluster of embedded servers on loopback, joined by
// routes, each with JetStream on its own store. Single nodes can be stopped
// and started again (on the same ports and store) while the others run.
type Cluster struct {
	t     testing.TB
	name  string
	opts  ClusterOptions
	nodes []*clusterNode
}

// ClusterOptions configure RunClusterOptions.
type ClusterOptions struct {
	// ConfigFile is a nats-server configuration file every node starts
	// from (accounts, users, permissions, TLS); ports, stores, names and
	// routes are the test's.
	ConfigFile string
	// Connect are the options of the harness's own connections (for
	// example the admin user's credentials).
	Connect []nats.Option
	// Logger receives the servers' logs; nil discards them.
	Logger *slog.Logger
}

type clusterNode struct {
	name    string
	dir     string
	addr    string
	cluster string
	srv     *devserver.Server
}

// RunCluster starts an n-node JetStream cluster with fsync on every write
// and returns once JetStream answers through every node; it is stopped
// when the test ends. Use Replicas: n (at most 5) in the topology to
// replicate every stream and bucket on it.
func RunCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	return RunClusterOptions(t, n, ClusterOptions{})
}

// RunClusterOptions is RunCluster with options.
func RunClusterOptions(t testing.TB, n int, o ClusterOptions) *Cluster {
	t.Helper()
	require.GreaterOrEqual(t, n, 1)
	c := &Cluster{t: t, name: fmt.Sprintf("jetcron-test-%d", nsCounter.Add(1)), opts: o}
	ports := freePorts(t, 2*n)
	for i := range n {
		c.nodes = append(c.nodes, &clusterNode{
			name:    fmt.Sprintf("%s-n%d", c.name, i+1),
			dir:     t.TempDir(),
			addr:    "127.0.0.1:" + ports[2*i],
			cluster: "127.0.0.1:" + ports[2*i+1],
		})
	}
	t.Cleanup(func() {
		for i := range c.nodes {
			c.Stop(i)
		}
	})
	// Start the nodes concurrently: each waits for routes to the others.
	errs := make(chan error, n)
	for i := range c.nodes {
		go func() { errs <- c.start(i) }()
	}
	for range n {
		require.NoError(t, <-errs)
	}
	c.WaitJetStream(60 * time.Second)
	return c
}

func (c *Cluster) start(i int) error {
	nd := c.nodes[i]
	cfg := devserver.Config{DataDir: nd.dir, Listen: nd.addr, Name: nd.name, ConfigFile: c.opts.ConfigFile, Logger: c.opts.Logger}
	if len(c.nodes) > 1 {
		cfg.ClusterName, cfg.ClusterListen = c.name, nd.cluster
		for _, o := range c.nodes {
			if o != nd {
				cfg.Routes = append(cfg.Routes, "nats://"+o.cluster)
			}
		}
	}
	srv, err := devserver.New(cfg)
	if err != nil {
		return err
	}
	if err := srv.Start(context.Background()); err != nil {
		return err
	}
	nd.srv = srv
	return nil
}

// Len returns the number of nodes.
func (c *Cluster) Len() int { return len(c.nodes) }

// URL returns every node's client URL, comma-separated: a connection to it
// fails over between the nodes.
func (c *Cluster) URL() string {
	urls := make([]string, len(c.nodes))
	for i, nd := range c.nodes {
		urls[i] = "nats://" + nd.addr
	}
	return strings.Join(urls, ",")
}

// NodeURL returns the client URL of node i.
func (c *Cluster) NodeURL(i int) string { return "nats://" + c.nodes[i].addr }

// NodeName returns the server name of node i.
func (c *Cluster) NodeName(i int) string { return c.nodes[i].name }

// Running reports whether node i runs.
func (c *Cluster) Running(i int) bool { return c.nodes[i].srv != nil }

// Stop shuts node i down (the others keep running). Stopping a stopped
// node does nothing.
func (c *Cluster) Stop(i int) {
	nd := c.nodes[i]
	if nd.srv != nil {
		_ = nd.srv.Stop(context.Background())
		nd.srv = nil
	}
}

// Start runs a stopped node again on its ports and store.
func (c *Cluster) Start(i int) {
	c.t.Helper()
	if c.nodes[i].srv != nil {
		return
	}
	require.NoError(c.t, c.start(i))
}

// Restart stops and starts node i.
func (c *Cluster) Restart(i int) {
	c.t.Helper()
	c.Stop(i)
	c.Start(i)
}

// Node returns the index of the node whose server name is name, or -1.
func (c *Cluster) Node(name string) int {
	for i, nd := range c.nodes {
		if nd.name == name {
			return i
		}
	}
	return -1
}

// globalAccount is the account of clients of a server without accounts.
const globalAccount = "$G"

// StreamLeader returns the index of the node that leads stream (a KV
// bucket's stream is "KV_<bucket>"), or -1 if none does now.
func (c *Cluster) StreamLeader(stream string) int {
	for i, nd := range c.nodes {
		if nd.srv == nil {
			continue
		}
		if nd.srv.NATS().JetStreamIsStreamLeader(globalAccount, stream) {
			return i
		}
	}
	return -1
}

// WaitJetStream waits until JetStream answers on every running node and a
// stream can be placed on all of them.
func (c *Cluster) WaitJetStream(d time.Duration) {
	c.t.Helper()
	running := 0
	for i, nd := range c.nodes {
		if nd.srv == nil {
			continue
		}
		running++
		nc, err := nats.Connect(c.NodeURL(i), c.opts.Connect...)
		require.NoError(c.t, err)
		js, err := jetstream.New(nc)
		require.NoError(c.t, err)
		Eventually(c.t, d, func() bool {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			_, err := js.AccountInfo(ctx)
			return err == nil
		}, "JetStream answers on node %d", i)
		nc.Close()
	}
	// Peers count as offline for placement until their statistics reached
	// the meta leader: place streams on every running node to be sure.
	require.NoError(c.t, devserver.WaitJetStream(context.Background(), c.URL(), running, d, c.opts.Connect...))
}

// ConnectCluster returns a connection to every node of c that reconnects
// forever and is closed when the test ends.
func ConnectCluster(t testing.TB, c *Cluster, opts ...nats.Option) *nats.Conn {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(50 * time.Millisecond)}, opts...)
	nc, err := nats.Connect(c.URL(), opts...)
	require.NoError(t, err)
	t.Cleanup(nc.Close)
	return nc
}
