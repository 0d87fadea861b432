package leader

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/lifecycle"
)

// Config configures an Elector.
type Config struct {
	// ID identifies this candidate. Required.
	ID string
	// Key is the lease key in the bucket. Defaults to "scheduler".
	Key string
	// TTL is the lease length; it must equal the bucket's TTL. Required.
	TTL time.Duration
	// Margin is subtracted from the lease when deciding whether we still
	// lead. Defaults to TTL/10.
	Margin time.Duration
	// Poll is how often a follower checks the key besides watching it.
	// Defaults to min(1s, TTL/3).
	Poll time.Duration
	// OnLead runs while this candidate leads. Its ctx ends when leadership
	// ends (lost, or Stop); the elector waits for OnLead to return before it
	// resigns or campaigns again. Required.
	OnLead func(ctx context.Context, l *Lease)
	// Clock is the time source. Defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// ReclaimOwn lets the candidate take over at once a lease held under
	// its own ID (an earlier run of it died without resigning) instead of
	// waiting for it to expire. Safe only if two candidates with the same
	// ID can never run at once (see the package doc). Defaults to false.
	ReclaimOwn bool
}

// Lease is a held leadership term.
type Lease struct {
	clock  clock.Clock
	ttl    time.Duration
	margin time.Duration
	term   uint64
	record []byte // the value stored under the key; renewals write it again

	mu        sync.Mutex // guards rev, lastRenew and over
	rev       uint64
	lastRenew time.Time
	over      bool // the elector learned the lease is lost, or gave it up
}

// Term is the revision that created the lease: unique and increasing across
// leaders.
func (l *Lease) Term() uint64 { return l.term }

// Valid reports whether the lease certainly still holds: less than
// TTL − margin has passed since the last successful renewal was sent, and
// the elector has not learned that it is lost (another holder's revision)
// or given it up.
func (l *Lease) Valid() bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return !l.over && l.clock.Since(l.lastRenew) < l.ttl-l.margin
}

// end marks the lease as no longer held.
func (l *Lease) end() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.over = true
}

// Remaining returns how long the lease is certainly valid.
func (l *Lease) Remaining() time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.over {
		return 0
	}
	return max(l.ttl-l.margin-l.clock.Since(l.lastRenew), 0)
}

func (l *Lease) renewed(rev uint64, sentAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.rev = rev
	l.lastRenew = sentAt
}

func (l *Lease) revision() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.rev
}

// Record is the value stored under the lease key.
type Record struct {
	ID    string    `json:"id"`
	Host  string    `json:"host"`
	PID   int       `json:"pid"`
	Since time.Time `json:"since"` // when the term began; renewals keep it
}

// Elector campaigns for the lease and runs OnLead while it holds it.
type Elector struct {
	lifecycle.Base
	cfg Config
	kv  jetstream.KeyValue
	log *slog.Logger

	mu      sync.Mutex // guards leading
	leading *Lease
}

// New returns an Elector on the lease bucket kv.
func New(kv jetstream.KeyValue, cfg Config) (*Elector, error) {
	if cfg.ID == "" {
		return nil, errors.New("leader: id is required")
	}
	if cfg.TTL < time.Second {
		return nil, fmt.Errorf("leader: ttl %s is shorter than 1s", cfg.TTL)
	}
	if cfg.OnLead == nil {
		return nil, errors.New("leader: OnLead is required")
	}
	cfg.Key = cmp.Or(cfg.Key, "scheduler")
	cfg.Margin = cmp.Or(cfg.Margin, cfg.TTL/10)
	cfg.Poll = cmp.Or(cfg.Poll, min(time.Second, cfg.TTL/3))
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Elector{cfg: cfg, kv: kv, log: log.With("component", "leader", "candidate", cfg.ID)}, nil
}

// Start begins campaigning and returns at once.
func (e *Elector) Start(ctx context.Context) error {
	return e.Go(ctx, e.campaign)
}

// Leading returns the held lease, or nil.
func (e *Elector) Leading() *Lease {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.leading
}

// Current returns the record of whoever holds the lease now, if anyone.
func (e *Elector) Current(ctx context.Context) (Record, bool, error) {
	return Current(ctx, e.kv, e.cfg.Key)
}

