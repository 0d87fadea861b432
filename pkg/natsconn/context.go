package natsconn

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
)

// Context is a NATS context as the nats CLI saves it (`nats context save`,
// ADR-21): a named set of connection settings in
// $XDG_CONFIG_HOME/nats/context/NAME.json (~/.config when unset).
type Context struct {
	URL         string `json:"url"`
	User        string `json:"user"`
	Password    string `json:"password"`
	Creds       string `json:"creds"`
	NKey        string `json:"nkey"`
	Token       string `json:"token"`
	Cert        string `json:"cert"`
	Key         string `json:"key"`
	CA          string `json:"ca"`
	InboxPrefix string `json:"inbox_prefix"`
	JSDomain    string `json:"jetstream_domain"`

	// Settings jetcron cannot honour yet: a context that sets one is
	// refused rather than half applied.
	NSC         string `json:"nsc"`
	UserJWT     string `json:"user_jwt"`
	JSAPIPrefix string `json:"jetstream_api_prefix"`
	TLSFirst    bool   `json:"tls_first"`
}

var contextName = regexp.MustCompile(`^[A-Za-z0-9_-][A-Za-z0-9_.-]*$`)

// ContextPath returns the file of the named context; getenv reads
// XDG_CONFIG_HOME and HOME.
func ContextPath(name string, getenv func(string) string) (string, error) {
	if !contextName.MatchString(name) {
		return "", fmt.Errorf("--context: %q is not a context name (letters, digits, '.', '_' and '-')", name)
	}
	dir := getenv("XDG_CONFIG_HOME")
	if dir == "" {
		home := getenv("HOME")
		if home == "" {
			return "", errors.New("--context: neither XDG_CONFIG_HOME nor HOME is set")
		}
		dir = filepath.Join(home, ".config")
	}
	return filepath.Join(dir, "nats", "context", name+".json"), nil
}

// LoadContext reads the named context.
func LoadContext(name string, getenv func(string) string) (Context, error) {
	var c Context
	path, err := ContextPath(name, getenv)
	if err != nil {
		return c, err
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return c, fmt.Errorf("--context: no context %q (%s; `nats context ls` lists them)", name, path)
	}
	if err != nil {
		return c, fmt.Errorf("--context: %w", err)
	}
	if err := json.Unmarshal(data, &c); err != nil {
		return c, fmt.Errorf("--context: %s: %w", path, err)
	}
	for field, set := range map[string]bool{"nsc": c.NSC != "", "user_jwt": c.UserJWT != "",
		"jetstream_api_prefix": c.JSAPIPrefix != "", "tls_first": c.TLSFirst} {
		if set {
			return c, fmt.Errorf("--context: %s sets %s, which jetcron does not support; use a context without it", path, field)
		}
	}
	return c, nil
}

// WithContext returns o with what it leaves unset taken from c: the URL,
// the authentication (only when o names none: an explicit flag wins), the
// TLS files, the inbox prefix and the JetStream domain.
func (o Options) WithContext(c Context) Options {
	if o.URL == "" {
		o.URL = c.URL
	}
	if o.Creds == "" && o.NKey == "" && o.User == "" && o.Token == "" && o.TokenFile == "" {
		o.Creds, o.NKey, o.User, o.Password, o.Token = c.Creds, c.NKey, c.User, c.Password, c.Token
	}
	if o.TLSCA == "" {
		o.TLSCA = c.CA
	}
	if o.TLSCert == "" && o.TLSKey == "" {
		o.TLSCert, o.TLSKey = c.Cert, c.Key
	}
	if o.InboxPrefix == "" {
		o.InboxPrefix = c.InboxPrefix
	}
	if o.JSDomain == "" {
		o.JSDomain = c.JSDomain
	}
	return o
}
