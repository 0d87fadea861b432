package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"
)

// ClusterConfig configures a cluster of embedded servers on one host, for
// trying a replicated setup on a laptop: node i (from 0) listens for
// clients on Port+i and for routes on RoutePort+i, and keeps its data in
// DataDir/n<i+1>.
type ClusterConfig struct {
	// Size is the number of nodes, 1 to 5. Required.
	Size int
	// DataDir holds one directory per node. Required.
	DataDir string
	// Host is the address every node listens on. Defaults to 127.0.0.1.
	Host string
	// Port is the first node's client port; 0 picks free ports. Defaults
	// to 0.
	Port int
	// RoutePort is the first node's route port; 0 means Port+2000 (or free
	// ports when Port is 0).
	RoutePort int
	// NodeDir names node i's data directory. Defaults to DataDir/n<i+1>.
	NodeDir func(i int) string
	// Name is the cluster's name and the prefix of the nodes' names.
	// Defaults to "jetcron-dev".
	Name string
	// NoSync, ReadyTimeout and Logger are as in Config.
	NoSync       bool
	ReadyTimeout time.Duration
	Logger       *slog.Logger
}

// Cluster is a running cluster of embedded servers.
type Cluster struct {
	nodes []*Server
}

// StartCluster starts every node and returns once a stream replicated on
// all of them can be created (JetStream has a meta leader that knows every
// node).
func StartCluster(ctx context.Context, cfg ClusterConfig) (*Cluster, error) {
	if cfg.Size < 1 || cfg.Size > 5 {
		return nil, fmt.Errorf("devserver: cluster size %d is not in 1-5", cfg.Size)
	}
	if cfg.DataDir == "" {
		return nil, errors.New("devserver: data dir is required")
	}
	cfg.Host = cmp.Or(cfg.Host, "127.0.0.1")
	cfg.Name = cmp.Or(cfg.Name, "jetcron-dev")
	clientPorts, routePorts := make([]int, cfg.Size), make([]int, cfg.Size)
	for i := range cfg.Size {
		if cfg.Port == 0 {
			var err error
			if clientPorts[i], err = freePort(cfg.Host); err != nil {
				return nil, err
			}
			if routePorts[i], err = freePort(cfg.Host); err != nil {
				return nil, err
			}
			continue
		}
		clientPorts[i] = cfg.Port + i
		routePorts[i] = cmp.Or(cfg.RoutePort, cfg.Port+2000) + i
	}
	c := &Cluster{}
	for i := range cfg.Size {
		var routes []string
		for j, p := range routePorts {
			if j != i {
				routes = append(routes, "nats://"+net.JoinHostPort(cfg.Host, strconv.Itoa(p)))
			}
		}
		var log *slog.Logger
		if cfg.Logger != nil {
			log = cfg.Logger.With("node", i+1)
		}
		ncfg := Config{
			DataDir: nodeDir(cfg, i),
			Listen:  net.JoinHostPort(cfg.Host, strconv.Itoa(clientPorts[i])),
			Name:    fmt.Sprintf("%s-n%d", cfg.Name, i+1),
			NoSync:  cfg.NoSync, ReadyTimeout: cfg.ReadyTimeout, Logger: log,
		}
		if cfg.Size > 1 {
			ncfg.ClusterName = cfg.Name
			ncfg.ClusterListen = net.JoinHostPort(cfg.Host, strconv.Itoa(routePorts[i]))
			ncfg.Routes = routes
		}
		srv, err := New(ncfg)
		if err != nil {
			c.Stop(context.Background())
			return nil, err
		}
		c.nodes = append(c.nodes, srv)
	}
	// Every node waits for its routes: start them together.
	errs := make(chan error, len(c.nodes))
	for _, n := range c.nodes {
		go func() { errs <- n.Start(ctx) }()
	}
	var err error
	for range c.nodes {
		err = errors.Join(err, <-errs)
	}
	if err != nil {
		c.Stop(context.Background())
		return nil, err
	}
	if err := WaitJetStream(ctx, c.URL(), cfg.Size, cmp.Or(cfg.ReadyTimeout, 60*time.Second)); err != nil {
		c.Stop(context.Background())
		return nil, err
	}
	return c, nil
}

func nodeDir(cfg ClusterConfig, i int) string {
	if cfg.NodeDir != nil {
		return cfg.NodeDir(i)
	}
	return filepath.Join(cfg.DataDir, fmt.Sprintf("n%d", i+1))
}

func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("devserver: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// URL returns every node's client URL, comma-separated.
func (c *Cluster) URL() string {
	urls := make([]string, 0, len(c.nodes))
	for _, n := range c.nodes {
		urls = append(urls, n.ClientURL())
	}
	return strings.Join(urls, ",")
}

// Nodes returns the servers.
func (c *Cluster) Nodes() []*Server { return c.nodes }

// Stop shuts every node down.
func (c *Cluster) Stop(ctx context.Context) {
	for _, n := range c.nodes {
		_ = n.Stop(ctx)
	}
}

// WaitJetStream waits until a stream with the given replicas can be placed
// through url: a cluster that has just started may have no meta leader
// yet, or one that has not heard from every node. It places and removes a
// few memory streams with a random name, connected with opts.
func WaitJetStream(ctx context.Context, url string, replicas int, timeout time.Duration, opts ...nats.Option) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	nc, err := nats.Connect(url, append([]nats.Option{nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true), nats.ReconnectWait(100 * time.Millisecond)}, opts...)...)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	ok := 0
	for ok < 3 {
		name := "jetcron_ready_" + nuid.Next()
		tctx, tcancel := context.WithTimeout(ctx, 2*time.Second)
		_, err = js.CreateStream(tctx, jetstream.StreamConfig{Name: name, Subjects: []string{name}, Storage: jetstream.MemoryStorage, Replicas: replicas})
		if err == nil {
			_ = js.DeleteStream(tctx, name)
			ok++
		} else {
			ok = 0
		}
		tcancel()
		if err != nil {
			select {
			case <-ctx.Done():
				return fmt.Errorf("devserver: JetStream not ready with %d replicas: %w", replicas, err)
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}