// Current returns the record under key in a lease bucket, if any.
func Current(ctx context.Context, kv jetstream.KeyValue, key string) (Record, bool, error) {
	ent, err := kv.Get(ctx, key)
	if errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
		return Record{}, false, nil
	}
	if err != nil {
		return Record{}, false, fmt.Errorf("read lease: %w", err)
	}
	var r Record
	if err := json.Unmarshal(ent.Value(), &r); err != nil {
		return Record{}, false, fmt.Errorf("read lease: %w", err)
	}
	return r, true, nil
}

func (e *Elector) record() []byte {
	host, _ := os.Hostname()
	b, _ := json.Marshal(Record{ID: e.cfg.ID, Host: host, PID: os.Getpid(), Since: e.cfg.Clock.Now().UTC()})
	return b
}

// campaign loops: try to create the key, lead while it holds, repeat.
func (e *Elector) campaign(ctx context.Context) {
	changed := make(chan struct{}, 1)
	watching := make(chan struct{})
	go func() {
		defer close(watching)
		e.watch(ctx, changed)
	}()
	defer func() { <-watching }()
	var lastErr string // the campaign error last logged at warn level
	for ctx.Err() == nil {
		sent := e.cfg.Clock.Now()
		record := e.record()
		rev, err := e.kv.Create(ctx, e.cfg.Key, record)
		if err == nil || errors.Is(err, jetstream.ErrKeyExists) {
			lastErr = ""
		}
		var won *Lease
		switch {
		case err == nil:
			won = &Lease{clock: e.cfg.Clock, ttl: e.cfg.TTL, margin: e.cfg.Margin, term: rev, record: record, rev: rev, lastRenew: sent}
		case errors.Is(err, jetstream.ErrKeyExists):
			// Someone leads; wait for the key to change or the next poll,
			// unless it is an earlier run of this candidate.
			won = e.reclaim(ctx)
		case ctx.Err() != nil:
			return
		default:
			// Once per distinct error: while NATS is without the bucket
			// (restarted from an empty store), every poll fails alike.
			level := slog.LevelWarn
			if err.Error() == lastErr {
				level = slog.LevelDebug
			}
			lastErr = err.Error()
			e.log.Log(ctx, level, "campaign failed", "error", err)
		}
		if won != nil && e.lead(ctx, won) {
			// We gave leadership up because leading failed: give the
			// others a lease's time to take it before trying again.
			t := e.cfg.Clock.NewTimer(e.cfg.TTL)
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C():
			}
		}
		t := e.cfg.Clock.NewTimer(e.cfg.Poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-changed:
			t.Stop()
		case <-t.C():
		}
	}
}

// reclaim takes over the lease if ReclaimOwn is set and the lease holds
// this candidate's ID, with a revision-checked update of the entry read (a
// lease that changed meanwhile is left alone). It returns the new lease,
// whose term is the update's revision, or nil.
func (e *Elector) reclaim(ctx context.Context) *Lease {
	if !e.cfg.ReclaimOwn {
		return nil
	}
	ent, err := e.kv.Get(ctx, e.cfg.Key)
	if err != nil {
		return nil // gone or unreadable: the next round creates it or waits
	}
	var r Record
	if json.Unmarshal(ent.Value(), &r) != nil || r.ID != e.cfg.ID {
		return nil
	}
	sent := e.cfg.Clock.Now()
	record := e.record()
	rev, err := e.kv.Update(ctx, e.cfg.Key, record, ent.Revision())
	if err != nil {
		if ctx.Err() == nil {
			e.log.InfoContext(ctx, "could not reclaim our own lease", "error", err)
		}
		return nil
	}
	e.log.InfoContext(ctx, "reclaimed the lease left by an earlier run of this candidate", "term", rev, "previous_term_revision", ent.Revision(), "previous_pid", r.PID)
	return &Lease{clock: e.cfg.Clock, ttl: e.cfg.TTL, margin: e.cfg.Margin, term: rev, record: record, rev: rev, lastRenew: sent}
}

