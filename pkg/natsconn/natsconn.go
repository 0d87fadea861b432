// Package natsconn connects to NATS the way every jetcron role and the CLI
// do: any NATS authentication method, TLS, and reconnection that never gives
// up (a scheduler or worker must outlive a NATS restart).
package natsconn

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
)

// DefaultURL is where NATS is unless configured otherwise.
const DefaultURL = "nats://127.0.0.1:4222"

// Options configures a connection.
type Options struct {
	// URL is one or more comma-separated server URLs.
	URL string
	// Name identifies the connection in the server's monitoring.
	Name string
	// Creds is a credentials file (JWT and NKey seed).
	Creds string
	// NKey is an NKey seed file.
	NKey string
	// User and Password authenticate with a user and password.
	User     string
	Password string
	// PasswordFile and TokenFile name files holding the password or the
	// token (trailing newline ignored), read by Connect: a secret kept in a
	// file the worker's runs cannot read rather than in the environment.
	PasswordFile string
	// Token authenticates with a token.
	Token     string
	TokenFile string
	// TLSCA verifies the server; TLSCert and TLSKey authenticate the client.
	TLSCA   string
	TLSCert string
	TLSKey  string
	// InboxPrefix replaces "_INBOX" as the prefix of reply subjects, so that
	// a NATS user per role can be allowed to subscribe to its own replies
	// only (deploy/nats). Empty keeps "_INBOX".
	InboxPrefix string
	// JSDomain is the JetStream domain to reach (--js-domain); it does not
	// change the connection: roles pass it to JetStream.
	JSDomain string
	// Persistent reconnects forever (roles); otherwise a few times (CLI).
	Persistent bool
	// Logger receives connection events; nil discards them.
	Logger *slog.Logger
}

// Validate checks that the options name readable files and do not mix
// authentication methods.
func (o Options) Validate() error {
	methods := 0
	for _, set := range []bool{o.Creds != "", o.NKey != "", o.User != "", o.Token != "" || o.TokenFile != ""} {
		if set {
			methods++
		}
	}
	if methods > 1 {
		return errors.New("choose one of --creds, --nkey, --user/--password or --token")
	}
	if (o.Password != "" || o.PasswordFile != "") && o.User == "" {
		return errors.New("--password needs --user")
	}
	if o.Password != "" && o.PasswordFile != "" {
		return errors.New("choose one of --password and --password-file")
	}
	if o.Token != "" && o.TokenFile != "" {
		return errors.New("choose one of --token and --token-file")
	}
	if err := ValidateJSDomain(o.JSDomain); err != nil {
		return err
	}
	if (o.TLSCert == "") != (o.TLSKey == "") {
		return errors.New("--tls-cert and --tls-key go together")
	}
	if p := o.InboxPrefix; p != "" && (strings.ContainsAny(p, "*> \t") || strings.HasPrefix(p, ".") || strings.HasSuffix(p, ".") || strings.Contains(p, "..")) {
		return fmt.Errorf("--inbox-prefix: %q is not a subject prefix without wildcards", p)
	}
	for flag, path := range map[string]string{"--creds": o.Creds, "--nkey": o.NKey, "--tls-ca": o.TLSCA, "--tls-cert": o.TLSCert, "--tls-key": o.TLSKey,
		"--password-file": o.PasswordFile, "--token-file": o.TokenFile} {
		if path == "" {
			continue
		}
		if _, err := os.Stat(path); err != nil {
			return fmt.Errorf("%s: %w", flag, err)
		}
	}
	return nil
}

// Connect opens the connection. A Persistent connection is returned even if
// no server answers yet: it connects in the background (nc.IsConnected).
// Invalid options or URLs fail at once.
func Connect(o Options) (*nats.Conn, error) {
	if err := o.Validate(); err != nil {
		return nil, err
	}
	var err error
	if o.PasswordFile != "" {
		if o.Password, err = ReadSecret(o.PasswordFile); err != nil {
			return nil, fmt.Errorf("--password-file: %w", err)
		}
	}
	if o.TokenFile != "" {
		if o.Token, err = ReadSecret(o.TokenFile); err != nil {
			return nil, fmt.Errorf("--token-file: %w", err)
		}
	}
	if o.URL == "" {
		o.URL = DefaultURL
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	opts := []nats.Option{
		nats.Name(o.Name),
		nats.Timeout(5 * time.Second),
		nats.ReconnectWait(250 * time.Millisecond),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("disconnected from NATS", "error", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) { log.Info("reconnected to NATS", "url", nc.ConnectedUrl()) }),
	}
	if o.Persistent {
		// A role started before its NATS server does not exit: the client
		// keeps trying (the role waits for it, see topology.WaitReady).
		var lastErr string
		opts = append(opts, nats.MaxReconnects(-1), nats.RetryOnFailedConnect(true),
			nats.ConnectHandler(func(nc *nats.Conn) { log.Info("connected to NATS", "url", nc.ConnectedUrl()) }),
			nats.ReconnectErrHandler(func(_ *nats.Conn, err error) {
				// Once per distinct error: the client retries every 250ms.
				if err != nil && err.Error() != lastErr {
					lastErr = err.Error()
					log.Warn("cannot reach NATS; retrying", "url", o.URL, "error", err)
				}
			}))
	} else {
		opts = append(opts, nats.MaxReconnects(5))
	}
	switch {
	case o.Creds != "":
		opts = append(opts, nats.UserCredentials(o.Creds))
	case o.NKey != "":
		opt, err := nats.NkeyOptionFromSeed(o.NKey)
		if err != nil {
			return nil, fmt.Errorf("--nkey: %w", err)
		}
		opts = append(opts, opt)
	case o.User != "":
		opts = append(opts, nats.UserInfo(o.User, o.Password))
	case o.Token != "":
		opts = append(opts, nats.Token(o.Token))
	}
	if o.InboxPrefix != "" {
		opts = append(opts, nats.CustomInboxPrefix(o.InboxPrefix))
	}
	if o.TLSCA != "" {
		opts = append(opts, nats.RootCAs(o.TLSCA))
	}
	if o.TLSCert != "" {
		opts = append(opts, nats.ClientCert(o.TLSCert, o.TLSKey))
	}
	nc, err := nats.Connect(o.URL, opts...)
	if err != nil {
		return nil, fmt.Errorf("connect to NATS at %s: %w", o.URL, err)
	}
	return nc, nil
}

// ReadSecret reads a secret from a file, without the trailing line break.
func ReadSecret(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimRight(string(b), "\r\n")
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}
