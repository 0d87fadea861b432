// Package cli is the jetcron command line: urfave/cli commands that parse
// flags into configurations and call the client, scheduler, worker and dev
// server packages. Tests drive it in-process through Run.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Version is the jetcron version printed by --version.
var Version = "0.1.0-dev"

// Deps are the process's streams, injected so tests can capture them.
type Deps struct {
	Stdout io.Writer
	Stderr io.Writer
	Stdin  io.Reader
	// Getenv reads the environment, for settings that never come from
	// flags (S3 credentials). Defaults to os.Getenv.
	Getenv func(key string) string
}

// App returns the jetcron command line application.
func App(d Deps) *cli.App {
	return &cli.App{
		Name:                 "jetcron",
		Usage:                "a distributed cron and delayed-job system on NATS JetStream",
		Version:              Version,
		Writer:               d.Stdout,
		ErrWriter:            d.Stderr,
		Reader:               d.Stdin,
		Metadata:             map[string]any{getenvKey: d.Getenv},
		Flags:                globalFlags(),
		EnableBashCompletion: true,
		HideHelpCommand:      true,
		ExitErrHandler:       func(*cli.Context, error) {}, // Run reports errors
		Commands: []*cli.Command{
			devCommand(),
			schedulerCommand(),
			workerCommand(),
			adminCommand(),
			webCommand(),
			jobCommand(),
			execCommand(),
			applyCommand(),
			cronCommand(),
			calendarCommand(),
			queueCommand(),
			notifyCommand(),
		},
	}
}

// Run runs the command line with args (args[0] is the program name) and
// returns the exit code. Flags may come before or after positional
// arguments; everything after "--" is passed through untouched.
func Run(ctx context.Context, d Deps, args []string) int {
	app := App(d)
	release := serializeParsing(app)
	defer release()
	err := app.RunContext(ctx, reorder(app, args))
	release()
	for _, closeFn := range closers(app) {
		closeFn()
	}
	if err == nil {
		return 0
	}
	code, msg := describe(err)
	if msg != "" {
		fmt.Fprintln(d.Stderr, "jetcron: "+msg)
	}
	return code
}

func globalFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "nats", Value: natsconn.DefaultURL, Usage: "NATS server URL(s), comma-separated", EnvVars: []string{"JETCRON_NATS_URL"}},
		&cli.StringFlag{Name: "context", Usage: "NATS context (as `nats context save` makes) for the connection settings the flags leave unset", EnvVars: []string{"NATS_CONTEXT"}},
		&cli.StringFlag{Name: "creds", Usage: "NATS credentials file", EnvVars: []string{"JETCRON_NATS_CREDS"}},
		&cli.StringFlag{Name: "nkey", Usage: "NATS NKey seed file", EnvVars: []string{"JETCRON_NATS_NKEY"}},
		&cli.StringFlag{Name: "user", Usage: "NATS user", EnvVars: []string{"JETCRON_NATS_USER"}},
		&cli.StringFlag{Name: "password", Usage: "NATS password (prefer the environment variable)", EnvVars: []string{"JETCRON_NATS_PASSWORD"}},
		&cli.StringFlag{Name: "password-file", Usage: "file holding the NATS password (keeps it out of the environment)", EnvVars: []string{"JETCRON_NATS_PASSWORD_FILE"}},
		&cli.StringFlag{Name: "token", Usage: "NATS token (prefer the environment variable)", EnvVars: []string{"JETCRON_NATS_TOKEN"}},
		&cli.StringFlag{Name: "token-file", Usage: "file holding the NATS token (keeps it out of the environment)", EnvVars: []string{"JETCRON_NATS_TOKEN_FILE"}},
		&cli.StringFlag{Name: "tls-ca", Usage: "CA certificate to verify NATS", EnvVars: []string{"JETCRON_NATS_TLS_CA"}},
		&cli.StringFlag{Name: "tls-cert", Usage: "client certificate for NATS", EnvVars: []string{"JETCRON_NATS_TLS_CERT"}},
		&cli.StringFlag{Name: "tls-key", Usage: "client key for NATS", EnvVars: []string{"JETCRON_NATS_TLS_KEY"}},
		&cli.StringFlag{Name: "inbox-prefix", Usage: "prefix of NATS reply subjects instead of _INBOX (deploy/nats gives each role its own, e.g. _INBOX_worker)", EnvVars: []string{"JETCRON_NATS_INBOX_PREFIX"}},
		&cli.StringFlag{Name: "js-domain", Usage: "JetStream domain of jetcron's streams and buckets, for a role or client connected to a leaf node (default: the context's jetstream_domain, else none)", EnvVars: []string{"JETCRON_JS_DOMAIN"}},
		&cli.StringFlag{Name: "namespace", Value: topology.DefaultNamespace, Usage: "prefix of every stream, bucket and subject", EnvVars: []string{"JETCRON_NAMESPACE"}},
		&cli.StringFlag{Name: "log-level", Value: "info", Usage: "debug, info, warn or error", EnvVars: []string{"JETCRON_LOG_LEVEL"}},
		&cli.StringFlag{Name: "log-format", Value: "text", Usage: "text or json", EnvVars: []string{"JETCRON_LOG_FORMAT"}},
		storeFlag(),
	}
}

