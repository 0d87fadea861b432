package authz_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/natstest"
)

// TestMutualTLS runs the roles with TLS client certificates on top of
// their users (nats-server.conf's commented tls block, with verify: true):
// plain connections and TLS connections without a client certificate are
// refused.
func TestMutualTLS(t *testing.T) {
	dir := t.TempDir()
	ca, caKey := newCert(t, dir, "ca", nil, nil)
	newCert(t, dir, "server", ca, caKey)
	newCert(t, dir, "client", ca, caKey)
	f := func(name string) string { return filepath.Join(dir, name) }
	block := "tls {\n  cert_file: \"" + f("server.crt") + "\"\n  key_file: \"" + f("server.key") + "\"\n  ca_file: \"" + f("ca.crt") + "\"\n  verify: true\n  timeout: 2\n}"
	e := startEnv(t, 1, block, &tlsFiles{ca: f("ca.crt"), cert: f("client.crt"), key: f("client.key")})
	ctx := t.Context()

	out, code := e.cli(ctx, roleAdmin, "admin", "ensure", "--lease", "3s", "--ack-wait", "3s")
	require.Equal(t, 0, code, out)
	mark := e.viol.mark()
	sched := e.role(roleScheduler, "scheduler", "--skip-ensure", "--lease", "3s", "--ack-wait", "3s")
	wk := e.role(roleWorker, "worker", "--work-dir", natstest.WorkDir(t), "--lease", "3s", "--ack-wait", "3s")
	cl, err := client.New(e.connect(roleWeb))
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		info, err := cl.Info(ctx)
		return err == nil && info.Leader != ""
	}, "the scheduler answers over TLS\n%s", sched())
	_, err = cl.CreateJob(ctx, job.Spec{Name: "tls", Schedule: job.Schedule{Every: job.Duration(time.Hour)},
		Task: job.Task{Kind: job.TaskCommand, Command: []string{"true"}}})
	require.NoError(t, err)
	_, err = cl.RunJob(ctx, "tls", nil, false)
	require.NoError(t, err)
	natstest.Eventually(t, 30*time.Second, func() bool {
		xs, _, err := cl.Executions(ctx, client.ListOptions{Job: "tls"})
		return err == nil && len(xs) == 1 && xs[0].State == job.StateSucceeded
	}, "a run succeeds over TLS\n%s", wk())
	require.Empty(t, e.viol.since(mark))

	url := e.cl.URL()
	_, err = nats.Connect(url, nats.UserInfo(roleWeb, password(roleWeb)), nats.MaxReconnects(0))
	require.Error(t, err, "a plain connection is refused")
	_, err = nats.Connect(url, nats.UserInfo(roleWeb, password(roleWeb)), nats.RootCAs(f("ca.crt")), nats.MaxReconnects(0))
	require.Error(t, err, "a TLS connection without a client certificate is refused")
	_, err = nats.Connect(url, nats.RootCAs(f("ca.crt")), nats.ClientCert(f("client.crt"), f("client.key")), nats.MaxReconnects(0))
	require.ErrorIs(t, err, nats.ErrAuthorization, "a certificate alone is no user")
}

// newCert writes name.crt and name.key into dir: a CA when parent is nil,
// otherwise a certificate for 127.0.0.1 signed by parent.
func newCert(t *testing.T, dir, name string, parent *x509.Certificate, parentKey *ecdsa.PrivateKey) (*x509.Certificate, *ecdsa.PrivateKey) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	serial, err := rand.Int(rand.Reader, big.NewInt(1<<62))
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: serial,
		Subject:      pkix.Name{CommonName: "jetcron test " + name},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
		IPAddresses:  []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:     []string{"localhost"},
	}
	signer, signerKey := tmpl, key
	if parent == nil {
		tmpl.IsCA, tmpl.BasicConstraintsValid = true, true
		tmpl.KeyUsage |= x509.KeyUsageCertSign
	} else {
		signer, signerKey = parent, parentKey
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, signer, &key.PublicKey, signerKey)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	keyDER, err := x509.MarshalECPrivateKey(key)
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".crt"), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name+".key"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600))
	return cert, key
}
