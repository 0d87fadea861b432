// Package authz_test runs jetcron under the per-role NATS users of
// deploy/nats: a cluster loaded from that configuration with the
// nats-server parser, every role running as its own user, every forbidden
// operation refused and every allowed one working (RELIABILITY T29).
package authz_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/cmd/jetcron/cli"
	"github.com/jetcron/jetcron/pkg/natsconn"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Roles and their users in deploy/nats/accounts.conf.
const (
	roleScheduler = "scheduler"
	roleWorker    = "worker"
	roleWeb       = "web"
	roleAdmin     = "admin"
)

// password returns the test password of a role's user.
func password(role string) string { return "pw-" + role + "-0123456789" }

// inboxPrefix is the reply prefix a role's user may subscribe to.
func inboxPrefix(role string) string {
	if role == roleAdmin {
		return ""
	}
	return "_INBOX_" + role
}

// violations records the permission violations the servers log.
type violations struct {
	mu    sync.Mutex
	lines []string
}

func (v *violations) Enabled(context.Context, slog.Level) bool { return true }
func (v *violations) Handle(_ context.Context, r slog.Record) error {
	if strings.Contains(r.Message, "Violation") && !orderedConsumerReset.MatchString(r.Message) {
		v.mu.Lock()
		v.lines = append(v.lines, r.Message)
		v.mu.Unlock()
	}
	return nil
}
func (v *violations) WithAttrs([]slog.Attr) slog.Handler { return v }
func (v *violations) WithGroup(string) slog.Handler      { return v }

// orderedConsumerReset is the one violation a role's correct work makes: a
// web user's ordered consumer on the events stream that resets (its
// heartbeats missed on a loaded host) asks to delete its old consumer,
// which nats.go always does and the web user may not (it could delete
// another's, accounts.conf); the old one expires by itself.
var orderedConsumerReset = regexp.MustCompile(`"JETCRON/user:web" - Publish Violation - Subject "\$JS\.API\.CONSUMER\.DELETE\.JETCRON_EVENTS\.[A-Za-z0-9]+_\d+"`)

// since returns the violations logged after mark.
func (v *violations) since(mark int) []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.lines[mark:]...)
}

func (v *violations) mark() int {
	v.mu.Lock()
	defer v.mu.Unlock()
	return len(v.lines)
}

// env is a NATS cluster configured by deploy/nats, with the topology
// ensured by the admin user.
type env struct {
	t     *testing.T
	cl    *natstest.Cluster
	viol  *violations
	topo  topology.Config
	names topology.Names
	admin *nats.Conn
	ajs   jetstream.JetStream
	dir   string

	// TLS client settings, when the configuration requires TLS.
	tlsCA, tlsCert, tlsKey string
	tlsArgs                []string
}

// loadOptions parses a configuration file with the nats-server parser.
func loadOptions(path string) (*server.Options, error) { return server.ProcessConfigFile(path) }

// copyConfig copies deploy/nats into a temporary directory, appending
// extra to the server configuration, and returns the copy's path.
func copyConfig(t *testing.T, extra string) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"nats-server.conf", "accounts.conf"} {
		data, err := os.ReadFile(filepath.Join("..", "..", "deploy", "nats", name))
		require.NoError(t, err)
		if name == "nats-server.conf" {
			data = append(data, []byte("\n"+extra+"\n")...)
		}
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), data, 0o600))
	}
	return filepath.Join(dir, "nats-server.conf")
}

// setEnv sets what the configuration reads from the environment. Tests of
// this package therefore do not run in parallel.
func setEnv(t *testing.T) {
	t.Helper()
	t.Setenv("SERVER_NAME", "authz")
	t.Setenv("NATS_SYS_PASSWORD", password("sys"))
	for _, role := range []string{roleScheduler, roleWorker, roleWeb, roleAdmin} {
		t.Setenv("JETCRON_"+strings.ToUpper(role)+"_PASSWORD", password(role))
	}
}

