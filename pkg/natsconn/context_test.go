package natsconn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natsconn"
)

func writeContext(t *testing.T, dir, name, body string) {
	t.Helper()
	p := filepath.Join(dir, "nats", "context")
	require.NoError(t, os.MkdirAll(p, 0o700))
	require.NoError(t, os.WriteFile(filepath.Join(p, name+".json"), []byte(body), 0o600))
}

func TestContext(t *testing.T) {
	t.Parallel()
	cfg := t.TempDir()
	env := func(k string) string {
		if k == "XDG_CONFIG_HOME" {
			return cfg
		}
		return ""
	}
	writeContext(t, cfg, "prod", `{"description":"x","url":"nats://a:4222,nats://b:4222","user":"alice","password":"pw","ca":"/etc/ca.pem","inbox_prefix":"_INBOX_alice","jetstream_domain":""}`)
	writeContext(t, cfg, "leaf", `{"url":"nats://leaf:4222","jetstream_domain":"hub"}`)
	writeContext(t, cfg, "broken", `{"url":`)
	writeContext(t, cfg, "prefix", `{"url":"nats://leaf:4222","jetstream_api_prefix":"$JS.x.API"}`)

	c, err := natsconn.LoadContext("prod", env)
	require.NoError(t, err)
	o := natsconn.Options{}.WithContext(c)
	require.Equal(t, natsconn.Options{URL: "nats://a:4222,nats://b:4222", User: "alice", Password: "pw", TLSCA: "/etc/ca.pem", InboxPrefix: "_INBOX_alice"}, o)

	// Flags win: an explicit URL and another authentication method keep
	// the context's credentials out.
	o = natsconn.Options{URL: "nats://mine:4222", Token: "t"}.WithContext(c)
	require.Equal(t, "nats://mine:4222", o.URL)
	require.Empty(t, o.User)
	require.Empty(t, o.Password)
	require.Equal(t, "t", o.Token)

	// A context's JetStream domain is used unless --js-domain names one.
	c, err = natsconn.LoadContext("leaf", env)
	require.NoError(t, err)
	require.Equal(t, "hub", natsconn.Options{}.WithContext(c).JSDomain)
	require.Equal(t, "edge", natsconn.Options{JSDomain: "edge"}.WithContext(c).JSDomain)

	for name, want := range map[string]string{
		"prefix":  "jetstream_api_prefix, which jetcron does not support",
		"broken":  "broken.json",
		"missing": `no context "missing"`,
		"../etc":  "is not a context name",
	} {
		_, err := natsconn.LoadContext(name, env)
		require.ErrorContains(t, err, want, name)
		require.ErrorContains(t, err, "--context", name)
	}

	home := t.TempDir()
	writeContext(t, filepath.Join(home, ".config"), "dev", `{"url":"nats://dev:4222"}`)
	c, err = natsconn.LoadContext("dev", func(k string) string {
		if k == "HOME" {
			return home
		}
		return ""
	})
	require.NoError(t, err)
	require.Equal(t, "nats://dev:4222", c.URL, "~/.config without XDG_CONFIG_HOME")
}

func TestJSDomain(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"a.b", "*", ">", "a b", "x\n"} {
		require.ErrorContains(t, natsconn.ValidateJSDomain(bad), "--js-domain", bad)
		require.ErrorContains(t, natsconn.Options{JSDomain: bad}.Validate(), "--js-domain", bad)
	}
	require.NoError(t, natsconn.ValidateJSDomain(""))
	require.NoError(t, natsconn.ValidateJSDomain("hub-1"))
}
