package failure_test

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/stretchr/testify/require"

	"github.com/jetcron/jetcron/client"
	"github.com/jetcron/jetcron/pkg/devserver"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/leader"
	"github.com/jetcron/jetcron/pkg/natstest"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Timings of the system under test: short leases and ack waits, so that
// failovers and redeliveries take seconds.
const (
	lease   = 3 * time.Second
	ackWait = 3 * time.Second
)

// system is jetcron as separate OS processes: three nats-server nodes (R3),
// schedulers and workers, plus the harness's own connection (the
// operator's and the checker's: it reads events and buckets, creates jobs).
type system struct {
	t       *testing.T
	dir     string
	sink    string
	nats    []*proc
	natsURL []string
	scheds  []*proc
	sHealth []string
	workers []*proc
	wHealth []string
	names   topology.Names
	lease   time.Duration

	nc     *nats.Conn
	js     jetstream.JetStream
	client *client.Client

	leaders *leaderLog
	mu      sync.Mutex // guards jobs
	jobs    map[string]jobInfo
}

// jobInfo is what the harness knows of a job it created.
type jobInfo struct {
	spec      job.Spec
	created   time.Time
	disabled  time.Time // zero while it fires
	duration  time.Duration
	scheduled bool // fires on its schedule (not only ad hoc)
}

type options struct {
	schedulers  int
	workers     int
	concurrency int
	// workerArgs are extra flags of every worker.
	workerArgs []string
	// lease is the leader lease. Defaults to lease (3s); a scenario whose
	// faults are NATS elections (seconds each) sizes it above them, as
	// production must.
	lease time.Duration
	// schedulerArgs are extra flags of every scheduler.
	schedulerArgs []string
}

func freePort(t *testing.T) int {
	t.Helper()
	return freePorts(t, 1)[0]
}

// freePorts returns n distinct ports free a moment ago (each listener stays
// open until all are chosen, so the kernel cannot hand one out twice).
func freePorts(t *testing.T, n int) []int {
	t.Helper()
	ports := make([]int, n)
	for i := range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		require.NoError(t, err)
		defer l.Close()
		ports[i] = l.Addr().(*net.TCPAddr).Port
	}
	return ports
}

// startNATS starts a three-node cluster of real nats-server processes with
// JetStream, fsync on every write, and a monitoring port each. A port free
// when chosen may be taken by another test's server before a node binds it;
// a cluster that does not form in time is started again on other ports
// (and what its nodes said is logged).
func startNATS(t *testing.T, dir string) ([]*proc, []string) {
	t.Helper()
	const attempts = 3
	for attempt := 1; ; attempt++ {
		adir := filepath.Join(dir, fmt.Sprintf("nats-%d", attempt))
		procs, urls := startNATSOnce(t, adir)
		err := devserver.WaitJetStream(context.Background(), strings.Join(urls, ","), 3, 45*time.Second)
		if err == nil {
			return procs, urls
		}
		for _, p := range procs {
			t.Logf("%s (exited: %v), the end of its log:\n%s", p.name, p.exited(), p.tail(2000))
			p.kill()
		}
		require.Less(t, attempt, attempts, "the NATS cluster forms: %v", err)
		t.Logf("the NATS cluster did not form (%v); starting it again on other ports", err)
	}
}

func startNATSOnce(t *testing.T, dir string) ([]*proc, []string) {
	t.Helper()
	const n = 3
	require.NoError(t, os.MkdirAll(dir, 0o755))
	ports := freePorts(t, 3*n)
	client, route, mon := ports[:n], ports[n:2*n], ports[2*n:]
	var procs []*proc
	var urls []string
	for i := range n {
		var routes []string
		for j := range n {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats-route://127.0.0.1:%d", route[j]))
			}
		}
		conf := fmt.Sprintf(`server_name: n%d
listen: 127.0.0.1:%d
http: 127.0.0.1:%d
max_payload: 8MB
jetstream { store_dir: %q, sync_interval: always }
cluster { name: faults, listen: 127.0.0.1:%d, routes: [%s] }
`, i+1, client[i], mon[i], filepath.Join(dir, fmt.Sprintf("n%d", i+1)), route[i], strings.Join(routes, ", "))
		path := filepath.Join(dir, fmt.Sprintf("n%d.conf", i+1))
		require.NoError(t, os.WriteFile(path, []byte(conf), 0o644))
		p := newProc(t, dir, fmt.Sprintf("nats-%d", i+1), bins.nats, "-c", path)
		procs = append(procs, p)
		urls = append(urls, fmt.Sprintf("nats://127.0.0.1:%d", client[i]))
	}
	for _, p := range procs {
		p.start()
	}
	return procs, urls
}

