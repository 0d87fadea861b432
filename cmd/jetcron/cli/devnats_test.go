package cli

import (
	"bytes"
	"log/slog"
	"strings"
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

func TestServerLogger(t *testing.T) {
	t.Parallel()
	for level, want := range map[string][]string{
		"info":  {"level=WARN msg=w", "level=ERROR msg=e"},
		"debug": {"level=DEBUG msg=d", "level=INFO msg=i", "level=WARN msg=w", "level=ERROR msg=e"},
	} {
		var buf bytes.Buffer
		log := slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
		l := serverLogger(log, level).With("component", "nats-server")
		l.Debug("d")
		l.Info("i")
		l.Warn("w")
		l.Error("e")
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(buf.String()), "\n") {
			_, rest, _ := strings.Cut(line, " ") // the time
			got = append(got, strings.TrimSuffix(rest, " component=nats-server"))
		}
		require.Equal(t, want, got, level)
	}
}
