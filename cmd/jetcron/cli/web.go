package cli

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/web"
)

// webFlags configure the web UI and HTTP API of `jetcron web` and `jetcron dev`.
func webFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "http", Value: web.DefaultAddr, Usage: "serve the web UI and HTTP API on this address (\"off\" to disable)", EnvVars: []string{"JETCRON_HTTP"}},
		&cli.StringFlag{Name: "auth-token", Usage: "require this bearer token on the UI and API (the UI asks for it once; prefer the environment variable)", EnvVars: []string{"JETCRON_WEB_AUTH_TOKEN"}},
		&cli.StringFlag{Name: "auth-token-file", Usage: "file holding the bearer token (instead of --auth-token)", EnvVars: []string{"JETCRON_WEB_AUTH_TOKEN_FILE"}},
		&cli.StringFlag{Name: "basic-auth-file", Usage: "require HTTP basic auth by the users of this file (user:bcrypt-hash per line, as htpasswd -nB prints)", EnvVars: []string{"JETCRON_WEB_BASIC_AUTH_FILE"}},
	}
}

func webCommand() *cli.Command {
	return &cli.Command{
		Name:   "web",
		Usage:  "serve the web UI and the HTTP API (/api/v1/), with /healthz, /readyz and /metrics",
		Flags:  webFlags(),
		Action: runWeb,
	}
}

func runWeb(c *cli.Context) error {
	if c.NArg() > 0 {
		return usageErr("web takes no arguments")
	}
	log, err := logger(c)
	if err != nil {
		return err
	}
	if off(c.String("http")) {
		return usageErr("--http: the web role needs an address to listen on")
	}
	if err := topology.ValidateNamespace(c.String("namespace")); err != nil {
		return usageErr("--namespace: %v", err)
	}
	cfg, err := webConfig(c, log)
	if err != nil {
		return err
	}
	opts, err := connOptions(c, "jetcron-web", true)
	if err != nil {
		return err
	}
	opts.Logger = log
	nc, err := natsconn.Connect(opts)
	if err != nil {
		return &exitError{code: exitUnavailable, msg: err.Error()}
	}
	defer nc.Close()
	stop, _, err := startWeb(c, nc, cfg, opts.JSDomain)
	if err != nil {
		return webUnavailable(err)
	}
	defer stop()
	<-c.Context.Done()
	return nil
}

// off reports whether an --http value disables the web server.
func off(addr string) bool {
	a := strings.ToLower(strings.TrimSpace(addr))
	return a == "" || a == "off" || a == "false" || a == "none"
}

// webConfig reads the web flags (but not the client) into a configuration,
// checking them before anything starts.
func webConfig(c *cli.Context, log *slog.Logger) (web.Config, error) {
	cfg := web.Config{Addr: strings.TrimSpace(c.String("http")), AuthToken: c.String("auth-token"), Logger: log}
	if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
		return cfg, usageErr("--http: %q is not HOST:PORT (e.g. 127.0.0.1:8080), or off", cfg.Addr)
	}
	if c.IsSet("auth-token") && strings.TrimSpace(cfg.AuthToken) == "" {
		return cfg, usageErr("--auth-token: must not be empty")
	}
	if path := c.String("auth-token-file"); path != "" {
		if cfg.AuthToken != "" {
			return cfg, usageErr("choose one of --auth-token and --auth-token-file")
		}
		tok, err := natsconn.ReadSecret(path)
		if err != nil {
			return cfg, usageErr("--auth-token-file: %v", err)
		}
		cfg.AuthToken = tok
	}
	if path := c.String("basic-auth-file"); path != "" {
		b, err := web.LoadBasicAuthFile(path)
		if err != nil {
			return cfg, usageErr("--basic-auth-file: %v", err)
		}
		cfg.BasicAuth = b
	}
	return cfg, nil
}

// errWebAddrInUse means the web server's address is taken.
var errWebAddrInUse = errors.New("address in use")

// webUnavailable is the command's error when the web server cannot listen.
func webUnavailable(err error) error {
	var ee *exitError
	if errors.As(err, &ee) {
		return err
	}
	return &exitError{code: exitUnavailable, msg: fmt.Sprintf("%v (is another jetcron or program using it? pick another with --http, or --http off)", err)}
}

// startWeb starts the web server on nc, reaching jetcron's streams in
// JetStream domain jsDomain, and returns its stop function and its URL.
func startWeb(c *cli.Context, nc *nats.Conn, cfg web.Config, jsDomain string) (func(), string, error) {
	cl, err := client.New(nc, client.WithNamespace(c.String("namespace")), client.WithJetStreamDomain(jsDomain))
	if err != nil {
		return nil, "", err
	}
	if cl, err = withStores(c, cl); err != nil {
		return nil, "", err
	}
	cfg.Client = cl
	srv, err := web.New(cfg)
	if err != nil {
		return nil, "", usageErr("%v", err)
	}
	if err := srv.Start(c.Context); err != nil {
		if errors.Is(err, syscall.EADDRINUSE) {
			return nil, "", fmt.Errorf("%w: %w", errWebAddrInUse, err)
		}
		return nil, "", err
	}
	auth := "none"
	switch {
	case cfg.AuthToken != "" && cfg.BasicAuth != nil:
		auth = "token or basic"
	case cfg.AuthToken != "":
		auth = "token"
	case cfg.BasicAuth != nil:
		auth = "basic"
	}
	if auth == "none" && !loopbackAddr(srv.Addr()) {
		cfg.Logger.Warn("the web UI listens on a non-loopback address without --auth-token or --basic-auth-file: anyone who reaches it can read logs and run jobs", "addr", srv.Addr())
	}
	cfg.Logger.Info("web UI and HTTP API are serving", "url", srv.URL(), "auth", auth)
	stop := func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Stop(ctx)
	}
	return stop, srv.URL(), nil
}

func loopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// startDevWeb starts the web server of `jetcron dev` unless --http is off;
// it returns the stop function and the UI's URL ("" when off).
func startDevWeb(c *cli.Context, nc *nats.Conn, log *slog.Logger) (func(), string, error) {
	if off(c.String("http")) {
		return func() {}, "", nil
	}
	cfg, err := webConfig(c, log)
	if err != nil {
		return nil, "", err
	}
	stop, url, err := startWeb(c, nc, cfg, "") // dev's own server: no domain
	if errors.Is(err, errWebAddrInUse) && !c.IsSet("http") {
		// The default address is taken (another jetcron dev, say): run
		// without the UI rather than not at all.
		log.Warn("the web UI is off: its default address is in use; pick another with --http", "addr", cfg.Addr)
		return func() {}, "", nil
	}
	if err != nil {
		return nil, "", webUnavailable(err)
	}
	return stop, url, nil
}