// waitNATS waits until R3 streams can be placed.
func waitNATS(t *testing.T, url string) {
	t.Helper()
	require.NoError(t, devserver.WaitJetStream(context.Background(), url, 3, 90*time.Second), "the NATS cluster forms")
}

func start(t *testing.T, o options) *system {
	t.Helper()
	o.schedulers = max(o.schedulers, 1)
	o.workers = max(o.workers, 1)
	o.concurrency = max(o.concurrency, 4)
	o.lease = cmp.Or(o.lease, lease)
	dir := t.TempDir()
	s := &system{t: t, dir: dir, sink: filepath.Join(dir, "sink"), names: topology.MustNames(""), jobs: map[string]jobInfo{}, lease: o.lease}
	require.NoError(t, os.MkdirAll(s.sink, 0o755))
	openSink(t, dir, s.sink)
	s.nats, s.natsURL = startNATS(t, dir)
	url := strings.Join(s.natsURL, ",")

	var err error
	s.nc, err = nats.Connect(url, nats.MaxReconnects(-1), nats.ReconnectWait(100*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(s.nc.Close)
	s.js, err = jetstream.New(s.nc)
	require.NoError(t, err)
	s.client, err = client.New(s.nc)
	require.NoError(t, err)

	for i := range o.schedulers {
		s.addScheduler(i, o.schedulerArgs...)
	}
	for _, p := range s.scheds {
		p.start()
	}
	natstest.Eventually(t, 60*time.Second, func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		info, err := s.client.Info(ctx)
		return err == nil && info.Leader != ""
	}, "a scheduler leads\n%s", s.scheds[0].tail(3000))
	s.leaders = watchLeaders(t, s)
	for i := range o.workers {
		s.addWorker(i, o)
	}
	for _, p := range s.workers {
		p.start()
	}
	natstest.Eventually(t, 60*time.Second, func() bool {
		ws, err := s.client.Workers(context.Background())
		return err == nil && len(ws) == o.workers
	}, "every worker is present\n%s", s.workers[0].tail(3000))
	t.Cleanup(s.checkRaces)
	t.Cleanup(s.dumpOnFailure)
	return s
}

// dumpOnFailure logs what the roles logged above INFO when the test
// failed, and keeps their full logs in JETCRON_FAULTS_LOGS if set.
func (s *system) dumpOnFailure() {
	if !s.t.Failed() && os.Getenv("JETCRON_FAULTS_KEEP_LOGS") == "" {
		return
	}
	for _, p := range append(append(append([]*proc{}, s.scheds...), s.workers...), s.nats...) {
		var lines []string
		for _, l := range strings.Split(p.output(), "\n") {
			if !strings.Contains(l, `"level":"INFO"`) && !strings.Contains(l, "[INF]") && strings.TrimSpace(l) != "" {
				lines = append(lines, l)
			}
		}
		if len(lines) > 200 {
			lines = lines[len(lines)-200:]
		}
		s.t.Logf("%s (warnings and errors):\n%s", p.name, strings.Join(lines, "\n"))
		if dir := os.Getenv("JETCRON_FAULTS_LOGS"); dir != "" {
			_ = os.MkdirAll(dir, 0o755)
			_ = os.WriteFile(filepath.Join(dir, strings.ReplaceAll(s.t.Name(), "/", "_")+"-"+p.name+".log"), []byte(p.output()), 0o644)
		}
	}
}

func (s *system) url() string { return strings.Join(s.natsURL, ",") }

// commonArgs are the global and topology flags of every role.
func (s *system) roleArgs(role string, extra ...string) []string {
	args := []string{"--nats", s.url(), "--log-format", "json", role,
		"--replicas", "3", "--lease", s.lease.String(), "--ack-wait", ackWait.String()}
	return append(args, extra...)
}

func (s *system) addScheduler(i int, extra ...string) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(s.t))
	id := fmt.Sprintf("s%d", i+1)
	s.scheds = append(s.scheds, newProc(s.t, s.dir, "scheduler-"+id, bins.jetcron, s.roleArgs("scheduler", append([]string{"--id", id, "--health", addr}, extra...)...)...))
	s.sHealth = append(s.sHealth, addr)
}

func (s *system) addWorker(i int, o options) {
	addr := fmt.Sprintf("127.0.0.1:%d", freePort(s.t))
	id := fmt.Sprintf("w%d", i+1)
	workDir := filepath.Join(s.dir, "workers", id)
	args := s.roleArgs("worker", append([]string{"--id", id, "--concurrency", fmt.Sprint(o.concurrency), "--work-dir", workDir,
		"--health", addr, "--shutdown-grace", "10s"}, o.workerArgs...)...)
	s.workers = append(s.workers, newProc(s.t, s.dir, "worker-"+id, bins.jetcron, args...))
	s.wHealth = append(s.wHealth, addr)
}

