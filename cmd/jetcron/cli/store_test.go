package cli

import (
	"net/netip"
	"testing"

	"github.com/stretchr/testify/require"
)

func TestParseSize(t *testing.T) {
	t.Parallel()
	ok := map[string]int64{"1048576": 1 << 20, "10MiB": 10 << 20, "512KiB": 512 << 10, "1 GiB": 1 << 30, "4k": 4 << 10, "2MB": 2 << 20, "100B": 100}
	for in, want := range ok {
		got, err := parseSize(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "MiB", "-1", "1.5MiB", "10XB", "ten", "2048GiB"} {
		_, err := parseSize(in)
		require.Error(t, err, in)
	}
}

func TestParseAllow(t *testing.T) {
	t.Parallel()
	ok := map[string]string{"10.0.0.0/8": "10.0.0.0/8", "10.1.2.3/8": "10.0.0.0/8", "127.0.0.1": "127.0.0.1/32", "::1": "::1/128", "fd00::/8": "fd00::/8"}
	for in, want := range ok {
		got, err := parseAllow(in)
		require.NoError(t, err, in)
		require.Equal(t, netip.MustParsePrefix(want), got, in)
	}
	for _, in := range []string{"", "localhost", "10.0.0.0/33", "10.0.0/8"} {
		_, err := parseAllow(in)
		require.Error(t, err, in)
	}
}
