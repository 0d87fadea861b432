package failure_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

// startDev starts `jetcron dev` as one OS process (with args after
// `dev --data DIR --listen ADDR --http off`) and a system whose harness
// connection follows it across restarts. It returns the data directory.
func startDev(t *testing.T, args ...string) (*system, *proc, string) {
	t.Helper()
	dir := t.TempDir()
	s := &system{t: t, dir: dir, sink: filepath.Join(dir, "sink"), names: topology.MustNames(""), jobs: map[string]jobInfo{}}
	require.NoError(t, os.MkdirAll(s.sink, 0o755))
	openSink(t, dir, s.sink)
	data := filepath.Join(dir, "data")
	listen := fmt.Sprintf("127.0.0.1:%d", freePort(t))
	dev := newProc(t, dir, "dev", bins.jetcron, append([]string{"--log-format", "json", "dev", "--data", data,
		"--listen", listen, "--http", "off"}, args...)...)
	s.natsURL = []string{"nats://" + listen}
	dev.start()
	t.Cleanup(func() {
		if n := dev.raceReports(); n > 0 {
			t.Errorf("jetcron dev reported %d data races:\n%s", n, dev.tail(20000))
		}
		if t.Failed() {
			t.Logf("jetcron dev (the end of its log):\n%s", dev.tail(20000))
		}
		if logs := os.Getenv("JETCRON_FAULTS_LOGS"); logs != "" && (t.Failed() || os.Getenv("JETCRON_FAULTS_KEEP_LOGS") != "") {
			_ = os.MkdirAll(logs, 0o755)
			_ = os.WriteFile(filepath.Join(logs, strings.ReplaceAll(t.Name(), "/", "_")+"-dev.log"), []byte(dev.output()), 0o644)
		}
	})
	var err error
	s.nc, err = nats.Connect(s.url(), nats.MaxReconnects(-1), nats.ReconnectWait(50*time.Millisecond), nats.RetryOnFailedConnect(true))
	require.NoError(t, err)
	t.Cleanup(s.nc.Close)
	s.js, err = jetstream.New(s.nc)
	require.NoError(t, err)
	s.client, err = client.New(s.nc)
	require.NoError(t, err)
	natstest.Eventually(t, 60*time.Second, func() bool {
		info, err := s.client.Info(t.Context())
		return err == nil && info.Leader != ""
	}, "jetcron dev runs\n%s", dev.tail(3000))
	return s, dev, data
}
