package worker

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nuid"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/job"
	"github.com/jetcron/jetcron/pkg/lifecycle"
	"github.com/jetcron/jetcron/pkg/objstore"
	"github.com/jetcron/jetcron/pkg/streamio"
	"github.com/jetcron/jetcron/pkg/topology"
	"github.com/jetcron/jetcron/pkg/tracing"
	"github.com/jetcron/jetcron/worker/internal/process"
)

// DefaultPath is the PATH of a run whose job does not set one.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Config configures a worker.
type Config struct {
	// ID identifies the worker. Defaults to "<hostname>-<random>".
	ID string
	// Queues the worker pulls from. Defaults to ["default"] unless
	// HandlersOnly is set. Besides these, the worker pulls the queue of
	// each Go handler it has (job.GoQueue: "go-<handler>").
	Queues []string
	// HandlersOnly leaves Queues empty by default, so the worker runs only
	// the jobs of its own Go handlers: for a program that embeds a worker
	// for its handlers and must not run other jobs.
	HandlersOnly bool
	// AllowKinds are the task kinds the worker runs (its pool's policy: a
	// pool for http and go tasks runs no commands). A work item of another
	// kind is recorded failed and terminated. Defaults to every kind.
	// Published in the worker's presence record, so the API refuses a job
	// whose queue's live workers all disallow its kind.
	AllowKinds []job.TaskKind
	// Concurrency is how many executions run at once. Defaults to the
	// number of CPUs.
	Concurrency int
	// Topology names the resources and sets the ack wait.
	Topology topology.Config
	// WorkDir holds per-run directories and the script cache. Defaults to
	// a directory under the system temp dir. Start requires it to be owned
	// by the worker's uid and makes it 0711 (0700 when runs keep the
	// worker's uid); when runs switch uid, every directory above it must
	// be searchable by others (o+x).
	WorkDir string
	// RunAs is the identity runs execute under (see identity.go): a user
	// name, "uid" or "uid:gid"; RunAsAuto ("auto": a uid of its own per
	// run from RunUIDBase up); or RunAsSelf ("self": the worker's own).
	// Defaults to RunAsAuto when the worker runs as root, else RunAsSelf,
	// which Start logs as a warning: runs can then read each other's files.
	RunAs string
	// RunCgroup is the cgroup v2 directory under which each run gets a
	// cgroup of its own, killed as a whole when the run ends. Empty means
	// the worker's own cgroup if it can create children there; "none"
	// means no cgroup (the supervisor then kills the descendants it
	// adopts as a child subreaper).
	RunCgroup string
	// Interpreters maps interpreter names to absolute paths. Defaults to
	// every name of job.Interpreters found on the worker's PATH.
	Interpreters map[string]string
	// MaxLog caps each run's stored log (first and last halves kept).
	// Defaults to 10 MiB.
	MaxLog int64
	// HTTPAllow lists networks http tasks may reach although they are
	// loopback, link-local or private addresses, which are refused by
	// default (SSRF protection). Empty allows none of them.
	HTTPAllow []netip.Prefix
	// SecretsDir holds the secrets that job env and HTTP header values
	// reference as "${secret:NAME}" (the file NAME, trailing newline
	// removed). Empty: a run that references a secret fails.
	SecretsDir string
	// Scripts is where the worker looks for a script that is not in the
	// NATS object store <ns>-scripts, where clients upload every script
	// (older clients put them in the configured store); nil: nowhere else.
	Scripts objstore.Store
	// Logs is where complete logs are stored; nil means the NATS object
	// store <ns>-logs. The worker serves them to clients (logserve.go), so
	// only workers need its credentials.
	Logs objstore.Store
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Metrics receives the worker's measurements; nil records nothing.
	Metrics *Metrics
	// Tracer records a span per attempt (package tracing); nil exports
	// nothing, and runs still get their TRACEPARENT.
	Tracer *tracing.Tracer
	// GroupCommit says when the events and claim writes of concurrent
	// executions share atomic batches (groupcommit.go); the default,
	// GroupCommitAuto, does where the events stream has one replica.
	GroupCommit GroupCommit
}

