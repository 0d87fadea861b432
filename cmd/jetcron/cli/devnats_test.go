package cli

import (
	"bytes"
	"log/slog"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestWarnExposed(t *testing.T) {
	t.Parallel()
	for host, want := range map[string]bool{"127.0.0.1": false, "::1": false, "localhost": false, "0.0.0.0": true, "": true, "::": true, "10.1.2.3": true, "example.com": true} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, nil))
		require.Equal(t, want, warnExposed(log, host, host+":4222"), host)
		if want {
			require.Contains(t, buf.String(), "no authentication", host)
			require.Contains(t, buf.String(), "level=WARN", host)
		} else {
			require.Empty(t, buf.String(), host)
		}
	}
}
