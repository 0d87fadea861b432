package apiservice

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/nats-io/nats.go/micro"

	"github.com/jetcron/jetcron/pkg/api"
	"github.com/jetcron/jetcron/pkg/clock"
	"github.com/jetcron/jetcron/pkg/event"
	"github.com/jetcron/jetcron/pkg/history"
	"github.com/jetcron/jetcron/pkg/notify"
	"github.com/jetcron/jetcron/pkg/topology"
)

// Version is the API's version.
const Version = "1.0.0"

// Config configures the API service.
type Config struct {
	// Topology names the resources; its consumer settings are used when a
	// job names a new queue.
	Topology topology.Config
	// InstanceID identifies the replica in Info answers.
	InstanceID string
	// Clock defaults to the wall clock.
	Clock clock.Clock
	// Logger defaults to a discarding logger.
	Logger *slog.Logger
	// Concurrency bounds requests handled at once. Defaults to 64.
	Concurrency int
	// UIURL is the web UI's base URL, linked from notifications.
	UIURL string
}

// Service answers the API on NATS.
type Service struct {
	cfg    Config
	nc     *nats.Conn
	js     jetstream.JetStream
	names  topology.Names
	log    *slog.Logger
	svc    micro.Service
	sem    chan struct{}
	jobs   jetstream.KeyValue
	state  jetstream.KeyValue
	pend   jetstream.KeyValue
	claims jetstream.KeyValue
	lead   jetstream.KeyValue
	health jetstream.KeyValue // nil when the bucket does not exist yet
	events *event.Publisher
	reader *event.Reader
	hist   *history.Store

	// checkpoints and queueSettings: see checkpoint.go and queues.go.
	checkpoints, queueSettings jetstream.KeyValue

	// calsKV is the calendars bucket, opened on first use (calendars.go).
	calsKV lazyBucket

	qmu    sync.Mutex      // guards queues
	queues map[string]bool // queues whose consumer this replica has ensured

	notifyKV lazyBucket // opened on first use (notify.go)
	sender   *notify.Sender
	// index keeps the job names in order for job_list (names.go);
	// stopIndex ends its watch and indexDone closes when it has.
	index     *nameIndex
	stopIndex context.CancelFunc
	indexDone chan struct{}
}