// checkRaces fails the test for data races reported by race-built roles.
func (s *system) checkRaces() {
	for _, p := range append(append(append([]*proc{}, s.scheds...), s.workers...), s.nats...) {
		if n := p.raceReports(); n > 0 {
			s.t.Errorf("%s reported %d data races:\n%s", p.name, n, p.tail(20000))
		}
	}
}

// probeJob is a job that runs the probe for d on its schedule. Overlap
// allow: every slot is its own execution, whatever happens to the others,
// so every expected slot must run.
func (s *system) probeJob(name string, every time.Duration, d time.Duration, child bool) job.Spec {
	argv := []string{bins.probe, s.sink, d.String()}
	if child {
		argv = append(argv, "child")
	}
	return job.Spec{Name: name, Schedule: job.Schedule{Every: job.Duration(every)}, Overlap: job.OverlapAllow,
		Task: job.Task{Kind: job.TaskCommand, Command: argv}}
}

// createJobs creates n probe jobs prefix0..prefix<n-1> firing every period.
func (s *system) createJobs(prefix string, n int, every, d time.Duration) {
	s.t.Helper()
	for i := range n {
		s.create(s.probeJob(fmt.Sprintf("%s%d", prefix, i), every, d, false), d, true)
	}
}

// create creates a job through the API and remembers it.
func (s *system) create(spec job.Spec, d time.Duration, scheduled bool) {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(s.t.Context(), 30*time.Second)
	defer cancel()
	resp, err := s.client.CreateJob(ctx, spec)
	require.NoError(s.t, err)
	s.mu.Lock()
	s.jobs[spec.Name] = jobInfo{spec: resp.Job.Spec, created: resp.Job.Spec.CreatedAt, duration: d, scheduled: scheduled}
	s.mu.Unlock()
}

// stopFiring disables every job (retrying through failovers) and records
// when: slots after it are not expected.
func (s *system) stopFiring() {
	s.t.Helper()
	s.mu.Lock()
	var names []string
	for n, j := range s.jobs {
		if j.disabled.IsZero() {
			names = append(names, n)
		}
	}
	s.mu.Unlock()
	for _, n := range names {
		var at time.Time
		natstest.Eventually(s.t, 60*time.Second, func() bool {
			ctx, cancel := context.WithTimeout(s.t.Context(), 5*time.Second)
			defer cancel()
			v, err := s.client.DisableJob(ctx, n, "fault scenario over")
			if err != nil {
				return false
			}
			at = v.Spec.UpdatedAt
			return true
		}, "disable %s", n)
		s.mu.Lock()
		j := s.jobs[n]
		j.disabled = at
		s.jobs[n] = j
		s.mu.Unlock()
	}
}

// leaderRecord returns who holds the lease, read from the lease stream's
// leader.
func (s *system) leaderRecord() (leader.Record, uint64, bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	kv, err := s.js.KeyValue(ctx, s.names.LeaderBucket())
	if err != nil {
		return leader.Record{}, 0, false
	}
	ent, err := kv.Get(ctx, topology.LeaderKey)
	if err != nil {
		return leader.Record{}, 0, false
	}
	var r leader.Record
	if json.Unmarshal(ent.Value(), &r) != nil {
		return leader.Record{}, 0, false
	}
	return r, ent.Revision(), true
}

// leaderProc returns the scheduler process that holds the lease.
func (s *system) leaderProc() (*proc, int) {
	r, _, ok := s.leaderRecord()
	if !ok {
		return nil, -1
	}
	for i, p := range s.scheds {
		if p.pid() == r.PID && p.pid() != 0 {
			return p, i
		}
	}
	return nil, -1
}

// workerOf returns the worker process with id (w1, w2, ...).
func (s *system) workerOf(id string) *proc {
	for _, p := range s.workers {
		if p.name == "worker-"+id {
			return p
		}
	}
	return nil
}

// metrics scrapes a role's /metrics into name{labels} -> value.
func metrics(t *testing.T, addr string) map[string]float64 {
	t.Helper()
	resp, err := http.Get("http://" + addr + "/metrics")
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	out := map[string]float64{}
	for _, line := range strings.Split(string(data), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		var v float64
		if _, err := fmt.Sscan(line[i+1:], &v); err == nil {
			out[line[:i]] = v
		}
	}
	return out
}
