package worker

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/worker/internal/process"
)

func TestResolveIdentity(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		runAs string
		euid  int
		mode  string
		cred  process.Credential
		err   string
	}{
		{runAs: "", euid: 0, mode: RunAsAuto},
		{runAs: "", euid: 1000, mode: RunAsSelf},
		{runAs: "self", euid: 0, mode: RunAsSelf},
		{runAs: "auto", euid: 1000, err: "only a worker running as root"},
		{runAs: "auto:300000-300009", euid: 0, mode: RunAsAuto},
		{runAs: "auto:300009-300000", euid: 0, err: "not a uid range"},
		{runAs: "auto:0-10", euid: 0, err: "not a uid range"},
		{runAs: "4321", euid: 0, mode: "fixed", cred: process.Credential{UID: 4321, GID: 4321}},
		{runAs: "4321:55", euid: 0, mode: "fixed", cred: process.Credential{UID: 4321, GID: 55}},
		{runAs: "4321", euid: 1000, err: "only a worker running as root"},
		{runAs: "1000", euid: 1000, mode: RunAsSelf},
		{runAs: "4321:x", euid: 0, err: "not a number"},
		{runAs: "no-such-user-jetcron", euid: 0, err: "no-such-user-jetcron"},
	} {
		id, err := resolveIdentity(tc.runAs, tc.euid)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%q as %d", tc.runAs, tc.euid)
			continue
		}
		require.NoError(t, err, "%q as %d", tc.runAs, tc.euid)
		require.Equal(t, tc.mode, id.mode, "%q as %d", tc.runAs, tc.euid)
		require.Equal(t, tc.cred, id.cred, "%q as %d", tc.runAs, tc.euid)
		if tc.runAs == "auto:300000-300009" {
			require.Equal(t, uint32(300000), id.pool.base)
			require.Equal(t, uint32(10), id.pool.count)
		}
	}
}

// TestUIDPool: concurrent runs never share a uid, and a released uid is
// handed out again.
func TestUIDPool(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	p := &uidPool{dir: dir, base: 5000, count: 3}
	other := &uidPool{dir: dir, base: 5000, count: 3} // another worker on the host
	a, relA, err := p.acquire()
	require.NoError(t, err)
	b, relB, err := other.acquire()
	require.NoError(t, err)
	c, relC, err := p.acquire()
	require.NoError(t, err)
	require.ElementsMatch(t, []uint32{5000, 5001, 5002}, []uint32{a, b, c})
	_, _, err = other.acquire()
	require.ErrorContains(t, err, "in use")
	relB()
	d, relD, err := p.acquire()
	require.NoError(t, err)
	require.Equal(t, b, d)
	relA()
	relC()
	relD()
}