// NewService returns an API service; Start begins answering.
func NewService(nc *nats.Conn, js jetstream.JetStream, cfg Config) (*Service, error) {
	cfg.Topology = cfg.Topology.WithDefaults()
	if cfg.Clock == nil {
		cfg.Clock = clock.New()
	}
	if cfg.Concurrency <= 0 {
		cfg.Concurrency = 64
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	names := cfg.Topology.Names()
	return &Service{
		cfg: cfg, nc: nc, js: js, names: names, log: log.With("component", "api"),
		sem: make(chan struct{}, cfg.Concurrency), events: event.NewPublisher(js, names),
		reader: event.NewReader(nc, js, names), queues: map[string]bool{},
		sender: notify.NewSender(nc, 0),
		hist:   history.NewStore(nc, js, names),
	}, nil
}

// Start opens the buckets and registers the endpoints.
func (s *Service) Start(ctx context.Context) error {
	var err error
	open := func(bucket string) jetstream.KeyValue {
		if err != nil {
			return nil
		}
		var kv jetstream.KeyValue
		kv, err = s.js.KeyValue(ctx, bucket)
		if err != nil {
			err = fmt.Errorf("api: bucket %s: %w", bucket, err)
		}
		return kv
	}
	s.jobs, s.state, s.pend, s.lead = open(s.names.JobsBucket()), open(s.names.StateBucket()), open(s.names.PendingBucket()), open(s.names.LeaderBucket())
	s.claims = open(s.names.ClaimsBucket())
	s.checkpoints, s.queueSettings = open(s.names.CheckpointsBucket()), open(s.names.QueuesBucket())
	if err != nil {
		return err
	}
	s.openHealth(ctx)
	svc, err := micro.AddService(s.nc, micro.Config{
		Name:        s.names.APIServiceName(),
		Version:     Version,
		Description: "jetcron API",
		QueueGroup:  s.names.Namespace() + "-api",
	})
	if err != nil {
		return fmt.Errorf("api: %w", err)
	}
	g := svc.AddGroup(s.names.APIPrefix())
	handlers := map[string]func(context.Context, []byte) (any, error){
		api.VerbJobCreate:         s.create,
		api.VerbJobGet:            s.get,
		api.VerbJobList:           s.list,
		api.VerbJobDisable:        s.disable,
		api.VerbJobEnable:         s.enable,
		api.VerbJobDelete:         s.delete,
		api.VerbJobAudit:          s.jobAudit,
		api.VerbJobRun:            s.run,
		api.VerbJobEnqueue:        s.enqueue,
		api.VerbExecCancel:        s.cancel,
		api.VerbInfo:              s.info,
		api.VerbJobHistory:        s.jobHistory,
		api.VerbJobRollback:       s.rollback,
		api.VerbJobBackfill:       s.jobBackfill,
		api.VerbJobBackfillCancel: s.jobBackfillCancel,
		api.VerbJobBackfills:      s.jobBackfills,

		api.VerbNotifyCreate: s.notifyCreate, api.VerbNotifyGet: s.notifyGet, api.VerbNotifyList: s.notifyList,
		api.VerbNotifyDelete: s.notifyDelete, api.VerbNotifyTest: s.notifyTest,
		api.VerbQueueSet:      s.queueSet,
		api.VerbQueueSettings: s.queueList,

		api.VerbCalendarCreate: s.calendarCreate,
		api.VerbCalendarGet:    s.calendarGet,
		api.VerbCalendarList:   s.calendarList,
		api.VerbCalendarDelete: s.calendarDelete,
	}
	for verb, h := range handlers {
		if err := g.AddEndpoint(verb, s.wrap(verb, h)); err != nil {
			_ = svc.Stop()
			return fmt.Errorf("api: endpoint %s: %w", verb, err)
		}
	}
	s.index, s.indexDone = newNameIndex(), make(chan struct{})
	ictx, stop := context.WithCancel(context.WithoutCancel(ctx))
	s.stopIndex = stop
	go func() {
		defer close(s.indexDone)
		s.index.follow(ictx, s.jobs)
	}()
	s.svc = svc
	return nil
}

// Stop stops answering.
func (s *Service) Stop(context.Context) error {
	s.sender.Close()
	if s.svc == nil {
		return nil
	}
	err := s.svc.Stop()
	s.stopIndex()
	<-s.indexDone
	return err
}

// wrap runs a handler in its own goroutine (bounded), with a deadline, and
// turns its result into a reply. The reply is published on the request's
// reply subject directly, in the micro protocol's form (error headers and
// all): a micro.Request belongs to the library once the handler returns
// (it reads the request's error for its statistics), so the goroutine must
// not answer through it.
func (s *Service) wrap(verb string, h func(context.Context, []byte) (any, error)) micro.Handler {
	return micro.HandlerFunc(func(req micro.Request) {
		data, reply := req.Data(), req.Reply()
		caller := api.CallerFromMsg(nats.Header(req.Headers()), reply)
		s.sem <- struct{}{}
		go func() {
			defer func() { <-s.sem }()
			ctx, cancel := context.WithTimeout(api.WithCaller(context.Background(), caller), 30*time.Second)
			defer cancel()
			m := &nats.Msg{Subject: reply}
			out, err := h(ctx, data)
			if err != nil {
				e := clipError(api.ErrorOf(err))
				if errors.Is(err, errTooLarge) {
					e.Code = 413
				}
				if e.Code >= 500 {
					s.log.ErrorContext(ctx, "api request failed", "verb", verb, "error", err)
				}
				// The header holds one line; the body has the whole error.
				desc := strings.Join(strings.Fields(e.Message), " ")
				m.Header = nats.Header{micro.ErrorHeader: {desc}, micro.ErrorCodeHeader: {fmt.Sprint(e.Code)}}
				m.Data, _ = json.Marshal(e)
			} else if m.Data, err = json.Marshal(out); err != nil {
				m.Header = nats.Header{micro.ErrorHeader: {"cannot encode the reply"}, micro.ErrorCodeHeader: {"500"}}
				m.Data = nil
			} else if limit := s.nc.MaxPayload(); int64(len(m.Data)) > limit {
				// Unsent, the caller would wait for its timeout.
				e := api.Error{Code: 413, Message: fmt.Sprintf("%v: the reply (%d bytes) is larger than the NATS server's max payload (%d bytes); ask for less (job list --limit)", errTooLarge, len(m.Data), limit)}
				m.Header = nats.Header{micro.ErrorHeader: {e.Message}, micro.ErrorCodeHeader: {"413"}}
				m.Data, _ = json.Marshal(e)
			}
			if reply == "" {
				return
			}
			if err := s.nc.PublishMsg(m); err != nil {
				s.log.WarnContext(ctx, "api reply not sent", "verb", verb, "error", err)
			}
		}()
	})
}

// decode reads a request strictly: unknown fields are refused, so a typo
// in a field name is an error rather than a silently ignored setting.
func decode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return badRequest("%v", err)
	}
	return nil
}

func (s *Service) now() time.Time { return s.cfg.Clock.Now().UTC().Truncate(time.Millisecond) }