// watch signals changed whenever the key is deleted or expires.
func (e *Elector) watch(ctx context.Context, changed chan<- struct{}) {
	for ctx.Err() == nil {
		w, err := e.kv.Watch(ctx, e.cfg.Key, jetstream.UpdatesOnly())
		if err != nil {
			t := e.cfg.Clock.NewTimer(e.cfg.Poll)
			select {
			case <-ctx.Done():
			case <-t.C():
			}
			continue
		}
		e.forward(ctx, w, changed)
		_ = w.Stop()
	}
}

// forward signals changed for every deletion or expiry the watcher sees,
// until it ends or ctx does (a watcher stopped while it was being set up
// may never close its channel).
func (e *Elector) forward(ctx context.Context, w jetstream.KeyWatcher, changed chan<- struct{}) {
	for {
		select {
		case <-ctx.Done():
			return
		case ent, ok := <-w.Updates():
			if !ok {
				return
			}
			if ent != nil && ent.Operation() != jetstream.KeyValuePut {
				select {
				case changed <- struct{}{}:
				default:
				}
			}
		}
	}
}

// lead runs OnLead and renews the lease until it is lost or ctx ends, then
// resigns if it still can.
func (e *Elector) lead(ctx context.Context, l *Lease) (stepDown bool) {
	e.log.InfoContext(ctx, "became leader", "term", l.term)
	e.mu.Lock()
	e.leading = l
	e.mu.Unlock()

	leadCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		// OnLead returning on its own means it gives up leadership: stop
		// renewing and resign.
		defer cancel()
		e.cfg.OnLead(leadCtx, l)
	}()
	lost := e.renew(leadCtx, l)
	if lost == nil && ctx.Err() == nil && !l.Valid() {
		// OnLead gave up because the lease ran out (a process paused for
		// longer than the lease wakes up to find it so) before the renewal
		// timer, waking up at the same moment, noticed: it is lost, not
		// given up, and there is nothing to resign.
		lost = fmt.Errorf("%w: no renewal within the lease", ErrLostLease)
	}
	if lost != nil {
		l.end() // before OnLead learns it from its context
	}
	cancel()
	<-done
	l.end()
	stepDown = ctx.Err() == nil && lost == nil

	e.mu.Lock()
	e.leading = nil
	e.mu.Unlock()
	if lost != nil {
		e.log.WarnContext(ctx, "lost leadership", "term", l.term, "reason", lost)
		return false
	}
	// Resign: let a follower take over now rather than after the TTL.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
	defer rcancel()
	if err := e.kv.Delete(rctx, e.cfg.Key, jetstream.LastRevision(l.revision())); err != nil {
		e.log.WarnContext(ctx, "resign failed; the lease will expire", "error", err)
	} else {
		e.log.InfoContext(ctx, "resigned leadership", "term", l.term)
	}
	return stepDown
}

// errLost reasons.
var (
	ErrLostLease = errors.New("lease lost")
)

// renew keeps the lease until ctx ends (returns nil) or it is lost.
func (e *Elector) renew(ctx context.Context, l *Lease) error {
	every := e.cfg.TTL / 3
	for {
		t := e.cfg.Clock.NewTimer(every)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C():
		}
		for {
			if !l.Valid() {
				return fmt.Errorf("%w: no renewal within the lease", ErrLostLease)
			}
			sent := e.cfg.Clock.Now()
			rctx, cancel := context.WithTimeout(ctx, max(l.Remaining(), 100*time.Millisecond))
			rev, err := e.kv.Update(rctx, e.cfg.Key, l.record, l.revision())
			cancel()
			if err == nil {
				l.renewed(rev, sent)
				break
			}
			if ctx.Err() != nil {
				return nil
			}
			if errors.Is(err, jetstream.ErrKeyRevisionMismatch) || errors.Is(err, jetstream.ErrKeyNotFound) || errors.Is(err, jetstream.ErrKeyDeleted) {
				return fmt.Errorf("%w: %w", ErrLostLease, err)
			}
			e.log.WarnContext(ctx, "renewal failed; retrying", "error", err)
			t := e.cfg.Clock.NewTimer(min(200*time.Millisecond, max(l.Remaining(), time.Millisecond)))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C():
			}
		}
	}
}
