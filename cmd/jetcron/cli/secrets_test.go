package cli

import (
	"log/slog"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestScrubSecrets(t *testing.T) {
	t.Setenv("AWS_SECRET_ACCESS_KEY", "s3-secret")
	t.Setenv("JETCRON_NATS_PASSWORD", "nats-secret")
	t.Setenv("JETCRON_NATS_URL", "nats://example:4222")
	scrubSecrets(slog.New(slog.DiscardHandler))
	for _, k := range []string{"AWS_SECRET_ACCESS_KEY", "JETCRON_NATS_PASSWORD"} {
		_, ok := os.LookupEnv(k)
		require.False(t, ok, "%s is still set", k)
	}
	require.Equal(t, "nats://example:4222", os.Getenv("JETCRON_NATS_URL"), "settings that are not secrets stay")
}