// Worker runs executions from the work stream.
type Worker struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	names  topology.Names
	log    *slog.Logger
	events *event.Publisher
	claims jetstream.KeyValue
	// checkpoints is the checkpoints bucket (checkpoint.go).
	checkpoints jetstream.KeyValue
	// commitEvents and commitClaims group-commit the writes of concurrent
	// executions to the events stream and the claims bucket (one atomic
	// batch, one fsync for all); made by Start unless group commit is
	// off, stopped by Stop once no execution runs. events and claimWrites
	// write through them when open decided so (groupcommit.go).
	commitEvents *streamio.Committer
	commitClaims *streamio.Committer
	claimWrites  jetstream.KeyValue

	handlersMu sync.RWMutex // guards handlers
	handlers   map[string]Handler

	slots   chan struct{}
	running sync.Map // execution ID -> *execution
	limits  sync.Map // queue -> queueLimits

	mu       sync.Mutex // guards pullCancel, stopping, started, pulling, startPull
	started  bool
	stopping bool
	pulls    sync.WaitGroup
	runs     sync.WaitGroup
	pullStop context.CancelFunc
	bgStop   context.CancelFunc
	bg       sync.WaitGroup
	startAt  time.Time
	// pulling holds the queues pulled since Start; startPull starts one
	// (see handler_queues.go).
	pulling   map[string]bool
	startPull func(queue string)
	// setupDone is closed once the stores and buckets are open (setup.go).
	setupDone chan struct{}
	waiting   sync.Map // "" (setup) or a queue -> why the worker waits

	runners map[job.TaskKind]runner // by kind, the kinds allowed (tasks.go)
	scripts objstore.Store          // the NATS object store <ns>-scripts (setup.go)
	health  storeHealth             // whether the stores answer (storehealth.go)

	ident  identity // who runs are
	cgroup string   // parent of the runs' cgroups, or empty
}

// New returns a worker on connection nc.
func New(nc *nats.Conn, cfg Config) (*Worker, error) {
	cfg.Topology = cfg.Topology.WithDefaults()
	if err := cfg.Topology.Validate(); err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if cfg.ID == "" {
		host, _ := os.Hostname()
		cfg.ID = cmp.Or(host, "worker") + "-" + nuid.Next()[16:]
	}
	if err := job.ValidateName(cfg.ID); err != nil {
		return nil, fmt.Errorf("worker: id %q %w", cfg.ID, err)
	}
	if len(cfg.Queues) == 0 && !cfg.HandlersOnly {
		cfg.Queues = []string{job.DefaultQueue}
	}
	for _, q := range cfg.Queues {
		if err := job.ValidateName(q); err != nil {
			return nil, fmt.Errorf("worker: queue %q %w", q, err)
		}
	}
	if len(cfg.AllowKinds) == 0 {
		cfg.AllowKinds = job.TaskKinds
	}
	kinds := make([]string, len(cfg.AllowKinds))
	for i, k := range cfg.AllowKinds {
		kinds[i] = string(k)
	}
	allow, err := job.ParseTaskKinds(kinds)
	if err != nil {
		return nil, fmt.Errorf("worker: allow kinds: %w", err)
	}
	cfg.AllowKinds = allow
	if _, err := ParseGroupCommit(string(cfg.GroupCommit)); err != nil {
		return nil, fmt.Errorf("worker: group commit: %w", err)
	}
	slices.Sort(cfg.Queues)
	cfg.Queues = slices.Compact(cfg.Queues)
	cfg.Concurrency = cmp.Or(cfg.Concurrency, runtime.NumCPU())
	if cfg.Concurrency < 1 {
		return nil, fmt.Errorf("worker: concurrency %d is below 1", cfg.Concurrency)
	}
	if cfg.WorkDir == "" {
		cfg.WorkDir = filepath.Join(os.TempDir(), "jetcron-worker-"+cfg.ID)
	}
	cfg.MaxLog = cmp.Or(cfg.MaxLog, 10<<20)
	if cfg.MaxLog < 1024 {
		return nil, fmt.Errorf("worker: max log %d bytes is below 1024", cfg.MaxLog)
	}
	for _, p := range cfg.HTTPAllow {
		if !p.IsValid() {
			return nil, fmt.Errorf("worker: http allow: %q is not a CIDR", p)
		}
	}
	if cfg.Interpreters == nil {
		cfg.Interpreters = DefaultInterpreters(os.Getenv("PATH"))
	}
	for name, path := range cfg.Interpreters {
		if !filepath.IsAbs(path) {
			return nil, fmt.Errorf("worker: interpreter %s: %q is not an absolute path", name, path)
		}
	}
	ident, err := resolveIdentity(cfg.RunAs, os.Geteuid())
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	js, err := cfg.Topology.JetStream(nc)
	if err != nil {
		return nil, fmt.Errorf("worker: %w", err)
	}
	names := cfg.Topology.Names()
	w := &Worker{
		cfg: cfg, nc: nc, js: js, names: names,
		log:      log.With("component", "worker", "worker_id", cfg.ID),
		events:   event.NewPublisher(js, names),
		handlers: map[string]Handler{},
		slots:    make(chan struct{}, cfg.Concurrency),
		ident:    ident,
	}
	w.runners = newRunners(w)
	return w, nil
}