// tlsFiles are a client's TLS files.
type tlsFiles struct{ ca, cert, key string }

func startEnv(t *testing.T, nodes int, extra string, tls *tlsFiles) *env {
	t.Helper()
	setEnv(t)
	e := &env{t: t, viol: &violations{}, dir: t.TempDir()}
	var adminOpts []nats.Option
	if tls != nil {
		e.tlsCA, e.tlsCert, e.tlsKey = tls.ca, tls.cert, tls.key
		e.tlsArgs = []string{"--tls-ca", tls.ca, "--tls-cert", tls.cert, "--tls-key", tls.key}
		adminOpts = []nats.Option{nats.RootCAs(tls.ca), nats.ClientCert(tls.cert, tls.key)}
	}
	conf := copyConfig(t, extra)
	connect := append([]nats.Option{nats.UserInfo(roleAdmin, password(roleAdmin))}, adminOpts...)
	e.cl = natstest.RunClusterOptions(t, nodes, natstest.ClusterOptions{ConfigFile: conf, Connect: connect, Logger: slog.New(e.viol)})
	e.topo = topology.Config{Replicas: nodes, LeaseTTL: 3 * time.Second, AckWait: 3 * time.Second, WorkerTTL: 3 * time.Second}.WithDefaults()
	e.names = e.topo.Names()
	var err error
	e.admin, err = nats.Connect(e.cl.URL(), connect...)
	require.NoError(t, err)
	t.Cleanup(e.admin.Close)
	e.ajs, err = jetstream.New(e.admin)
	require.NoError(t, err)
	return e
}

// cli runs the command line as a role, returning its output and exit code.
func (e *env) cli(ctx context.Context, role string, args ...string) (string, int) {
	var out bytes.Buffer
	w := &lockedWriter{w: &out}
	full := append([]string{"jetcron", "--nats", e.cl.URL(), "--user", role, "--password", password(role)}, e.tlsArgs...)
	if p := inboxPrefix(role); p != "" {
		full = append(full, "--inbox-prefix", p)
	}
	code := cli.Run(ctx, cli.Deps{Stdout: w, Stderr: w, Stdin: strings.NewReader("")}, append(full, args...))
	return w.String(), code
}

// connect opens a connection as a role, the way the roles connect.
func (e *env) connect(role string, opts ...nats.Option) *nats.Conn {
	e.t.Helper()
	o := natsconn.Options{URL: e.cl.URL(), Name: "authz-" + role, User: role, Password: password(role), InboxPrefix: inboxPrefix(role),
		TLSCA: e.tlsCA, TLSCert: e.tlsCert, TLSKey: e.tlsKey}
	nc, err := natsconn.Connect(o)
	require.NoError(e.t, err)
	e.t.Cleanup(nc.Close)
	return nc
}

// lockedWriter is a writer safe for concurrent use.
type lockedWriter struct {
	mu sync.Mutex
	w  *bytes.Buffer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func (l *lockedWriter) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.String()
}

// role runs a long-running role (scheduler, worker, web) in the background
// until the test ends, returning its output so far on demand.
func (e *env) role(role string, args ...string) func() string {
	e.t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var out lockedWriter
	out.w = &bytes.Buffer{}
	done := make(chan int, 1)
	full := append([]string{"jetcron", "--nats", e.cl.URL(), "--user", role, "--password", password(role), "--inbox-prefix", inboxPrefix(role)}, e.tlsArgs...)
	go func() {
		done <- cli.Run(ctx, cli.Deps{Stdout: &out, Stderr: &out, Stdin: strings.NewReader("")}, append(full, args...))
	}()
	e.t.Cleanup(func() {
		cancel()
		select {
		case <-done:
		case <-time.After(30 * time.Second):
			e.t.Errorf("%s did not stop", role)
		}
	})
	return func() string {
		select {
		case code := <-done:
			done <- code
			return fmt.Sprintf("%s\n(exited with %d)", out.String(), code)
		default:
			return out.String()
		}
	}
}
