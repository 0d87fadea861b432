package natsconn_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/pkg/natsconn"
)

func TestSecretFiles(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	pw := filepath.Join(dir, "password")
	require.NoError(t, os.WriteFile(pw, []byte("s3cr3t\n"), 0o400))
	got, err := natsconn.ReadSecret(pw)
	require.NoError(t, err)
	require.Equal(t, "s3cr3t", got)

	require.NoError(t, natsconn.Options{User: "worker", PasswordFile: pw}.Validate())
	require.ErrorContains(t, natsconn.Options{PasswordFile: pw}.Validate(), "--password needs --user")
	require.ErrorContains(t, natsconn.Options{User: "w", Password: "x", PasswordFile: pw}.Validate(), "one of --password and --password-file")
	require.ErrorContains(t, natsconn.Options{User: "w", TokenFile: pw}.Validate(), "choose one of")
	require.ErrorContains(t, natsconn.Options{TokenFile: filepath.Join(dir, "missing")}.Validate(), "--token-file")

	empty := filepath.Join(dir, "empty")
	require.NoError(t, os.WriteFile(empty, []byte("\n"), 0o400))
	_, err = natsconn.ReadSecret(empty)
	require.ErrorContains(t, err, "empty")
}