// DefaultInterpreters finds every known interpreter on pathEnv.
func DefaultInterpreters(pathEnv string) map[string]string {
	out := map[string]string{}
	for _, name := range job.Interpreters {
		if p, err := process.LookPath(name, pathEnv); err == nil {
			out[name] = p
		}
	}
	return out
}

// ID returns the worker's ID.
func (w *Worker) ID() string { return w.cfg.ID }

// Handle registers the Go handler for jobs whose task names it, and makes
// the worker pull the handler's queue (job.GoQueue). It may be called
// before or after Start.
func (w *Worker) Handle(name string, h Handler) error {
	if err := job.ValidateHandler(name); err != nil {
		return fmt.Errorf("handler name %q %w", name, err)
	}
	if h == nil {
		return errors.New("handler is nil")
	}
	w.handlersMu.Lock()
	w.handlers[name] = h
	w.handlersMu.Unlock()
	w.pullHandlerQueue(name)
	return nil
}

func (w *Worker) handler(name string) Handler {
	w.handlersMu.RLock()
	defer w.handlersMu.RUnlock()
	return w.handlers[name]
}

func (w *Worker) handlerNames() []string {
	w.handlersMu.RLock()
	defer w.handlersMu.RUnlock()
	out := make([]string, 0, len(w.handlers))
	for n := range w.handlers {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// Start starts the worker and returns at once: in the background it waits
// until NATS is reachable and the resources exist (a worker may start
// before the first scheduler), opens the stores and buckets, subscribes to
// control requests and starts pulling. Ready says what it waits for.
func (w *Worker) Start(ctx context.Context) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.started {
		return fmt.Errorf("worker: %w", lifecycle.ErrAlreadyStarted)
	}
	if err := w.isolate(ctx); err != nil {
		return fmt.Errorf("worker: %w", err)
	}
	w.startAt = w.cfg.Clock.Now()
	w.startCommitters()
	w.setupDone = make(chan struct{})
	w.setWaiting(errors.New("starting"))
	bgCtx, bgStop := context.WithCancel(context.WithoutCancel(ctx))
	w.bgStop = bgStop
	w.bg.Add(1)
	go func() {
		defer w.bg.Done()
		if !w.setup(bgCtx) {
			return
		}
		close(w.setupDone)
		w.bg.Add(1)
		go func() {
			defer w.bg.Done()
			w.checkStores(bgCtx)
		}()
		if svc, err := w.announce(); err != nil {
			w.log.Warn("the worker is not listed by `nats micro ls`", "error", err)
		} else {
			defer func() { _ = svc.Stop() }()
		}
		w.presence(bgCtx)
	}()
	pullCtx, pullStop := context.WithCancel(context.WithoutCancel(ctx))
	w.pullStop = pullStop
	w.pulling = map[string]bool{}
	w.startPull = func(q string) {
		w.pulls.Add(1)
		go func() {
			defer w.pulls.Done()
			select { // the stores and buckets are open
			case <-w.setupDone:
			case <-pullCtx.Done():
				return
			}
			w.pull(pullCtx, q)
		}()
	}
	for _, q := range w.wantedQueues() {
		w.pullQueueLocked(q)
	}
	w.started = true
	return nil
}

// Stop stops pulling, waits for running executions until ctx ends, then
// stops the rest and naks them for immediate redelivery. It is idempotent.
func (w *Worker) Stop(ctx context.Context) error {
	w.mu.Lock()
	if !w.started || w.stopping {
		w.mu.Unlock()
		return nil
	}
	w.stopping = true
	w.mu.Unlock()

	w.pullStop()
	w.pulls.Wait()
	done := make(chan struct{})
	go func() { w.runs.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		n := 0
		w.running.Range(func(_, v any) bool {
			v.(*execution).interrupt()
			n++
			return true
		})
		w.log.Warn("shutdown grace over; interrupting running executions for redelivery", "executions", n)
		<-done
	}
	w.bgStop()
	w.bg.Wait()
	w.stopCommitters(ctx)
	// Acks are not waited for (ack.go): a round trip makes sure the server
	// has read the last ones before the caller closes the connection.
	fctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
	_ = w.nc.FlushWithContext(fctx)
	cancel()
	w.closeRunners()
	w.removePresence()
	w.mu.Lock()
	w.started, w.stopping = false, false
	w.mu.Unlock()
	w.log.Info("worker stopped")
	return nil
}

func (w *Worker) isStopping() bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.stopping
}