// connOptions reads the global connection flags, and the NATS context
// they name (--context or NATS_CONTEXT) for what they leave unset.
func connOptions(c *cli.Context, name string, persistent bool) (natsconn.Options, error) {
	o := natsconn.Options{
		Name: name, Creds: c.String("creds"), NKey: c.String("nkey"),
		User: c.String("user"), Password: c.String("password"), Token: c.String("token"),
		PasswordFile: c.String("password-file"), TokenFile: c.String("token-file"),
		TLSCA: c.String("tls-ca"), TLSCert: c.String("tls-cert"), TLSKey: c.String("tls-key"),
		InboxPrefix: c.String("inbox-prefix"), JSDomain: c.String("js-domain"), Persistent: persistent,
	}
	if c.IsSet("nats") {
		o.URL = c.String("nats")
	}
	if name := c.String("context"); name != "" {
		ctx, err := natsconn.LoadContext(name, getenv(c))
		if err != nil {
			return o, usageErr("%v", err)
		}
		o = o.WithContext(ctx)
	}
	if err := o.Validate(); err != nil {
		return o, usageErr("%v", err)
	}
	return o, nil
}

// logger builds the process logger from --log-level and --log-format.
func logger(c *cli.Context) (*slog.Logger, error) {
	var level slog.Level
	if err := level.UnmarshalText([]byte(c.String("log-level"))); err != nil {
		return nil, usageErr("--log-level: %q is not debug, info, warn or error", c.String("log-level"))
	}
	opts := &slog.HandlerOptions{Level: level}
	switch strings.ToLower(c.String("log-format")) {
	case "text", "":
		return slog.New(slog.NewTextHandler(c.App.ErrWriter, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(c.App.ErrWriter, opts)), nil
	default:
		return nil, usageErr("--log-format: %q is not text or json", c.String("log-format"))
	}
}

// newClient connects the CLI to NATS and returns a client. The connection
// closes when the command has run (Run closes it).
func newClient(c *cli.Context) (*client.Client, error) {
	if err := topology.ValidateNamespace(c.String("namespace")); err != nil {
		return nil, usageErr("--namespace: %v", err)
	}
	opts, err := connOptions(c, "jetcron-cli", false)
	if err != nil {
		return nil, err
	}
	if _, _, err := storeLocation(c); err != nil {
		return nil, err
	}
	nc, err := natsconn.Connect(opts)
	if err != nil {
		return nil, &exitError{code: exitUnavailable, msg: fmt.Sprintf("%v (is `jetcron dev` running? set --nats or JETCRON_NATS_URL)", err)}
	}
	c.App.Metadata[closersKey] = append(closers(c.App), nc.Close)
	cl, err := client.New(nc, client.WithNamespace(c.String("namespace")), client.WithJetStreamDomain(opts.JSDomain))
	if err != nil {
		return nil, err
	}
	return withStores(c, cl)
}

const closersKey = "jetcron-closers"

func closers(app *cli.App) []func() {
	fs, _ := app.Metadata[closersKey].([]func())
	return fs
}

var errUsage = errors.New("usage")
