// Package devserver embeds a nats-server with JetStream, for `jetcron dev`,
// for trying a cluster on a laptop, and for tests.
//
// Data lives in DataDir and every write is fsynced before it is acknowledged
// (sync_interval: always) unless NoSync is set: the dev server keeps jobs,
// state and history across restarts, including a kill -9 of the process.
package devserver

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"strconv"
	"sync"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/jetcron/jetcron/pkg/lifecycle"
)

// Config configures an embedded server.
type Config struct {
	// DataDir holds JetStream's files. Required.
	DataDir string
	// Listen is the client address, host:port. Port 0 picks a free port.
	// Defaults to 127.0.0.1:4222.
	Listen string
	// Name is the server's name. Defaults to "jetcron-dev".
	Name string
	// NoSync trades durability for speed: writes are fsynced every two
	// minutes instead of before each acknowledgement.
	NoSync bool
	// ClusterName, ClusterListen and Routes join the server to a cluster;
	// all three are empty for a single server.
	ClusterName   string
	ClusterListen string
	Routes        []string
	// Token, when set, is required from every client.
	Token string
	// ConfigFile, when set, is a nats-server configuration file (for
	// example deploy/nats/nats-server.conf) that provides accounts, users,
	// permissions and TLS; the fields above still set the listen address,
	// store, name, sync and cluster, and its monitoring port is disabled.
	ConfigFile string
	// ReadyTimeout bounds how long Start waits for the server. Defaults to 30s.
	ReadyTimeout time.Duration
	// Logger receives the server's log; nil discards it.
	Logger *slog.Logger
}

// Server is an embedded nats-server.
type Server struct {
	cfg  Config
	opts *server.Options
	ns   *server.Server

	mu      sync.Mutex // guards running
	running bool
}

// New validates cfg and prepares a server; Start runs it.
func New(cfg Config) (*Server, error) {
	if cfg.DataDir == "" {
		return nil, errors.New("devserver: data dir is required")
	}
	cfg.Listen = cmp.Or(cfg.Listen, "127.0.0.1:4222")
	cfg.Name = cmp.Or(cfg.Name, "jetcron-dev")
	cfg.ReadyTimeout = cmp.Or(cfg.ReadyTimeout, 30*time.Second)
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("devserver: listen: %w", err)
	}
	opts := &server.Options{
		MaxPayload:         8 << 20,
		JetStreamMaxMemory: 256 << 20,
	}
	if cfg.ConfigFile != "" {
		if opts, err = server.ProcessConfigFile(cfg.ConfigFile); err != nil {
			return nil, fmt.Errorf("devserver: %w", err)
		}
		opts.HTTPPort, opts.HTTPHost = 0, ""
		opts.Cluster, opts.Routes = server.ClusterOpts{}, nil
	}
	opts.ServerName = cfg.Name
	opts.Host, opts.Port = host, port
	opts.JetStream = true
	opts.StoreDir = cfg.DataDir
	opts.SyncAlways = !cfg.NoSync
	opts.NoSigs = true
	opts.NoLog = cfg.Logger == nil
	if cfg.Token != "" {
		opts.Authorization = cfg.Token
	}
	if cfg.ClusterName != "" {
		ch, cp, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("devserver: cluster listen: %w", err)
		}
		opts.Cluster = server.ClusterOpts{Name: cfg.ClusterName, Host: ch, Port: cp}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("devserver: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	return &Server{cfg: cfg, opts: opts}, nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		port = -1 // nats-server's "pick a random port"
	}
	return h, port, nil
}

// Start runs the server and returns once it accepts connections (and, in a
// cluster, once JetStream is usable is left to the caller).
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.running {
		return fmt.Errorf("devserver: %w", lifecycle.ErrAlreadyStarted)
	}
	ns, err := server.NewServer(s.opts)
	if err != nil {
		return fmt.Errorf("devserver: %w", err)
	}
	// The server reports a listener it cannot open (an address in use) only
	// through its log, as a fatal message; without the adapter Start would
	// wait the whole ReadyTimeout to say so.
	logger := slog.New(slog.DiscardHandler)
	if s.cfg.Logger != nil {
		logger = s.cfg.Logger.With("component", "nats-server")
	}
	fatal := make(chan string, 1)
	ns.SetLoggerV2(slogAdapter{l: logger, fatal: fatal}, false, false, false)
	go ns.Start()
	ready := make(chan bool, 1)
	go func() { ready <- ns.ReadyForConnections(s.cfg.ReadyTimeout) }()
	select {
	case msg := <-fatal:
		ns.Shutdown()
		return fmt.Errorf("devserver: %s", msg)
	case ok := <-ready:
		if !ok {
			ns.Shutdown()
			return fmt.Errorf("devserver: not ready after %s", s.cfg.ReadyTimeout)
		}
	}
	s.ns = ns
	s.running = true
	return nil
}

// Stop shuts the server down and waits for it.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	ns := s.ns
	s.running = false
	s.mu.Unlock()
	if ns == nil {
		return nil
	}
	ns.Shutdown()
	done := make(chan struct{})
	go func() { ns.WaitForShutdown(); close(done) }()
	select {
	case <-done:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("devserver: stop: %w", ctx.Err())
	}
}

// ClientURL returns the URL clients connect to.
func (s *Server) ClientURL() string {
	if s.ns == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// ClusterURL returns the route URL other nodes connect to, or "".
func (s *Server) ClusterURL() string {
	if s.ns == nil || s.cfg.ClusterName == "" {
		return ""
	}
	addr := s.ns.ClusterAddr()
	if addr == nil {
		return ""
	}
	return "nats://" + addr.String()
}

// DataDir returns the JetStream data directory.
func (s *Server) DataDir() string { return s.cfg.DataDir }

// NATS returns the underlying server, for tests.
func (s *Server) NATS() *server.Server { return s.ns }

// slogAdapter is the server's logger. Fatal messages also go to fatal, at
// most one, which Start waits on.
type slogAdapter struct {
	l     *slog.Logger
	fatal chan<- string
}

func (a slogAdapter) Noticef(f string, v ...any) { a.l.Info(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Warnf(f string, v ...any)   { a.l.Warn(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Fatalf(f string, v ...any) {
	msg := fmt.Sprintf(f, v...)
	a.l.Error(msg)
	select {
	case a.fatal <- msg:
	default:
	}
}
func (a slogAdapter) Errorf(f string, v ...any) { a.l.Error(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Debugf(f string, v ...any) { a.l.Debug(fmt.Sprintf(f, v...)) }
func (a slogAdapter) Tracef(f string, v ...any) { a.l.Debug(fmt.Sprintf(f, v...)) }

var _ lifecycle.Service = (*Server)(nil)