// Busy returns the number of executions running now.
func (w *Worker) Busy() int { return len(w.slots) }

// queueLimits are a queue consumer's settings that the worker must follow,
// read from the consumer itself (whoever created it decided them).
type queueLimits struct {
	ackWait    time.Duration
	maxDeliver int
}

func (w *Worker) learnQueue(queue string, cc jetstream.ConsumerConfig) {
	l := queueLimits{ackWait: cc.AckWait, maxDeliver: cc.MaxDeliver}
	if l.ackWait <= 0 {
		l.ackWait = w.cfg.Topology.AckWait
	}
	if l.maxDeliver <= 0 {
		l.maxDeliver = w.cfg.Topology.MaxDeliver
	}
	w.limits.Store(queue, l)
}

func (w *Worker) queueLimits(queue string) queueLimits {
	if v, ok := w.limits.Load(queue); ok {
		return v.(queueLimits)
	}
	return queueLimits{ackWait: w.cfg.Topology.AckWait, maxDeliver: w.cfg.Topology.MaxDeliver}
}

// heartbeatEvery is how often a running execution of queue tells JetStream
// it is alive: a third of the queue's ack wait.
func (w *Worker) heartbeatEvery(queue string) time.Duration { return w.queueLimits(queue).ackWait / 3 }

// SetMetrics sets the worker's metrics; call it before Start.
func (w *Worker) SetMetrics(m *Metrics) { w.cfg.Metrics = m }

// Ready reports why the worker is not ready to run executions, or nil.
func (w *Worker) Ready() error {
	w.mu.Lock()
	started := w.started
	w.mu.Unlock()
	switch {
	case !started:
		return errors.New("not started")
	case !w.nc.IsConnected():
		return topology.ErrNotConnected
	}
	if err := w.health.status(); err != nil {
		return err
	}
	return w.waitingFor()
}

var _ lifecycle.Service = (*Worker)(nil)
