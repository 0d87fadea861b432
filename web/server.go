package web

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/probe"
)

// DefaultAddr is where the web role listens unless told otherwise.
const DefaultAddr = "127.0.0.1:8080"

// Config configures the web server.
type Config struct {
	// Client reads and changes jobs and executions. Required.
	Client *client.Client
	// Addr is the address to listen on, host:port. Defaults to
	// 127.0.0.1:8080; port 0 picks a free port (see Server.URL).
	Addr string
	// AuthToken, when set, protects every page and API route: a request
	// carries it as "Authorization: Bearer TOKEN", or the session cookie the
	// login page sets after the token was typed once.
	AuthToken string
	// BasicAuth, when set, protects every page and API route with HTTP basic
	// authentication by its users (see LoadBasicAuthFile). With AuthToken
	// also set, either credential is accepted.
	BasicAuth *BasicAuth
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Registry receives the web role's metrics and is what /metrics serves.
	// Defaults to probe.NewRegistry().
	Registry *prometheus.Registry
	// Ready, when set, is consulted by /readyz besides the server's own
	// checks (the NATS connection and the events watch).
	Ready func() error
}

func (c Config) withDefaults() Config {
	c.Addr = cmp.Or(c.Addr, DefaultAddr)
	if c.Clock == nil {
		c.Clock = clock.New()
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Registry == nil {
		c.Registry = probe.NewRegistry()
	}
	return c
}

func (c Config) validate() error {
	if c.Client == nil {
		return errors.New("web: Client is required")
	}
	if _, _, err := net.SplitHostPort(c.Addr); err != nil {
		return fmt.Errorf("web: Addr %q is not host:port: %w", c.Addr, err)
	}
	return nil
}

// Server is the web role: UI, HTTP API and probes on one address.
type Server struct {
	cfg     Config
	log     *slog.Logger
	auth    *authenticator
	hub     *hub
	runs    *runCache
	metrics *metrics
	handler http.Handler
	// loopback is set when the server listens on a loopback address: it
	// then answers only to loopback Host names.
	loopback atomic.Bool

	mu       sync.Mutex // guards srv, ln and cancelRq
	srv      *http.Server
	ln       net.Listener
	cancelRq context.CancelFunc // ends long-lived requests (event streams, log follows)
	served   chan struct{}      // closed when Serve returns
}

// New returns a web server; Start listens and serves.
func New(cfg Config) (*Server, error) {
	cfg = cfg.withDefaults()
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	log := cfg.Logger.With("component", "web")
	s := &Server{cfg: cfg, log: log, auth: newAuthenticator(cfg.AuthToken, cfg.BasicAuth, cfg.Clock.Now)}
	s.runs = newRunCache(func(ctx context.Context, name string) (runList, error) {
		xs, _, err := cfg.Client.Executions(ctx, client.ListOptions{Job: name, Limit: recentRuns})
		return xs, err
	})
	s.hub = newHub(cfg.Client, s.runs, log)
	m, err := newMetrics(cfg.Registry)
	if err != nil {
		return nil, err
	}
	s.metrics = m
	s.handler = s.metrics.wrap(s.secure(s.auth.wrap(s.routes())))
	return s, nil
}

// Handler returns the server's HTTP handler (every route, with its guards).
func (s *Server) Handler() http.Handler { return s.handler }

// Start starts following the events stream, binds the address and serves.
// It returns once the server accepts connections.
func (s *Server) Start(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.srv != nil {
		return lifecycle.ErrAlreadyStarted
	}
	ln, err := net.Listen("tcp", s.cfg.Addr)
	if err != nil {
		return fmt.Errorf("web: listen on %s: %w", s.cfg.Addr, err)
	}
	if err := s.hub.Start(ctx); err != nil {
		_ = ln.Close()
		return err
	}
	rqCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		BaseContext:       func(net.Listener) context.Context { return rqCtx },
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
	}
	s.srv, s.ln, s.cancelRq, s.served = srv, ln, cancel, make(chan struct{})
	s.setLoopback(ln.Addr())
	served := s.served
	go func() {
		defer close(served)
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("web server stopped", "addr", ln.Addr().String(), "error", err)
		}
	}()
	return nil
}

// Stop ends event streams and log follows, lets other requests finish
// within ctx, and stops following the events stream. It is idempotent and
// safe before Start.
func (s *Server) Stop(ctx context.Context) error {
	s.mu.Lock()
	srv, cancel, served := s.srv, s.cancelRq, s.served
	s.srv, s.ln, s.cancelRq, s.served = nil, nil, nil, nil
	s.mu.Unlock()
	if srv == nil {
		return s.hub.Stop(ctx)
	}
	cancel()
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	<-served
	return errors.Join(err, s.hub.Stop(ctx))
}

// Addr returns the bound address ("" before Start).
func (s *Server) Addr() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ln == nil {
		return ""
	}
	return s.ln.Addr().String()
}

// URL returns the URL of the UI, for people: an unspecified host (0.0.0.0,
// ::) shows as 127.0.0.1.
func (s *Server) URL() string {
	addr := s.Addr()
	if addr == "" {
		return ""
	}
	host, port, _ := net.SplitHostPort(addr)
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		host = "127.0.0.1"
	}
	return "http://" + net.JoinHostPort(host, port) + "/"
}

// ready reports why the server cannot serve current data, or nil.
func (s *Server) ready() error {
	if !s.cfg.Client.Conn().IsConnected() {
		return errors.New("not connected to NATS")
	}
	if err := s.hub.Err(); err != nil {
		return fmt.Errorf("events stream: %w", err)
	}
	if s.cfg.Ready != nil {
		return s.cfg.Ready()
	}
	return nil
}

var _ lifecycle.Service = (*Server)(nil)
